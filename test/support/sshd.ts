// A real OpenSSH server inside a test namespace, with test users in a private /etc/passwd and
// /etc/shadow (a mount namespace of its own), logging through a syslog file written as rsyslog does;
// and an OpenSSH client in another namespace that types passwords through SSH_ASKPASS.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { waitListening } from './netns-lan.ts';

/** A syslog file in rsyslog's traditional format (`Dec  1 15:57:16 host prog[pid]: msg`), rotated as logrotate + HUP do. */
export class SyslogFile {
  private fd: number;
  lines = 0;

  constructor(
    readonly file: string,
    private readonly host = hostname().split('.')[0],
  ) {
    this.fd = openSync(file, 'a', 0o640);
  }

  static stamp(at: Date): string {
    const mon = at.toLocaleString('en-US', { month: 'short' });
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${mon} ${String(at.getDate()).padStart(2, ' ')} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  }

  write(program: string, pid: number, msg: string, at = new Date()): void {
    writeSync(this.fd, `${SyslogFile.stamp(at)} ${this.host} ${program}[${pid}]: ${msg}\n`);
    this.lines++;
  }

  /** logrotate's `create`: the file moves to `.1`, then the daemon (told by HUP) opens a new one. */
  rotate(): void {
    renameSync(this.file, `${this.file}.1`);
    closeSync(this.fd);
    this.fd = openSync(this.file, 'a', 0o640);
  }

  close(): void {
    closeSync(this.fd);
  }
}

export interface TestSshd {
  port: number;
  address: string;
  child: ChildProcess;
  stop(): void;
}

/** An sshd in `ns` on `address:port`, its messages (stderr, -e) written to `log` as rsyslog would. */
export async function startSshd(opts: { dir: string; ns: string; address: string; port: number; log: SyslogFile; users: { name: string; password: string; uid: number }[] }): Promise<TestSshd> {
  const d = join(opts.dir, 'sshd');
  mkdirSync(d, { recursive: true });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const key = join(d, 'host_ed25519');
  const kg = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key], { encoding: 'utf8', timeout: 20_000 });
  if (kg.status !== 0) throw new Error(`ssh-keygen: ${kg.stderr}`);
  const home = join(d, 'home');
  mkdirSync(home, { recursive: true });
  let passwd = readFileSync('/etc/passwd', 'utf8');
  let shadow = readFileSync('/etc/shadow', 'utf8');
  for (const u of opts.users) {
    const hash = spawnSync('openssl', ['passwd', '-6', '-stdin'], { input: `${u.password}\n`, encoding: 'utf8' }).stdout.trim();
    passwd += `${u.name}:x:${u.uid}:${u.uid}::${home}:/bin/sh\n`;
    shadow += `${u.name}:${hash}:19000:0:99999:7:::\n`;
  }
  writeFileSync(join(d, 'passwd'), passwd, { mode: 0o644 });
  writeFileSync(join(d, 'shadow'), shadow, { mode: 0o600 });
  const cfg = join(d, 'sshd_config');
  writeFileSync(
    cfg,
    [`Port ${opts.port}`, `ListenAddress ${opts.address}`, `HostKey ${key}`, 'PidFile none', 'UsePAM no', 'PasswordAuthentication yes', 'KbdInteractiveAuthentication no', 'PubkeyAuthentication no', 'LogLevel VERBOSE', 'MaxStartups 100:30:200', 'UseDNS no', ''].join('\n'),
  );
  const script = `mount --bind ${join(d, 'passwd')} /etc/passwd && mount --bind ${join(d, 'shadow')} /etc/shadow && exec /usr/sbin/sshd -D -e -f ${cfg}`;
  const child = spawn('ip', ['netns', 'exec', opts.ns, 'unshare', '-m', '--propagation', 'private', 'sh', '-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let rest = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    rest += chunk;
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl).replace(/\r$/, '');
      rest = rest.slice(nl + 1);
      if (line) opts.log.write('sshd', child.pid ?? 0, line);
    }
  });
  await waitListening(opts.ns, opts.port, 'tcp', 10_000);
  return {
    port: opts.port,
    address: opts.address,
    child,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** An OpenSSH client in `ns` that gives `password` once (SSH_ASKPASS) and runs `true`; true when it logged in. */
export function sshAttempt(opts: { dir: string; ns: string; address: string; port: number; user: string; password: string }): boolean {
  const askpass = join(opts.dir, 'askpass.sh');
  writeFileSync(askpass, '#!/bin/sh\nprintf "%s\\n" "$CANHGAC_TEST_PASSWORD"\n');
  chmodSync(askpass, 0o755);
  const r = spawnSync(
    'ip',
    [
      'netns', 'exec', opts.ns, 'env', `SSH_ASKPASS=${askpass}`, 'SSH_ASKPASS_REQUIRE=force', 'DISPLAY=none', `CANHGAC_TEST_PASSWORD=${opts.password}`,
      'ssh', '-F', '/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
      '-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1', '-o', 'ConnectTimeout=5',
      '-p', String(opts.port), `${opts.user}@${opts.address}`, 'true',
    ],
    { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return r.status === 0;
}
