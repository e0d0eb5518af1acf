import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type Collector } from '../collector/service.ts';
import { createAdminToken } from '../collector/state/admin-tokens.ts';
import { createUser } from '../collector/state/users.ts';
import { createEnrollCode } from '../collector/state/enroll-codes.ts';
import { rows, startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { AGENT_BIN, COLLECTOR_BIN, runCli, startProcess, waitFor, writeYaml } from './support/agent.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { startMailServer, type MailServer, type ReceivedMail } from '../scripts/lib/mail-server.ts';
import { missing } from './support/require.ts';

const skip = missing({ commands: ['influxd'] });
// Progress with timestamps: on a loaded machine a timeout then says which step was slow.
const log = (what: string) => console.log(`${new Date().toISOString()} ${what}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ALL_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

describe.skipIf(skip)('alerting end to end (real influxd, real SMTP server, real agent)', () => {
  let influx: Influxd;
  let smtp: MailServer;
  let tc: TestCollector;
  let collector: Collector;
  let url: string;
  let dir: string;
  let operator: string;
  const tokens: Record<string, string> = {};
  const secrets: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canhgac-alerts-'));
    [influx, smtp] = await Promise.all([startInfluxd(), startMailServer()]);
    tc = await startTestCollector(influx.url, {
      extra: {
        alerts: {
          evaluationInterval: '100ms',
          groupWait: '400ms',
          escalateAfter: '6s',
          repeatInterval: { critical: '1h', warning: '1h' },
          securityTeam: ['soc@canhgac.example.vn'],
          escalation: ['lanhdao@canhgac.example.vn'],
          consoleUrl: 'https://canhgac.example.vn',
          grafanaUrl: 'https://grafana.example.vn',
          rules: [{ name: 'target_down', for: '1s', resolveAfter: '2s' }],
          maintenance: [{ agency: 'ubnd-cang-long', days: ALL_DAYS, start: '00:00', end: '00:00', reason: 'bảo trì định kỳ' }],
        },
        smtp: { host: '127.0.0.1', port: smtp.port, secure: false, starttls: false, from: 'Canh Gác <canhgac@canhgac.example.vn>', maxBackoff: '1s', timeout: '2s' },
      },
    });
    collector = tc.collector;
    url = tc.url;
    operator = await createAdminToken(collector.state, 'ops-test', 'operator');
    secrets.push(operator);
    for (const agency of ['so-y-te', 'so-tu-phap', 'ubnd-cang-long']) tokens[agency] = await enrol(agency, `poster-${agency}`);
  }, 60_000);

  afterAll(async () => {
    await collector?.close();
    await smtp?.stop();
    await influx?.stop();
    if (tc) rmSync(tc.dir, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function enrol(agency: string, hostname: string): Promise<string> {
    const res = await fetch(`${url}/api/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: (await createEnrollCode(collector.state, agency, 3_600_000)).code, hostname, version: 'test' }),
    });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    secrets.push(token);
    return token;
  }
  const tcp = (port: number, up: number, name: string) => ({
    measurement: 'tcp',
    tags: { target: '127.0.0.1', port: String(port), name, result: up ? 'ok' : 'refused' },
    fields: up ? { up, connect_ms: 0.3 } : { up },
    time: new Date().toISOString(),
  });
  async function post(agency: string, samples: unknown[]): Promise<void> {
    const res = await fetch(`${url}/api/v1/samples`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[agency]}` }, body: JSON.stringify({ samples }) });
    expect(res.status).toBe(200);
  }
  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${operator}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }
  // Escalation mails go to another list and are asserted on their own (the escalation test); the
  // machine may be slow enough here for an alert to outlive escalateAfter.
  const about = (text: string) => smtp.mails.filter((m) => !m.subject.startsWith('[CHUYỂN CẤP]') && (m.subject.includes(text) || m.text.includes(text)));
  const waitMails = (pred: () => ReceivedMail[], n: number, what: string, timeoutMs = 20_000) =>
    waitFor(async () => pred().length >= n && pred(), { timeoutMs, intervalMs: 50, what });
  async function alertId(name: string): Promise<number> {
    const { json } = await api('GET', '/api/v1/alerts?state=active');
    const a = (json.alerts as { id: number; labels: Record<string, string> }[]).find((x) => x.labels.name === name);
    expect(a, `active alert for ${name}`).toBeDefined();
    return a!.id;
  }

  it('a loopback listener goes down: one firing mail after `for` to the agency contact; back up: one resolve mail; agent stopped: agent silent', async () => {
    const listen = async (port: number) => {
      const server = createServer((s) => s.destroy());
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
      return server;
    };
    let listener = await listen(0);
    const port = (listener.address() as { port: number }).port;
    const tokenFile = join(dir, 'agent.token');
    const config = writeYaml(join(dir, 'agent.yaml'), {
      collector: { url, tokenFile },
      agent: { maxSplay: '0s', sendInterval: '100ms', statusInterval: '1s' },
      checks: [{ type: 'tcp', name: 'Cổng dịch vụ công', targets: [`127.0.0.1:${port}`], interval: '1s', timeout: '500ms' }],
    });
    // Enrolled through the API (the agent's own `enroll` is proven by test/e2e.test.ts): one process start less.
    writeFileSync(tokenFile, `${await enrol('so-y-te', 'agent-pc')}\n`, { mode: 0o600 });
    const agent = startProcess(AGENT_BIN, ['run', '--config', config]);
    try {
      await waitFor(async () => collector.stats.samplesAccepted >= 3, { what: 'agent samples', timeoutMs: 60_000 });
      log('agent reports; closing the listener');
      await new Promise((r) => listener.close(r));
      const wentDown = Date.now();
      const [firing] = await waitMails(() => about('Cổng dịch vụ công'), 1, 'firing mail');
      expect(firing.subject).toBe(`[NGHIÊM TRỌNG][Sở Y tế] Mất kết nối tới Cổng dịch vụ công (127.0.0.1:${port})`);
      expect(firing.to.sort()).toEqual(['it@soyte.example.vn', 'soc@canhgac.example.vn']);
      expect(firing.at - wentDown).toBeGreaterThanOrEqual(1000); // not before `for`
      expect(firing.text).toContain('Giờ hiển thị theo giờ Việt Nam');
      expect(firing.html).toContain('https://canhgac.example.vn/alerts/');
      expect(firing.html).toContain('https://grafana.example.vn/d/canhgac-availability?var-agency=so-y-te');

      log('firing mail received; listening again');
      listener = await listen(port);
      const [, resolved] = await waitMails(() => about('Cổng dịch vụ công'), 2, 'resolve mail');
      expect(resolved.subject).toBe(`[ĐÃ KHẮC PHỤC][Sở Y tế] Mất kết nối tới Cổng dịch vụ công (127.0.0.1:${port})`);
      await sleep(1500);
      expect(about('Cổng dịch vụ công')).toHaveLength(2);

      log('resolve mail received; stopping the agent');
      await agent.stop('SIGKILL');
      log('agent stopped; waiting for the agent-silent mail');
      const stopped = Date.now();
      // 3 × the 1 s status interval after the last status sample, then groupWait.
      const [silent] = await waitMails(() => about('ngừng gửi dữ liệu').filter((m) => m.at > stopped && m.subject.startsWith('[NGHIÊM TRỌNG]')), 1, 'agent silent mail', 20_000);
      expect(silent.subject).toMatch(/^\[NGHIÊM TRỌNG\]\[Sở Y tế\] Agent \S+ ngừng gửi dữ liệu$/);
      expect(silent.at - stopped).toBeGreaterThanOrEqual(1000);
    } finally {
      // stop() waits for an exit that already happened when called twice on a killed child.
      if (agent.child.exitCode === null && agent.child.signalCode === null) await agent.stop('SIGKILL');
      listener.close();
    }
  }, 180_000);

  it('three targets of one agency: one grouped mail; a second agency: its own mail', async () => {
    await post('so-y-te', [tcp(7101, 0, 'Nhóm A1'), tcp(7102, 0, 'Nhóm A2'), tcp(7103, 0, 'Nhóm A3')]);
    await post('so-tu-phap', [tcp(7104, 0, 'Nhóm B1')]);
    await waitMails(() => about('Nhóm '), 2, 'grouped mails');
    await sleep(800);
    const mails = about('Nhóm ');
    expect(mails).toHaveLength(2);
    const yte = mails.find((m) => m.subject.includes('[Sở Y tế]'))!;
    expect(yte.subject).toMatch(/^\[NGHIÊM TRỌNG\]\[Sở Y tế\] Mất kết nối tới Nhóm A\d \(127\.0\.0\.1:710\d\) \(\+2 cảnh báo khác\)$/);
    for (const n of ['Nhóm A1', 'Nhóm A2', 'Nhóm A3']) expect(yte.text).toContain(n);
    expect(mails.find((m) => m.subject.includes('[Sở Tư pháp]'))!.to).toContain('it@sotuphap.example.vn');
    await post('so-y-te', [tcp(7101, 1, 'Nhóm A1'), tcp(7102, 1, 'Nhóm A2'), tcp(7103, 1, 'Nhóm A3')]);
    await post('so-tu-phap', [tcp(7104, 1, 'Nhóm B1')]);
    await waitMails(() => about('Nhóm ').filter((m) => m.subject.startsWith('[ĐÃ KHẮC PHỤC]')), 2, 'grouped resolve mails');
  }, 60_000);

  it('flapping inside the hysteresis window: one firing and one resolve mail, no storm; acknowledgement recorded', async () => {
    await post('so-tu-phap', [tcp(7201, 0, 'Máy chủ chập chờn')]);
    await waitMails(() => about('Máy chủ chập chờn'), 1, 'firing mail');
    const ack = await api('POST', `/api/v1/alerts/${await alertId('Máy chủ chập chờn')}/ack`, { note: 'đang xử lý' });
    expect(ack.status).toBe(200);
    expect(ack.json.alert).toMatchObject({ ackedBy: 'ops-test', ackNote: 'đang xử lý' });
    // Up for 200 ms at a time: never for resolveAfter (2 s).
    for (let i = 0; i < 8; i++) {
      await post('so-tu-phap', [tcp(7201, 1, 'Máy chủ chập chờn')]);
      await sleep(200);
      await post('so-tu-phap', [tcp(7201, 0, 'Máy chủ chập chờn')]);
      await sleep(200);
    }
    await post('so-tu-phap', [tcp(7201, 1, 'Máy chủ chập chờn')]);
    await waitMails(() => about('Máy chủ chập chờn'), 2, 'resolve mail');
    await sleep(800);
    const mails = about('Máy chủ chập chờn');
    expect(mails.map((m) => m.subject.slice(0, 16))).toEqual(['[NGHIÊM TRỌNG][S', '[ĐÃ KHẮC PHỤC][S']);
  }, 60_000);

  it('a silence and a maintenance window: no mail, history shows suppressed, and no resolve mail', async () => {
    const created = await api('POST', '/api/v1/silences', { matchers: { agency: 'so-tu-phap', name: '~Kho lưu trữ.*' }, duration: '1h', reason: 'thay bộ định tuyến' });
    expect(created.status).toBe(200);
    await post('so-tu-phap', [tcp(7301, 0, 'Kho lưu trữ')]);
    await post('ubnd-cang-long', [tcp(7302, 0, 'Một cửa huyện')]);
    await sleep(2500);
    await post('so-tu-phap', [tcp(7301, 1, 'Kho lưu trữ')]);
    await post('ubnd-cang-long', [tcp(7302, 1, 'Một cửa huyện')]);
    await sleep(3000);
    expect(about('Kho lưu trữ')).toHaveLength(0);
    expect(about('Một cửa huyện')).toHaveLength(0);
    const history = (await api('GET', '/api/v1/notifications')).json.notifications as { status: string; kind: string; subject: string }[];
    const silenced = history.find((n) => n.subject.includes('Kho lưu trữ'));
    const windowed = history.find((n) => n.subject.includes('Một cửa huyện'));
    expect(silenced).toMatchObject({ status: 'suppressed', kind: `suppressed: silence #${(created.json.silence as { id: number }).id}: thay bộ định tuyến (ops-test)` });
    expect(windowed).toMatchObject({ status: 'suppressed', kind: 'suppressed: bảo trì định kỳ', subject: '[NGHIÊM TRỌNG][UBND huyện Càng Long] Mất kết nối tới Một cửa huyện (127.0.0.1:7302)' });
    expect(history.filter((n) => n.subject.includes('Kho lưu trữ') || n.subject.includes('Một cửa huyện'))).toHaveLength(2);
  }, 60_000);

  it('escalation after the unacknowledged period; an acknowledged alert is not escalated', async () => {
    await post('so-tu-phap', [tcp(7401, 0, 'Máy chủ A'), tcp(7402, 0, 'Máy chủ B')]);
    await waitMails(() => about('Máy chủ A'), 1, 'firing mail');
    const ack = await api('POST', `/api/v1/alerts/${await alertId('Máy chủ B')}/ack`);
    expect(ack.status).toBe(200);
    const [escalation] = await waitMails(() => smtp.mails.filter((m) => m.subject.startsWith('[CHUYỂN CẤP]') && m.text.includes('Máy chủ A')), 1, 'escalation mail', 20_000);
    expect(escalation.to).toEqual(['lanhdao@canhgac.example.vn']);
    expect(escalation.subject).toBe('[CHUYỂN CẤP][NGHIÊM TRỌNG][Sở Tư pháp] Mất kết nối tới Máy chủ A (127.0.0.1:7401)');
    expect(smtp.mails.filter((m) => m.subject.startsWith('[CHUYỂN CẤP]') && m.text.includes('Máy chủ B'))).toHaveLength(0);
    await post('so-tu-phap', [tcp(7401, 1, 'Máy chủ A'), tcp(7402, 1, 'Máy chủ B')]);
  }, 60_000);

  it('SMTP server stopped for a while: the mail is retried and arrives after it is back', async () => {
    await smtp.stop();
    await post('so-y-te', [tcp(7501, 0, 'Máy chủ thư')]);
    const failing = await waitFor(
      async () => {
        const list = (await api('GET', '/api/v1/notifications?agency=so-y-te')).json.notifications as { subject: string; status: string; attempts: number; lastError: string | null }[];
        return list.find((n) => n.subject.includes('Máy chủ thư') && n.attempts >= 2);
      },
      { what: 'failed delivery attempts', timeoutMs: 20_000 },
    );
    expect(['queued', 'sending']).toContain(failing.status); // waiting for its retry, or being retried
    expect(failing.lastError).toMatch(/ECONNREFUSED|connect/);
    await smtp.start();
    const [mail] = await waitMails(() => about('Máy chủ thư'), 1, 'mail after SMTP is back', 20_000);
    expect(mail.subject).toBe('[NGHIÊM TRỌNG][Sở Y tế] Mất kết nối tới Máy chủ thư (127.0.0.1:7501)');
    const sent = ((await api('GET', '/api/v1/notifications?agency=so-y-te')).json.notifications as { subject: string; status: string; attempts: number }[]).find((n) => n.subject === mail.subject)!;
    expect(sent.status).toBe('sent');
    expect(sent.attempts).toBeGreaterThanOrEqual(3);
    await post('so-y-te', [tcp(7501, 1, 'Máy chủ thư')]);
    await waitMails(() => about('Máy chủ thư'), 2, 'resolve mail');
  }, 60_000);

  it('collector restarted while an alert fires: no duplicate mail, the resolve still comes', async () => {
    await post('so-y-te', [tcp(7601, 0, 'Máy chủ khởi động lại')]);
    await waitMails(() => about('Máy chủ khởi động lại'), 1, 'firing mail');
    await collector.close();
    collector = await startCollector(tc.config, { schemaRetryMs: 200 });
    url = collector.url;
    await post('so-y-te', [tcp(7601, 0, 'Máy chủ khởi động lại')]);
    await sleep(2000);
    expect(about('Máy chủ khởi động lại')).toHaveLength(1);
    await post('so-y-te', [tcp(7601, 1, 'Máy chủ khởi động lại')]);
    const mails = await waitMails(() => about('Máy chủ khởi động lại'), 2, 'resolve mail after restart');
    expect(mails[1].subject).toBe('[ĐÃ KHẮC PHỤC][Sở Y tế] Mất kết nối tới Máy chủ khởi động lại (127.0.0.1:7601)');
  }, 60_000);

  it('certificate expiring and new LAN device rules fire from the samples those checks produce', async () => {
    const now = new Date().toISOString();
    await post('so-y-te', [
      {
        measurement: 'tls_cert',
        tags: { target: '127.0.0.1:8443', name: 'Cổng thông tin', subject_cn: 'portal.example.vn', issuer_cn: 'Test CA', result: 'ok' },
        fields: { up: 1, days_left: 12.4, not_after_seconds: Math.floor(Date.now() / 1000) + 12 * 86_400, expired: 0, chain_valid: 1, hostname_match: 1, self_signed: 0, legacy_tls: 0 },
        time: now,
      },
    ]);
    await post('so-tu-phap', [{ measurement: 'lan_summary', tags: { subnet: '192.0.2.0/24' }, fields: { devices: 14, new_devices: 2, exposed_services: 0 }, time: now }]);
    const [cert] = await waitMails(() => about('Cổng thông tin'), 1, 'certificate mail');
    expect(cert.subject).toBe('[CẢNH BÁO][Sở Y tế] Chứng chỉ Cổng thông tin (127.0.0.1:8443) sắp hết hạn (còn 12.4 ngày)');
    expect(cert.to).toEqual(['it@soyte.example.vn']); // warnings are not the security team's by default
    const [lan] = await waitMails(() => about('thiết bị mới'), 1, 'new device mail');
    expect(lan.subject).toBe('[CẢNH BÁO][Sở Tư pháp] Phát hiện 2 thiết bị mới trong mạng 192.0.2.0/24');
  }, 60_000);

  it('a province-wide admin sends a test mail from the console through the relay; an agency admin may not', async () => {
    await createUser(collector.state, { name: 'quantri', password: 'quantri-password-1', role: 'admin' });
    await createUser(collector.state, { name: 'qt.soyte', password: 'qt-soyte-password-1', role: 'admin', agency: 'so-y-te' });
    const form = (fields: Record<string, string>) => ({ 'content-type': 'application/x-www-form-urlencoded', origin: url, body: new URLSearchParams(fields).toString() });
    const session = async (username: string, password: string) => {
      const { body, ...headers } = form({ username, password });
      const res = await fetch(`${url}/console/login`, { method: 'POST', redirect: 'manual', headers, body });
      expect(res.status).toBe(303);
      const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const page = await (await fetch(`${url}/console/notifications`, { headers: { cookie } })).text();
      return { cookie, page, csrf: /name="csrf-token" content="([^"]+)"/.exec(page)![1] };
    };
    const sendTest = (s: { cookie: string; csrf: string }, to: string) => {
      const { body, ...headers } = form({ _csrf: s.csrf, to });
      return fetch(`${url}/console/test-mail`, { method: 'POST', headers: { ...headers, cookie: s.cookie }, body });
    };

    const admin = await session('quantri', 'quantri-password-1');
    expect(admin.page).toContain('id="test-mail-form"');
    const res = await sendTest(admin, 'kiemtra@canhgac.example.vn');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`Đã gửi thư thử tới kiemtra@canhgac.example.vn qua 127.0.0.1:${smtp.port}.`);
    const [mail] = await waitMails(() => smtp.mails.filter((m) => m.to.includes('kiemtra@canhgac.example.vn')), 1, 'the test mail');
    expect(mail.from).toContain('canhgac@canhgac.example.vn');
    expect((await sendTest(admin, 'not an address')).status).toBe(400);

    const scoped = await session('qt.soyte', 'qt-soyte-password-1');
    expect(scoped.page).not.toContain('test-mail-form');
    expect((await sendTest(scoped, 'kiemtra@canhgac.example.vn')).status).toBe(403);
    await sleep(500);
    expect(smtp.mails.filter((m) => m.to.includes('kiemtra@canhgac.example.vn'))).toHaveLength(1);
  }, 60_000);

  it('mails carry no secret; state changes are in InfluxDB for annotations; the CLI lists the history', async () => {
    for (const m of smtp.mails) for (const s of secrets) expect(m.raw).not.toContain(s);
    const points = await waitFor(async () => {
      const r = rows(await influx.query(`SELECT * FROM "alerts" WHERE "rule" = 'target_down'`, tc.config.influx.database));
      return r.some((p) => p.state === 'resolved') && r;
    }, { what: 'alert annotations', timeoutMs: 30_000 });
    expect(points.some((p) => p.state === 'firing' && p.firing === 1 && p.agency === 'so-y-te')).toBe(true);
    const cli = await runCli(COLLECTOR_BIN, ['notifications', '--config', tc.configFile, '--agency', 'so-y-te']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain('Mất kết nối tới Máy chủ thư');
    expect(cli.stdout).toMatch(/sent/);
  }, 60_000);
});
