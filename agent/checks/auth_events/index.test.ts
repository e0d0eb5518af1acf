// The auth_events check on its own: every Linux line it parses (and hostile ones, in linear time), the
// detections and their thresholds, files read across rotation, truncation and restarts (a run whose
// samples never reached the outbox is sent again, never counted twice), a real journal made by
// systemd-journal-remote (cursor, vacuum), Windows records in en-US and vi-VN, and the logs it cannot read.
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { WireSample } from '../../../protocol/index.ts';
import { AGENT_BIN, runCli, writeYaml } from '../../../test/support/agent.ts';
import { missing } from '../../../test/support/require.ts';
import { parseAgentConfig } from '../../config.ts';
import { createLogger } from '../../log.ts';
import { runCheck, type CheckRun } from '../../run-check.ts';
import { Detector, emptySnapshot } from './detect.ts';
import { DEFAULT_ADMIN_GROUPS, parseMessage, unwrapRepeated } from './events.ts';
import { parseSyslogLine, YearResolver } from './syslog.ts';
import { parseWindowsOutput, windowsEvent } from './windows.ts';

const dir = mkdtempSync(join(tmpdir(), 'cg-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = createLogger({ level: 'error', write: () => undefined });
const admins = new Set(DEFAULT_ADMIN_GROUPS);
const T = Date.parse('2026-12-01T08:00:00Z');
const parse = (program: string, msg: string) => parseMessage(program, msg, T, admins);

/** A syslog line as rsyslog writes it (traditional format, local time). */
function line(at: number, program: string, msg: string, pid = 4242): string {
  const d = new Date(at);
  const mon = d.toLocaleString('en-US', { month: 'short' });
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${mon} ${String(d.getDate()).padStart(2, ' ')} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} srv-1 ${program}[${pid}]: ${msg}\n`;
}

let n = 0;
/** A config of one auth_events entry over `files`, with its own state file. */
function entry(files: string[], extra: Record<string, unknown> = {}) {
  const stateFile = join(dir, `state-${++n}.json`);
  const cfg = parseAgentConfig(join(dir, 'agent.yaml'), { checks: [{ type: 'auth_events', logFiles: files, stateFile, interval: '1m', ...extra }] });
  return cfg.checks[0];
}

const summaries = (r: CheckRun) => r.samples.filter((s) => s.measurement === 'auth_summary');
const findings = (r: CheckRun) => r.samples.filter((s) => s.measurement === 'auth_finding');
const sum = (runs: CheckRun[], field: string) => runs.flatMap(summaries).reduce((a, s) => a + Number(s.fields[field] ?? 0), 0);

/** One run as the daemon does it: run, then (if delivered) the outbox write and the commit. */
async function runOnce(e: ReturnType<typeof entry>, delivered = true): Promise<CheckRun> {
  const run = await runCheck(e, log);
  expect(run.error).toBeUndefined();
  if (delivered) for (const fn of run.delivered) fn();
  return run;
}

describe('auth_events: Linux log lines', () => {
  it.each([
    ['sshd', 'Failed password for root from 203.0.113.5 port 52311 ssh2', { kind: 'failure', service: 'ssh', source: '203.0.113.5', user: 'root', detail: 'password', conn: '203.0.113.5 port 52311' }],
    ['sshd', 'Failed password for invalid user admin from 2001:db8::7 port 4000 ssh2', { kind: 'failure', source: '2001:db8::7', user: 'admin' }],
    ['sshd', 'Failed publickey for git from ::ffff:198.51.100.4 port 22 ssh2: RSA SHA256:abc', { kind: 'failure', source: '198.51.100.4', user: 'git', detail: 'publickey' }],
    ['sshd', 'Accepted password for bob from 203.0.113.5 port 52400 ssh2', { kind: 'success', source: '203.0.113.5', user: 'bob', detail: 'password' }],
    ['sshd', 'Accepted publickey for deploy from 10.1.2.3 port 50000 ssh2: ED25519 SHA256:xyz', { kind: 'success', user: 'deploy', detail: 'publickey' }],
    ['sshd', 'Connection closed by authenticating user root 203.0.113.5 port 52311 [preauth]', { kind: 'failure', source: '203.0.113.5', user: 'root', closed: true }],
    ['sshd', 'Disconnected from authenticating user oracle 203.0.113.9 port 1 [preauth]', { kind: 'failure', user: 'oracle', closed: true }],
    ['sshd', 'Connection closed by invalid user test 203.0.113.6 port 6000 [preauth]', { kind: 'failure', user: 'test', source: '203.0.113.6', closed: true }],
    // The user name is the attacker's: the real source is the last ` from `.
    ['sshd', 'Failed password for invalid user x from 9.9.9.9 port 22 ssh2 from 203.0.113.66 port 7000 ssh2', { source: '203.0.113.66', user: 'x from 9.9.9.9 port 22 ssh2' }],
    ['sshd', 'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=root', undefined],
    ['login', 'pam_unix(login:auth): authentication failure; logname=LOGIN uid=0 euid=0 tty=/dev/tty1 ruser= rhost=  user=root', { kind: 'failure', service: 'login', user: 'root' }],
    ['vsftpd', 'pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=anna rhost=203.0.113.40', { kind: 'failure', service: 'vsftpd', source: '203.0.113.40', user: 'anna' }],
    ['sudo', 'bob : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/id', { kind: 'failure', service: 'sudo', user: 'bob', repeat: 3, source: 'local' }],
    ['sudo', 'pam_unix(sudo:auth): authentication failure; logname=bob uid=1000 euid=0 tty=/dev/pts/0 ruser=bob rhost=  user=bob', undefined],
    ['su', 'FAILED SU (to root) bob on pts/0', { kind: 'failure', service: 'su', user: 'root', detail: 'su by bob' }],
    ['su', '(to root) bob on pts/0', { kind: 'success', service: 'su', user: 'root' }],
    ['useradd', 'new user: name=mallory, UID=1001, GID=1001, home=/home/mallory, shell=/bin/bash, from=/dev/pts/0', { kind: 'user_created', user: 'mallory' }],
    ['usermod', "add 'mallory' to group 'sudo'", { kind: 'admin_grant', user: 'mallory', detail: 'usermod: group sudo' }],
    ['usermod', "add 'mallory' to shadow group 'sudo'", undefined],
    ['usermod', "add 'mallory' to group 'audio'", undefined],
    ['useradd', "add 'eve' to group 'wheel'", { kind: 'admin_grant', user: 'eve' }],
    ['gpasswd', 'user eve added by root to group sudo', { kind: 'admin_grant', user: 'eve', source: 'root' }],
    ['passwd', 'pam_unix(passwd:chauthtok): password changed for bob', { kind: 'password_change', user: 'bob' }],
    ['sshd', 'Failed none for invalid user x from 203.0.113.5 port 1 ssh2', undefined],
    ['sshd', 'Invalid user admin from 203.0.113.5 port 52311', undefined],
    ['sshd', 'Failed password for root from not-an-address!! port 1 ssh2', undefined],
    ['cron', 'pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)', undefined],
  ])('%s: %s', (program, msg, want) => {
    const e = parse(program, msg);
    if (want === undefined) expect(e).toBeUndefined();
    else expect(e).toMatchObject(want);
  });

  it('reads both syslog formats; a traditional line of 31 December read in January is last year', () => {
    const jan2 = new Date(2027, 0, 2, 10, 0, 0).getTime();
    const p = parseSyslogLine('Dec 31 23:59:58 srv sshd[1]: Failed password for root from 203.0.113.5 port 1 ssh2', new YearResolver(jan2))!;
    expect(new Date(p.time).getFullYear()).toBe(2026);
    expect(new Date(p.time).getMonth()).toBe(11);
    const q = parseSyslogLine('Jan  2 09:59:00 srv sshd[1]: x', new YearResolver(jan2))!;
    expect(new Date(q.time).getFullYear()).toBe(2027);
    expect(q.program).toBe('sshd');
    const r = parseSyslogLine('2026-12-01T15:57:16.123456+07:00 srv sudo[77]: bob : 1 incorrect password attempt ; TTY=pts/0', new YearResolver(jan2))!;
    expect(r.time).toBe(Date.parse('2026-12-01T08:57:16.123Z'));
    expect(r.program).toBe('sudo');
    expect(unwrapRepeated('message repeated 4 times: [ Failed password for root from 203.0.113.5 port 1 ssh2]')).toEqual({ msg: 'Failed password for root from 203.0.113.5 port 1 ssh2', times: 4 });
    for (const garbage of ['', 'x', '\u0000\u0001\u0002', 'Dec 99 99:99:99 srv sshd[1]: x', '{"MESSAGE": 1}', 'Foo  1 00:00:00 host prog: msg']) expect(parseSyslogLine(garbage, new YearResolver(jan2))).toBeUndefined();
  });

  it('hostile lines cost linear time: 200 KB user names with thousands of " from " and "port" in them', () => {
    const evil = ' from 1.1.1.1 port'.repeat(10_000) + 'a'.repeat(20_000);
    const started = performance.now();
    for (let i = 0; i < 20; i++) {
      parse('sshd', `Failed password for invalid user ${evil} from 203.0.113.5 port 1 ssh2`);
      parse('sshd', `Connection closed by authenticating user ${evil} 203.0.113.5 port 1 [preauth]`);
      parse('login', `pam_unix(login:auth): authentication failure; ${' rhost='.repeat(20_000)} user=x`);
      parseSyslogLine(`Dec  1 10:00:00 h sshd[1]: ${evil}`, new YearResolver(T));
    }
    expect(performance.now() - started).toBeLessThan(1500);
    expect(parse('sshd', `Failed password for invalid user ${evil} from 203.0.113.5 port 1 ssh2`)!.user!.length).toBe(100);
  });
});

describe('auth_events: detections', () => {
  const thresholds = { bruteForce: { failures: 10, withinMs: 600_000 }, spraying: { users: 5, withinMs: 600_000 }, successAfterFailures: { failures: 5, withinMs: 1_800_000 } };
  const fail = (d: Detector, at: number, source: string, user = 'root') => d.event({ time: at, kind: 'failure', service: 'ssh', source, user });

  it('9 failures in 10 minutes are not a brute force, the 10th is; 10 spread over an hour are not', () => {
    const d = new Detector(emptySnapshot(), thresholds, undefined, 100);
    for (let i = 0; i < 9; i++) fail(d, T + i * 1000, '203.0.113.1');
    for (let i = 0; i < 10; i++) fail(d, T + i * 400_000, '203.0.113.2');
    expect(d.finish(T + 60_000, 100).out).toEqual([]);
    fail(d, T + 10_000, '203.0.113.1');
    const out = d.finish(T + 60_000, 100).out;
    expect(out.map((f) => [f.episode.kind, f.episode.source, f.count, f.started])).toEqual([['brute_force', '203.0.113.1', 10, true]]);
    // Ends with count 0 once quiet for its window.
    expect(d.finish(T + 10_000 + 600_001, 100).out.map((f) => [f.episode.kind, f.count])).toEqual([['brute_force', 0]]);
  });

  it('spraying counts distinct names; an allow-listed source is counted but never flagged', async () => {
    const { BlockList } = await import('node:net');
    const allow = new BlockList();
    allow.addSubnet('10.0.0.0', 24, 'ipv4');
    const d = new Detector(emptySnapshot(), thresholds, allow, 100);
    for (const u of ['a', 'b', 'c', 'd', 'e', 'f']) fail(d, T, '203.0.113.3', u);
    for (let i = 0; i < 50; i++) fail(d, T, '10.0.0.7', `u${i}`);
    const out = d.finish(T + 1000, 100).out;
    expect(out.map((f) => [f.episode.kind, f.episode.source, f.count, f.episode.users.join(',')])).toEqual([['password_spraying', '203.0.113.3', 6, 'a,b,c,d,e,f']]);
    expect(d.stats.failures).toBe(56);
  });

  it('bounded: 50,000 sources through a map of 1,000, the rest counted as dropped', () => {
    const d = new Detector(emptySnapshot(), thresholds, undefined, 1000);
    for (let i = 0; i < 50_000; i++) fail(d, T, `198.51.${i >> 8}.${i & 255}`);
    expect(d.trackedSources).toBe(1000);
    expect(d.stats.sourcesDropped).toBe(49_000);
    expect(JSON.stringify(d.snapshot()).length).toBeLessThan(200_000);
  });
});

describe('auth_events: files, rotation, restarts', () => {
  it('rotation mid-attack, an unfinished line, a restart whose samples never reached the outbox: every event once', async () => {
    const file = join(dir, 'auth-rot.log');
    const now = Date.now();
    writeFileSync(file, '');
    for (let i = 0; i < 7; i++) appendFileSync(file, line(now, 'sshd', `Failed password for root from 203.0.113.9 port ${1000 + i} ssh2`));
    appendFileSync(file, line(now, 'sshd', 'Failed password for root from 203.0.113.9 port 9999').slice(0, 40)); // no newline yet
    const e = entry([file]);
    const runs = [await runOnce(e)];
    expect(sum(runs, 'failures')).toBe(7);
    // The writer finishes its line; logrotate moves the file; rsyslog writes one more line to the old one, then the new file.
    appendFileSync(file, line(now, 'sshd', 'Failed password for root from 203.0.113.9 port 9999 ssh2').slice(40));
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, line(now, 'sshd', 'Failed password for root from 203.0.113.9 port 2000 ssh2'));
    for (let i = 0; i < 4; i++) appendFileSync(file, line(now, 'sshd', `Failed password for root from 203.0.113.9 port ${3000 + i} ssh2`));
    // This run is "killed" before its samples reach the outbox: nothing is committed.
    const lost = await runOnce(e, false);
    expect(sum([lost], 'failures')).toBe(6);
    appendFileSync(`${file}.1`, line(now, 'sshd', 'Failed password for root from 203.0.113.9 port 2001 ssh2')); // rsyslog not yet told to reopen
    appendFileSync(file, line(now, 'sshd', 'Failed password for root from 203.0.113.9 port 4000 ssh2'));
    const again = await runOnce(e);
    // The unsent run's samples come again, identical (same time stamps), then the new lines.
    expect(again.samples.slice(0, lost.samples.length)).toEqual(lost.samples);
    runs.push(again);
    expect(sum(runs, 'failures')).toBe(7 + 6 + 2);
    expect(sum(runs, 'gap')).toBe(0);
    const bf = runs.flatMap(findings).filter((f) => f.tags.kind === 'brute_force');
    expect(bf.map((f) => [f.fields.source, f.fields.count, f.fields.started])).toEqual([
      ['203.0.113.9', 13, 1],
      ['203.0.113.9', 15, 0],
    ]);
    expect((await runOnce(e)).samples.filter((s) => s.measurement === 'auth_summary')[0].fields.failures).toBe(0);
  });

  it('a rotated file that is gone is a gap; a file emptied in place is a cleared log; garbage and long lines are counted, not fatal', async () => {
    const file = join(dir, 'auth-gap.log');
    const now = Date.now();
    writeFileSync(file, line(now, 'sshd', 'Failed password for root from 203.0.113.10 port 1 ssh2'));
    const e = entry([file], { maxLineLength: 256 });
    await runOnce(e);
    rmSync(file);
    writeFileSync(file, `garbage\n\u0000\u0001\u0002\n${'x'.repeat(3_000_000)}\n${line(now, 'sshd', 'Failed password for root from 203.0.113.10 port 2 ssh2')}`);
    const r = await runOnce(e);
    expect(summaries(r)[0].fields).toMatchObject({ gap: 1, failures: 1, lines_read: 4, lines_truncated: 1 });
    expect(summaries(r)[0].tags.result).toBe('ok');
    truncateSync(file, 0);
    appendFileSync(file, line(now, 'sshd', 'Accepted password for bob from 203.0.113.10 port 3 ssh2'));
    const c = await runOnce(e);
    expect(findings(c).map((f) => [f.tags.kind, f.tags.service, f.fields.detail])).toEqual([['log_cleared', 'syslog', `${file} was emptied in place`]]);
    expect(summaries(c)[0].fields.successes).toBe(1);
  });

  it('the first run counts only its backfill; a missing file and a missing journal are result=error samples', async () => {
    const file = join(dir, 'auth-old.log');
    writeFileSync(file, line(Date.now() - 3 * 3600_000, 'sshd', 'Failed password for root from 203.0.113.11 port 1 ssh2') + line(Date.now(), 'sshd', 'Failed password for root from 203.0.113.11 port 2 ssh2'));
    const r = await runOnce(entry([file]));
    expect(summaries(r)[0].fields).toMatchObject({ failures: 1, lines_read: 2 });
    const gone = await runOnce(entry([join(dir, 'nope.log')]));
    expect(summaries(gone)[0]).toMatchObject({ tags: { result: 'error' }, fields: { error: `cannot read ${join(dir, 'nope.log')}: it does not exist` } });
    const nj = entry([], { logFiles: undefined, journal: true, journalDirectory: join(dir, 'no-journal') });
    const j = await runOnce(nj);
    expect(summaries(j)[0].tags.result).toBe('error');
    expect(summaries(j)[0].fields.error).toMatch(/journal: true but there is no systemd journal here/);
  });
});

/** Journal files written by systemd-journal-remote from export-format entries (real journal files, real cursors); one boot, so the monotonic clock follows the wall clock. */
function writeJournal(file: string, entries: { at: number; program: string; msg: string }[]): void {
  const body = entries.map((e, i) => `__REALTIME_TIMESTAMP=${e.at * 1000}\n__MONOTONIC_TIMESTAMP=${e.at * 1000}\n_BOOT_ID=0123456789abcdef0123456789abcdef\nSYSLOG_FACILITY=4\nSYSLOG_IDENTIFIER=${e.program}\n_PID=77\nMESSAGE=${e.msg}\n\n`).join('');
  const r = spawnSync('/lib/systemd/systemd-journal-remote', ['-o', file, '-'], { input: body, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`systemd-journal-remote: ${r.stderr}`);
}

describe('auth_events: the systemd journal', () => {
  const skip = missing({ commands: ['journalctl', '/lib/systemd/systemd-journal-remote'] });
  it.skipIf(skip)('reads after its cursor; a vacuumed journal is gap=1 and loses no entry that is still there', async () => {
    const jdir = join(dir, 'journal');
    mkdirSync(jdir);
    const now = Date.now();
    const fails = (from: number, count: number, addr: string) => Array.from({ length: count }, (_, i) => ({ at: now - 60_000 + from + i, program: 'sshd', msg: `Failed password for root from ${addr} port ${from + i} ssh2` }));
    writeJournal(join(jdir, 'a.journal'), fails(0, 4, '203.0.113.20'));
    const e = entry([], { logFiles: undefined, journal: true, journalDirectory: jdir });
    const first = await runOnce(e);
    expect(summaries(first)[0].fields).toMatchObject({ failures: 4, gap: 0 });
    expect(summaries(first)[0].tags.result).toBe('ok');
    writeJournal(join(jdir, 'b.journal'), fails(100, 3, '203.0.113.21'));
    expect(summaries(await runOnce(e))[0].fields).toMatchObject({ failures: 3, gap: 0 });
    expect(summaries(await runOnce(e))[0].fields).toMatchObject({ failures: 0, gap: 0 });
    // journald vacuums the oldest files: the cursor's entry is gone, and so are entries never read.
    writeJournal(join(jdir, 'c.journal'), fails(200, 5, '203.0.113.22'));
    rmSync(join(jdir, 'a.journal'));
    rmSync(join(jdir, 'b.journal'));
    writeJournal(join(jdir, 'd.journal'), fails(300, 2, '203.0.113.23'));
    const v = await runOnce(e);
    expect(summaries(v)[0].fields).toMatchObject({ failures: 7, gap: 1 });
  });
});

describe('auth_events: a log the agent may not read', () => {
  const skip = missing({ root: true, commands: ['runuser'] });
  it.skipIf(skip)('names the file and the group to add the agent user to (canhgac-agent once as nobody)', async () => {
    const home = join(dir, 'nobody');
    chmodSync(dir, 0o755);
    mkdirSync(home);
    chmodSync(home, 0o777);
    const file = join(home, 'auth.log');
    writeFileSync(file, line(Date.now(), 'sshd', 'Failed password for root from 203.0.113.30 port 1 ssh2'));
    chownSync(file, 0, 4); // root:adm, as Debian ships /var/log/auth.log
    chmodSync(file, 0o640);
    const group = spawnSync('getent', ['group', '4'], { encoding: 'utf8' }).stdout.split(':')[0] || '4';
    const cfg = writeYaml(join(home, 'agent.yaml'), { checks: [{ type: 'auth_events', logFiles: [file], stateFile: join(home, 'state.json') }] });
    const r = await runCli(AGENT_BIN, ['once', '--config', cfg, '--json'], { wrap: ['runuser', '-u', 'nobody', '--'], env: { HOME: home, TSX_TSCONFIG_PATH: '' } });
    expect(r.code, r.stderr).toBe(0);
    const s = (JSON.parse(r.stdout) as WireSample[]).find((x) => x.measurement === 'auth_summary')!;
    expect(s.tags.result).toBe('error');
    expect(s.fields.error).toBe(`cannot read ${file}: permission denied; add the agent's user to the group ${group} (usermod -aG ${group} canhgac) and restart the agent`);
  });
});

