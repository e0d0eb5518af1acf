// Intrusion signals end to end (issue 17): a real sshd in a test namespace, an OpenSSH client in another
// one making exact numbers of failed logins, the agent process reading the log through a rotation and a
// kill -9, a real collector, influxd and SMTP server: exact counts in InfluxDB, the three findings with the
// client's address, one mail per kind and source. And useradd/usermod in a private root: a new admin.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../collector/state/users.ts';
import type { WireSample } from '../protocol/index.ts';
import { influxQuery, rows, startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { startMailServer, type MailServer } from '../scripts/lib/mail-server.ts';
import { AGENT_BIN, runCli, startProcess, waitFor, writeYaml } from './support/agent.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { createLan, type TestLan } from './support/netns-lan.ts';
import { missing } from './support/require.ts';
import { sshAttempt, startSshd, SyslogFile, type TestSshd } from './support/sshd.ts';

const skip = missing({ root: true, commands: ['influxd', 'sshd', 'ssh', 'unshare', 'openssl'] });
const log = (what: string) => console.log(`${new Date().toISOString()} ${what}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The agent names the host it runs on (the `host` tag), whatever name the log lines carry. */
const HOST = hostname();

describe.skipIf(skip)('auth_events end to end: real sshd, agent, collector, influxd, SMTP', () => {
  let dir: string;
  let lan: TestLan;
  let influx: Influxd;
  let smtp: MailServer;
  let tc: TestCollector;
  let sshd: TestSshd;
  let syslog: SyslogFile;
  let agentId: string;
  let agentFile: string;
  let agent: ReturnType<typeof startProcess> | undefined;
  const PORT = 2222;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canhgac-auth-e2e-'));
    lan = createLan({ hosts: 2 });
    [influx, smtp] = await Promise.all([startInfluxd(), startMailServer()]);
    tc = await startTestCollector(influx.url, {
      extra: {
        alerts: { evaluationInterval: '100ms', groupWait: '1s', repeatInterval: { critical: '1h', warning: '1h' }, consoleUrl: 'https://canhgac.example.vn' },
        smtp: { host: '127.0.0.1', port: smtp.port, secure: false, starttls: false, from: 'Canh Gác <canhgac@canhgac.example.vn>', maxBackoff: '1s', timeout: '2s' },
      },
    });
    syslog = new SyslogFile(join(dir, 'auth.log'), 'srv-web');
    sshd = await startSshd({ dir, ns: lan.hosts[0].ns, address: lan.hosts[0].ip, port: PORT, log: syslog, users: [{ name: 'canhgac-e2e', password: 'Đúng-mật-khẩu-1', uid: 60_123 }] });
    const enrolled = await tc.enrolAgent('so-y-te', 'srv-web');
    agentId = enrolled.agentId;
    mkdirSync(join(dir, 'agent'));
    writeFileSync(join(dir, 'agent', 'token'), enrolled.token, { mode: 0o600 });
    agentFile = writeYaml(join(dir, 'agent.yaml'), {
      collector: { url: tc.url, tokenFile: join(dir, 'agent', 'token') },
      agent: { statusInterval: '5s', maxSplay: '0s', sendInterval: '0.2s', logLevel: 'warn' },
      checks: [{ type: 'auth_events', interval: '5s', logFiles: [syslog.file], stateFile: join(dir, 'agent', 'auth-state.json') }],
    });
  }, 90_000);

  afterAll(async () => {
    await agent?.stop('SIGKILL');
    sshd?.stop();
    syslog?.close();
    lan?.teardown();
    await tc?.close();
    await smtp?.stop();
    await influx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const attacker = () => lan.hosts[1];
  const attempt = (user: string, password: string) => sshAttempt({ dir, ns: attacker().ns, address: sshd.address, port: PORT, user, password });
  const query = async (q: string) => rows(await influxQuery(influx.url, q, tc.config.influx.database));
  const totals = async () => {
    const r = (await query(`SELECT sum(failures) AS f, sum(successes) AS s, sum(gap) AS g FROM auth_summary WHERE agent = '${agentId}'`))[0];
    return { failures: Number(r?.f ?? 0), successes: Number(r?.s ?? 0), gap: Number(r?.g ?? 0) };
  };
  const waitFailures = (n: number, what: string) => waitFor(async () => (await totals()).failures >= n, { timeoutMs: 40_000, intervalMs: 250, what });

  it('12 failures for root across a rotation, 6 user names while the agent is killed, then a login: counted once, three findings, one mail each', async () => {
    agent = startProcess(AGENT_BIN, ['run', '--config', agentFile]);
    const ip = attacker().ip;
    for (let i = 0; i < 6; i++) expect(attempt('root', `sai-${i}`)).toBe(false);
    log('6 failures for root');
    await waitFailures(6, 'the first 6 failures in InfluxDB');
    syslog.rotate();
    for (let i = 6; i < 12; i++) expect(attempt('root', `sai-${i}`)).toBe(false);
    log('6 more failures after the rotation; kill -9 the agent');
    await sleep(2500 + Math.random() * 3000); // somewhere in a run or between two
    await agent.stop('SIGKILL');
    for (const u of ['admin', 'oracle', 'test', 'ubuntu', 'postgres', 'ketoan']) expect(attempt(u, 'Matkhau@123')).toBe(false);
    log('6 user names tried with the agent down; restart it');
    agent = startProcess(AGENT_BIN, ['run', '--config', agentFile]);
    expect(attempt('canhgac-e2e', 'Đúng-mật-khẩu-1')).toBe(true);
    await waitFor(async () => {
      const t = await totals();
      return t.failures >= 18 && t.successes >= 1;
    }, { timeoutMs: 60_000, intervalMs: 250, what: '18 failures and 1 success in InfluxDB' });
    await sleep(6000); // one more run: nothing counted twice
    expect(await totals()).toEqual({ failures: 18, successes: 1, gap: 0 });
    const found = await query(`SELECT * FROM auth_finding WHERE agent = '${agentId}'`);
    const started = found.filter((f) => f.started === 1).map((f) => `${f.kind} ${f.service} ${f.source}`).sort();
    expect(started).toEqual([`brute_force ssh ${ip}`, `password_spraying ssh ${ip}`, `success_after_failures ssh ${ip}`]);
    const saf = found.find((f) => f.kind === 'success_after_failures')!;
    expect(saf).toMatchObject({ user: 'canhgac-e2e', count: 18, host: HOST });
    const spray = found.filter((f) => f.kind === 'password_spraying').at(-1)!;
    expect(spray.count).toBe(7);
    expect(String(spray.user).split(', ').sort()).toEqual(['admin', 'ketoan', 'oracle', 'postgres', 'root', 'test', 'ubuntu']);
    expect(Math.max(...found.filter((f) => f.kind === 'brute_force').map((f) => Number(f.count)))).toBe(18);

    const summaries = [`Dò mật khẩu ssh từ ${ip} vào ${HOST}`, `Thử mật khẩu trên 7 tài khoản ssh từ ${ip} vào ${HOST}`, `Đăng nhập ssh thành công từ ${ip} vào ${HOST} sau 18 lần thất bại`];
    const mentioning = (s: string) => smtp.mails.filter((m) => m.text.includes(s));
    await waitFor(async () => summaries.every((s) => mentioning(s).length > 0), { timeoutMs: 30_000, intervalMs: 200, what: 'the three alert mails' });
    await sleep(3000); // later runs update the findings: still one mail each
    for (const s of summaries) expect(mentioning(s).map((m) => m.to.join(','))).toEqual(['it@soyte.example.vn']);
    const bf = mentioning(summaries[0])[0];
    expect(bf.text).toMatch(/Tài khoản bị thử: root[,.]/);
    expect(bf.text).toMatch(/từ \d\d:\d\d:\d\d \d\d\/\d\d\/\d{4} đến \d\d:\d\d:\d\d \d\d\/\d\d\/\d{4} \(ngưỡng: số lần thất bại trong 10 phút\)/);
    expect(bf.subject).toContain('[Sở Y tế]');

    // The console: the overview counts the attacking address, the agency page lists the findings.
    await createUser(tc.collector.state, { name: 'xem.tinh', password: 'xem-toan-tinh-1', role: 'viewer' });
    const login = await fetch(`${tc.url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: tc.url },
      body: new URLSearchParams({ username: 'xem.tinh', password: 'xem-toan-tinh-1' }).toString(),
    });
    expect(login.status).toBe(303);
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const overview = await (await fetch(`${tc.url}/console/`, { headers: { cookie } })).text();
    expect(overview).toContain('Địa chỉ tấn công trong 24 giờ: <strong id="attacking-sources">1</strong>');
    const agencyPage = await (await fetch(`${tc.url}/console/agencies/so-y-te?lang=en`, { headers: { cookie } })).text();
    const section = agencyPage.slice(agencyPage.indexOf('id="auth-findings"'));
    for (const text of ['Intrusion signals', 'Password guessing', 'Password spraying', 'Login after failures', `<code>${ip}</code>`, 'canhgac-e2e']) expect(section).toContain(text);
  }, 180_000);

  it('useradd, then usermod -aG sudo, inside a private root: a new_admin finding naming the user', async () => {
    const skipHere = missing({ commands: ['useradd', 'usermod', 'socat'] });
    if (skipHere) return;
    const root = join(dir, 'private-root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'dev'));
    writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\nsudo:x:27:\n');
    writeFileSync(join(root, 'etc', 'shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o600 });
    writeFileSync(join(root, 'etc', 'gshadow'), 'root:*::\nsudo:*::\n', { mode: 0o600 });
    // The tools log with syslog(3) to /dev/log of the root they work in: received here, written as rsyslog does.
    const receiver = spawn('socat', ['-u', `UNIX-RECV:${join(root, 'dev', 'log')},mode=666`, 'STDOUT'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let received = '';
    receiver.stdout.on('data', (d: Buffer) => (received += d.toString()));
    try {
      await waitFor(async () => readFileSync('/proc/net/unix', 'utf8').includes(join(root, 'dev', 'log')), { timeoutMs: 5000, intervalMs: 50, what: 'the /dev/log of the private root' });
      for (const cmd of [['useradd', '--root', root, '-M', 'mallory'], ['usermod', '--root', root, '-aG', 'sudo', 'mallory']]) {
        const done = await new Promise<number | null>((resolve) => spawn(cmd[0], cmd.slice(1), { stdio: 'ignore' }).on('close', resolve));
        expect(done).toBe(0);
      }
      await waitFor(async () => received.includes("to shadow group 'sudo'"), { timeoutMs: 5000, intervalMs: 50, what: 'the syslog messages of useradd and usermod' });
    } finally {
      receiver.kill('SIGKILL');
    }
    const file = join(dir, 'admin.log');
    const out = new SyslogFile(file, 'srv-web');
    for (const msg of received.split(/(?=<\d{1,3}>)/)) {
      const m = /^<\d{1,3}>\w{3} [ \d]\d \d\d:\d\d:\d\d (\w+)\[(\d+)\]: (.*)$/s.exec(msg.trim());
      if (m) out.write(m[1], Number(m[2]), m[3]);
    }
    out.close();
    const cfg = writeYaml(join(dir, 'admin.yaml'), { checks: [{ type: 'auth_events', logFiles: [file], stateFile: join(dir, 'admin-state.json') }] });
    const r = await runCli(AGENT_BIN, ['once', '--config', cfg, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const samples = JSON.parse(r.stdout) as WireSample[];
    const admin = samples.filter((s) => s.measurement === 'auth_finding');
    expect(admin.map((s) => [s.tags.kind, s.tags.service, s.fields.user, s.fields.count, s.fields.detail])).toEqual([['new_admin', 'system', 'mallory', 1, 'usermod: group sudo']]);
    expect(samples.find((s) => s.measurement === 'auth_summary')!.fields).toMatchObject({ accounts_created: 1, admin_grants: 1 });
  }, 60_000);
});
