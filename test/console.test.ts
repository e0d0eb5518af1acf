import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertStore } from '../collector/alerts/store.ts';
import { listAlerts, listNotifications } from '../collector/alerts/alert-queries.ts';
import { createUser } from '../collector/state/users.ts';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { AGENT_BIN, ROOT, runCli, startProcess, waitFor, writeYaml } from './support/agent.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';
import { CHROMIUM_ARGS } from './support/browser.ts';

const skip = missing({ commands: ['chromium', 'influxd'] });

const SHOTS = join(ROOT, 'test-artifacts', 'screenshots');
const ADMIN_PASSWORD = 'Mật-khẩu-quản-trị-2026';
const VIEWER_PASSWORD = 'tu-phap-viewer-pass';

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * The console in Debian's chromium against a real collector, InfluxDB and agent process: everything a
 * user would click, and what they would then see.
 */
describe.skipIf(skip)('web console in a real browser', () => {
  let influx: Influxd;
  let tc: TestCollector;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let dir: string;
  let agent: ReturnType<typeof startProcess> | undefined;
  let agentId = '';
  let portAcked = 0;
  let portSilenced = 0;
  let store: AlertStore;

  const url = (p: string) => `${tc.url}${p}`;
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });

  async function login(p: Page, name: string, password: string) {
    await p.goto(url('/console/'));
    await p.waitForURL(/\/console\/login/);
    await p.fill('input[name=username]', name);
    await p.fill('input[name=password]', password);
    await p.click('#login-form button[type=submit]');
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'canhgac-console-'));
    portAcked = await closedPort();
    portSilenced = await closedPort();
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url, {
      extra: {
        alerts: {
          evaluationInterval: '100ms',
          groupWait: '0s',
          repeatInterval: { critical: '1s' },
          rules: [{ name: 'target_down', for: '0s', resolveAfter: '1h' }],
        },
      },
    });
    store = new AlertStore(tc.collector.state);
    await createUser(tc.collector.state, { name: 'admin', password: ADMIN_PASSWORD, role: 'admin' });
    await createUser(tc.collector.state, { name: 'tuphap', password: VIEWER_PASSWORD, role: 'operator', agency: 'so-tu-phap' });
    await createUser(tc.collector.state, { name: 'victim', password: 'victim-password-1', role: 'viewer' });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    admin = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'vi-VN' });
    page = await admin.newPage();
    page.on('dialog', (d) => void d.accept());
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await browser?.close();
    await tc?.close();
    await influx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('throttles logins per address and user: the sixth try is refused even with the right password', async () => {
    const attempt = (password: string, user = 'victim') =>
      fetch(url('/console/login'), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: user, password }).toString() });
    for (let i = 0; i < 5; i++) expect((await attempt('wrong-password')).status).toBe(401);
    const locked = await attempt('victim-password-1');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await locked.text()).toContain('Đăng nhập sai quá nhiều lần');
    // Another user from the same address is not locked out.
    const other = await attempt(ADMIN_PASSWORD, 'admin');
    expect(other.status).toBe(303);
  });

  it('logs in and sends the security headers and cookie flags a browser needs', async () => {
    const res = await page.goto(url('/console/login'));
    const h = res!.headers();
    expect(h['content-security-policy']).toContain("script-src 'self'");
    expect(h['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(h['x-frame-options']).toBe('DENY');
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['referrer-policy']).toBe('same-origin');
    await login(page, 'admin', ADMIN_PASSWORD);
    await page.waitForURL(url('/console/'));
    const cookie = (await admin.cookies()).find((c) => c.name === 'canhgac_session')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Strict');
    await expect(page.locator('#reporting-count').textContent()).resolves.toBe('0/3 cơ quan đang báo cáo');
  });

  it('creates an enrolment code in the UI, a real agent enrols with it, and the overview counts it', async () => {
    await page.goto(url('/console/agents'));
    await page.selectOption('#code-form select[name=agency]', 'so-y-te');
    await page.fill('#code-form input[name=note]', 'máy chủ phòng CNTT');
    await page.click('#code-form button[type=submit]');
    const code = (await page.locator('#new-code').textContent())!.trim();
    expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await shot('agents-code');

    const config = writeYaml(join(dir, 'agent.yaml'), {
      collector: { url: tc.url, tokenFile: join(dir, 'agent.token') },
      agent: { maxSplay: '0s', sendInterval: '200ms', statusInterval: '1s', maxBackoff: '1s' },
      outbox: { dir: join(dir, 'outbox') },
      checks: [{ type: 'tcp', name: 'dich-vu', targets: [`127.0.0.1:${portAcked}`, `127.0.0.1:${portSilenced}`], interval: '1s', timeout: '500ms' }],
    });
    const enrolled = await runCli(AGENT_BIN, ['enroll', '--config', config, '--code', code]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    agentId = /enrolled as agent (\S+)/.exec(enrolled.stdout)![1];

    // The silence is made before the agent reports, so the second target's alert is born silenced.
    await page.goto(url('/console/alerts'));
    await page.selectOption('#silence-form select[name=agency]', 'so-y-te');
    await page.selectOption('#silence-form select[name=rule]', 'target_down');
    await page.fill('#silence-form input[name=labels]', `port=${portSilenced}`);
    await page.fill('#silence-form input[name=reason]', 'Bảo trì máy chủ theo kế hoạch');
    await page.click('#silence-form button[type=submit]');
    await expect(page.locator('table.silences').textContent()).resolves.toContain('Bảo trì máy chủ theo kế hoạch');

    agent = startProcess(AGENT_BIN, ['run', '--config', config]);
    await page.goto(url('/console/agents'));
    await expect(page.locator('table.agents').textContent()).resolves.toContain(agentId);
    // The code is spent: its row now names the host that used it.
    await expect(page.locator('table.codes tr', { hasText: 'máy chủ phòng CNTT' }).textContent()).resolves.not.toContain('Chưa dùng');

    await waitFor(async () => {
      await page.goto(url('/console/'));
      return (await page.locator('#reporting-count').textContent()) === '1/3 cơ quan đang báo cáo';
    }, { what: 'the overview counting the agency as reporting', timeoutMs: 45_000, intervalMs: 500 });
    // Current state the console keeps from the ingest stream: sent through the real API with the agent's own token.
    const token = readFileSync(join(dir, 'agent.token'), 'utf8').trim();
    const now = new Date().toISOString();
    const vc = (endpoint: string, ready: number, reason = '') => ({ measurement: 'videoconf', tags: { endpoint }, fields: { ready, loss_percent: ready ? 0 : 40, sent: 20, received: ready ? 20 : 12, mos: ready ? 4.3 : 2.1, rtt_ms: 3.5, reason }, time: now });
    const posted = await fetch(url('/api/v1/samples'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        samples: [
          vc('Phòng họp tầng 2', 1),
          vc('Hội trường lớn', 1),
          vc('Phòng giao ban', 0, 'loss 40% ≥ 1%; SIP udp/5060 no SIP answer'),
          { measurement: 'tls_cert', tags: { target: '127.0.0.1:8443', result: 'ok', subject_cn: 'cong.soyte.example.vn' }, fields: { up: 1, days_left: 12.5, not_after_seconds: Math.floor(Date.now() / 1000) + 12.5 * 86_400, expired: 0 }, time: now },
          { measurement: 'security', tags: { check_id: 'risky_ports', severity: 'high', status: 'fail' }, fields: { pass: 0, detail: 'telnet listening on 0.0.0.0:23' }, time: now },
          { measurement: 'security_score', tags: {}, fields: { score_percent: 62.5, passed: 5, failed: 3 }, time: now },
        ],
      }),
    });
    expect(posted.status).toBe(200);
    await page.goto(url('/console/videoconf'));
    await expect(page.locator('#vc-ready').textContent()).resolves.toBe('2/3');
    await expect(page.locator('.tile.down .tname').textContent()).resolves.toBe('Phòng giao ban');
    // The agent's reason is English; the tile says it in Vietnamese.
    await expect(page.locator('.tile.down .treason').textContent()).resolves.toBe('mất gói 40% ≥ 1%; SIP udp/5060: không có trả lời SIP');
    await page.goto(url('/console/agencies/so-y-te'));
    await expect(page.locator('table.checks').textContent()).resolves.toContain('Gỡ hoặc tắt dịch vụ');
    await expect(page.locator('table.certs').textContent()).resolves.toContain('Sắp hết hạn');

    await page.goto(url('/console/'));
    const soYTe = page.locator('li.agency', { hasText: 'Sở Y tế' });
    await expect(soYTe.getAttribute('class')).resolves.toContain('ok');
    await expect(page.locator('li.agency', { hasText: 'Sở Tư pháp' }).getAttribute('class')).resolves.toContain('none');
  }, 90_000);

  it('shows the alert the pipeline raised; acknowledging it in the UI stops the repeats', async () => {
    const acked = await waitFor(async () => (await listAlerts(tc.collector.state, { state: 'active' })).find((a) => a.labels.port === String(portAcked)), { what: 'target_down for the first port', timeoutMs: 20_000 });
    const repeats = async () => (await listNotifications(tc.collector.state, { limit: 1000 })).filter((n) => n.kind === 'repeat' && n.alertIds.includes(acked.id)).length;
    await waitFor(async () => (await repeats()) >= 2, { what: 'repeat notifications every second', timeoutMs: 15_000 });

    await page.goto(url('/console/'));
    // Both target_down alerts and whatever else the posted samples raised (a failed security check, an expiring certificate).
    const active = await listAlerts(tc.collector.state, { state: 'active' });
    expect(active.length).toBeGreaterThanOrEqual(2);
    await expect(page.locator('#active-alert-count').textContent()).resolves.toBe(String(active.length));
    await shot('overview');
    await page.goto(url('/console/alerts'));
    await shot('alerts');
    await page.click(`button[data-ack="${acked.id}"]`);
    await page.waitForURL(/\/console\/alerts\?ok=1/);
    await expect(page.locator('table.alerts').first().textContent()).resolves.toContain('Đã xác nhận: admin');
    const atAck = await repeats();
    await new Promise((r) => setTimeout(r, 3000));
    expect(await repeats()).toBe(atAck);

    // The notification history page shows the repeats that were sent before the acknowledgement.
    await page.goto(url('/console/notifications'));
    const rows = await page.locator('table.notifications tbody tr', { hasText: `#${acked.id}` }).allTextContents();
    expect(rows.filter((r) => r.includes('repeat')).length).toBe(atAck);
    await shot('notifications');
  }, 60_000);

  it('the silence made in the UI suppresses the second alert: no mail, a suppressed entry instead', async () => {
    const silenced = await waitFor(async () => (await listAlerts(tc.collector.state, { state: 'active' })).find((a) => a.labels.port === String(portSilenced)), { what: 'target_down for the silenced port', timeoutMs: 20_000 });
    await waitFor(async () => (await store.get(silenced.id))!.suppressedAt !== null, { what: 'the alert marked suppressed', timeoutMs: 10_000 });
    const mails = (await listNotifications(tc.collector.state, { limit: 1000 })).filter((n) => n.alertIds.includes(silenced.id));
    expect(mails.map((n) => n.status)).toEqual(['suppressed']);
    expect(mails[0].kind).toContain('Bảo trì máy chủ theo kế hoạch');
    await page.goto(url(`/console/alerts/${silenced.id}`));
    await expect(page.locator('table.notifications').textContent()).resolves.toContain('suppressed');
  });

  it('pages render in Vietnamese at 1366x768, and switch to English', async () => {
    for (const [name, path, title] of [
      ['agency', '/console/agencies/so-y-te', 'Sở Y tế'],
      ['videoconf', '/console/videoconf', 'Hội nghị truyền hình'],
      ['certificates', '/console/certificates', 'Chứng thư số'],
      ['agents', '/console/agents', 'Agent & mã đăng ký'],
      ['report', '/console/report', 'Báo cáo tháng'],
    ] as const) {
      await page.goto(url(path));
      await expect(page.locator('h1').textContent()).resolves.toBe(title);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${path} is wider than 1366 px`).toBeLessThanOrEqual(0);
      await shot(name);
    }
    // The on-demand readiness check: the button calls the meeting-check API with the session and CSRF header.
    await page.goto(url('/console/videoconf'));
    await page.click('#vc-check');
    await waitFor(async () => /\d+\/\d+ ✓|chưa có|^\d{3}:/.test((await page.locator('#vc-check-result').textContent()) ?? ''), { what: 'the readiness check answer', timeoutMs: 20_000 });
    expect(await page.locator('#vc-check-result').textContent()).toMatch(/^\d+\/\d+ ✓ · agents \d+\/\d+$/);
    await page.goto(url('/console/?lang=en'));
    await expect(page.locator('#reporting-count').textContent()).resolves.toBe('1/3 agencies reporting');
    await page.goto(url('/console/alerts'));
    await expect(page.locator('h1').textContent()).resolves.toBe('Alerts');
    await page.goto(url('/console/?lang=vi'));
  });

  it('refuses a form post without the CSRF token, even with the session cookie', async () => {
    const cookie = (await admin.cookies()).find((c) => c.name === 'canhgac_session')!;
    const res = await fetch(url('/console/enroll-codes'), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `canhgac_session=${cookie.value}` },
      body: 'agency=so-y-te&ttl=24h',
    });
    expect(res.status).toBe(403);
    // The API takes the session for reads; an unsafe call needs the token as a header.
    const ack = await fetch(url('/api/v1/alerts/1/ack'), { method: 'POST', headers: { 'content-type': 'application/json', cookie: `canhgac_session=${cookie.value}` }, body: '{}' });
    expect(ack.status).toBe(401);
    const read = await fetch(url('/api/v1/alerts'), { headers: { cookie: `canhgac_session=${cookie.value}` } });
    expect(read.status).toBe(200);
  });

  it('an agency-scoped user sees only their agency, in the UI and through the API', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    try {
      const p = await ctx.newPage();
      await login(p, 'tuphap', VIEWER_PASSWORD);
      await p.waitForURL(url('/console/'));
      await expect(p.locator('#reporting-count').textContent()).resolves.toBe('0/1 cơ quan đang báo cáo');
      await expect(p.locator('body').textContent()).resolves.not.toContain('Sở Y tế');
      expect((await p.goto(url('/console/agencies/so-y-te')))!.status()).toBe(403);
      expect((await p.goto(url('/console/agencies/so-tu-phap')))!.status()).toBe(200);
      await p.goto(url('/console/alerts'));
      await expect(p.locator('main').textContent()).resolves.not.toContain('Sở Y tế');
      const someAlert = (await listAlerts(tc.collector.state, { state: 'all' }))[0];
      expect((await p.goto(url(`/console/alerts/${someAlert.id}`)))!.status()).toBe(404);
      await p.goto(url('/console/agents'));
      await expect(p.locator('main').textContent()).resolves.not.toContain(agentId);
      expect((await p.goto(url('/console/report')))!.status()).toBe(403);

      // The API with the same session cookie, directly.
      expect((await p.request.get(url('/api/v1/agencies/so-y-te/devices'))).status()).toBe(403);
      expect((await p.request.get(url('/api/v1/agencies/so-tu-phap/devices'))).status()).toBe(200);
      expect((await p.request.get(url('/api/v1/alerts?agency=so-y-te&state=all'))).status()).toBe(403);
      const own = (await (await p.request.get(url('/api/v1/alerts?state=all'))).json()) as { alerts: { agency: string }[] };
      expect(own.alerts.filter((a) => a.agency !== 'so-tu-phap')).toEqual([]);
      // An operator of another agency cannot acknowledge this one, with a valid CSRF header either: to them
      // it does not exist (404, as for an id nobody has).
      const csrf = await p.locator('meta[name=csrf-token]').getAttribute('content');
      const ack = await p.request.post(url(`/api/v1/alerts/${someAlert.id}/ack`), { headers: { 'x-csrf-token': csrf! }, data: {} });
      expect(ack.status()).toBe(404);

      // Logging out ends the session on the server: the old cookie opens nothing any more.
      const old = (await ctx.cookies()).find((c) => c.name === 'canhgac_session')!.value;
      await p.goto(url('/console/'));
      await p.click('header form button[type=submit]');
      await p.waitForURL(/\/console\/login/);
      expect((await fetch(url('/api/v1/alerts'), { headers: { cookie: `canhgac_session=${old}` } })).status).toBe(401);
    } finally {
      await ctx.close();
    }
  });

  it('an administrator adds a user, resets a password and disables an account in the UI; the account follows at once', async () => {
    await page.goto(url('/console/users'));
    await page.fill('#user-form input[name=name]', 'nguyen.van.an');
    await page.selectOption('#user-form select[name=role]', 'operator');
    await page.selectOption('#user-form select[name=agency]', 'so-y-te');
    await page.click('#user-form button[type=submit]');
    const first = (await page.locator('#new-password').textContent())!.trim();
    expect(first).toMatch(/^[A-Za-z0-9]{16}$/);
    await expect(page.locator('table.users').textContent()).resolves.toContain('nguyen.van.an');
    await shot('users');

    const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    try {
      const p = await ctx.newPage();
      await login(p, 'nguyen.van.an', first);
      await p.waitForURL(url('/console/'));
      await expect(p.locator('#reporting-count').textContent()).resolves.toMatch(/\/1 cơ quan đang báo cáo$/); // scoped to Sở Y tế
      await expect(p.locator('nav.nav').textContent()).resolves.not.toContain('Người dùng');
      expect((await p.goto(url('/console/users')))!.status()).toBe(403);

      // Disabled: the open session ends at once, and the password no longer logs in.
      const row = page.locator('table.users tr', { hasText: 'nguyen.van.an' });
      await page.goto(url('/console/users'));
      await row.locator('button[data-user-action=disable]').click();
      await page.waitForURL(/\/console\/users\?done=disable/);
      await expect(row.textContent()).resolves.toContain('Đã khóa');
      await p.goto(url('/console/'));
      await p.waitForURL(/\/console\/login/);
      await login(p, 'nguyen.van.an', first);
      await expect(p.locator('main').textContent()).resolves.toContain('Sai tên đăng nhập hoặc mật khẩu.');

      // Enabled again with a new password: the new one works, the old one does not.
      await row.locator('button[data-user-action=enable]').click();
      await page.waitForURL(/\/console\/users\?done=enable/);
      await row.locator('button[data-user-action=password]').click();
      const second = (await page.locator('#new-password').textContent())!.trim();
      expect(second).not.toBe(first);
      await login(p, 'nguyen.van.an', second);
      await p.waitForURL(url('/console/'));

      // The signed-in administrator's own row offers no way to lock themselves out.
      await page.goto(url('/console/users'));
      expect(await page.locator('table.users tr', { hasText: 'admin' }).first().locator('button[data-user-action=disable]').count()).toBe(0);
    } finally {
      await ctx.close();
    }
  });

  it('revoking the agent in the UI makes its next send refused (401)', async () => {
    await page.goto(url('/console/agents'));
    await page.click(`button[data-revoke="${agentId}"]`);
    await page.waitForURL(/done=revoke/);
    await expect(page.locator('table.agents tr', { hasText: agentId }).textContent()).resolves.toContain('Đã thu hồi');
    await waitFor(async () => /refused the agent token \(401\)/.test(agent!.output()), { what: 'the agent told 401', timeoutMs: 20_000 });
    await waitFor(async () => {
      await page.goto(url('/console/'));
      return (await page.locator('#reporting-count').textContent()) === '0/3 cơ quan đang báo cáo';
    }, { what: 'the revoked agency no longer counted', timeoutMs: 5_000 });
  }, 40_000);
});