describe('auth_events: Windows Security log (no Windows machine here: records shaped from the documented event schemas)', () => {
  for (const locale of ['en-US', 'vi-VN']) {
    it(`${locale}: every event id reads the same`, () => {
      const batch = parseWindowsOutput(readFileSync(join(import.meta.dirname, 'fixtures', `windows-${locale}.json`), 'utf8'));
      const events = batch.records.map(windowsEvent);
      const vi = locale === 'vi-VN';
      expect(events.map((e) => e?.kind)).toEqual(['failure', 'failure', 'success', undefined, undefined, 'lockout', 'user_created', 'admin_grant', undefined, 'admin_grant', 'log_cleared']);
      expect(events[0]).toMatchObject({ service: 'rdp', source: '203.0.113.7', user: vi ? 'quantri' : 'administrator', time: Date.parse('2026-12-01T01:02:03.123Z') });
      expect(events[1]).toMatchObject({ service: 'windows_logon', source: '203.0.113.8' });
      expect(events[2]).toMatchObject({ service: 'rdp', source: '203.0.113.7', user: vi ? 'nguyenvana' : 'jsmith' });
      expect(events[7]).toMatchObject({ user: 'S-1-5-21-1004336348-1177238915-682003330-1003', detail: 'added to Builtin\\Administrators' });
      expect(events[9]).toMatchObject({ user: vi ? 'Trần Thị B' : 'Jane Doe' });
      expect(events[10]).toMatchObject({ service: 'windows', source: `${vi ? 'PC-KETOAN\\quantri' : 'PC-ACCOUNTS\\administrator'}` });
      // Detections on them: the RDP success after failures needs more failures; new admins and the cleared log are findings.
      const d = new Detector(emptySnapshot(), { bruteForce: { failures: 10, withinMs: 600_000 }, spraying: { users: 5, withinMs: 600_000 }, successAfterFailures: { failures: 1, withinMs: 600_000 } }, undefined, 100);
      for (const e of events) if (e) d.event(e);
      const who = vi ? 'PC-KETOAN\\quantri' : 'PC-ACCOUNTS\\administrator';
      const domainWho = vi ? 'SOYTE\\quantri' : 'CORP\\administrator';
      expect(d.finish(Date.parse('2026-12-01T01:03:00Z'), 100).out.map((f) => `${f.episode.kind} ${f.episode.service} ${f.episode.source} ${f.episode.users.join(',')}`).sort()).toEqual(
        [
          `log_cleared windows ${who} ${vi ? 'quantri' : 'administrator'}`,
          `new_admin windows ${who} S-1-5-21-1004336348-1177238915-682003330-1003`,
          `new_admin windows ${domainWho} ${vi ? 'Trần Thị B' : 'Jane Doe'}`,
          `success_after_failures rdp 203.0.113.7 ${vi ? 'nguyenvana' : 'jsmith'}`,
        ].sort(),
      );
    });
  }

  it('PowerShell quirks: a BOM, null for an empty log, a /Date()/ time', () => {
    expect(parseWindowsOutput('\uFEFFnull').records).toEqual([]);
    const one = parseWindowsOutput('{"oldest":1,"events":{"record":7,"id":4625,"time":"/Date(1796100000000)/","data":{"IpAddress":"-","TargetUserName":"x","LogonType":"2"}}}');
    expect(windowsEvent(one.records[0])).toMatchObject({ time: 1796100000000, kind: 'failure', service: 'windows_logon', user: 'x' });
    expect(windowsEvent(one.records[0])!.source).toBeUndefined();
  });
});
