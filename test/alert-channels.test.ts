// Issue 21, alert channels beyond e-mail: a real collector (in this process) with real influxd, a real SMTP
// server, a webhook receiver on loopback that verifies the HMAC signature, and the Telegram Bot API contract
// server (sendMessage only, never api.telegram.org). Routing, grouping, retries, silences, history, secrets.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testChannel } from '../collector/cli/channels.ts';
import { listAlerts, listNotifications } from '../collector/alerts/alert-queries.ts';
import { AlertStore, type NotificationRow } from '../collector/alerts/store.ts';
import { createAdminToken } from '../collector/state/admin-tokens.ts';
import { createUser } from '../collector/state/users.ts';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { startMailServer, type MailServer } from '../scripts/lib/mail-server.ts';
import { COLLECTOR_BIN, runCli, waitFor } from './support/agent.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { consoleLogin, postConsoleForm } from './support/console-session.ts';
import { missing } from './support/require.ts';
import { startBotApi, type BotApi } from './support/telegram-bot-api.ts';
import { startWebhookReceiver, type Delivery, type WebhookReceiver } from './support/webhook-receiver.ts';

const skip = missing({ commands: ['influxd'] });
const WEBHOOK_SECRET = 'whsec-9c1f0e7a4b2d4d8e8a51f3c2b7e6d0a9';
const OTHER_SECRET = 'whsec-not-the-one-the-collector-has-77';
const BOT_TOKEN = '7012345678:AAHt0k3n-0nly-f0r-the-c0ntract-test_x';
const WRONG_TOKEN = '7099999999:AAwr0ng-t0ken-a-careless-relay-echoes';
const RECEIVER_KEY = 'receiver-own-query-key-5e1';
const SECRETS = [WEBHOOK_SECRET, BOT_TOKEN, WRONG_TOKEN, RECEIVER_KEY];
const YTE_CHAT = '-1001234567890';
const EXPERT_CHAT = '@canhgac_chuyengia';

describe.skipIf(skip)('alert channels: webhook and Telegram beside e-mail (real collector, influxd, SMTP, receivers)', () => {
  let influx: Influxd;
  let smtp: MailServer;
  let hook: WebhookReceiver;
  let otherHook: WebhookReceiver;
  let bot: BotApi;
  let relay: BotApi;
  let tc: TestCollector;
  let store: AlertStore;
  let dir: string;
  let admin = '';
  let log = '';
  const agents: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canhgac-channels-'));
    writeFileSync(join(dir, 'webhook.secret'), `${WEBHOOK_SECRET}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'telegram.token'), `${BOT_TOKEN}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'wrong.token'), `${WRONG_TOKEN}\n`, { mode: 0o600 });
    [influx, smtp, hook, otherHook, bot, relay] = await Promise.all([
      startInfluxd(),
      startMailServer(),
      startWebhookReceiver(WEBHOOK_SECRET),
      startWebhookReceiver(OTHER_SECRET),
      startBotApi(BOT_TOKEN, { prefix: '/relay' }),
      startBotApi(BOT_TOKEN, { prefix: '/relay', echoPathOnError: true }),
    ]);
    const fast = { timeout: '2s', maxBackoff: '1s' };
    const stream = new Writable({
      write(chunk, _enc, done) {
        log += String(chunk);
        done();
      },
    });
    tc = await startTestCollector(influx.url, {
      start: { logger: { level: 'info', stream } },
      extra: {
        alerts: {
          evaluationInterval: '100ms',
          groupWait: '300ms',
          repeatInterval: { critical: '1h', warning: '1h' },
          securityTeam: ['soc@canhgac.example.vn'],
          storm: { maxMails: 1000, window: '10m' },
          consoleUrl: 'https://canhgac.example.vn',
          rules: [{ name: 'target_down', for: '1s', resolveAfter: '1s' }],
          channels: [
            { name: 'soc-webhook', type: 'webhook', url: `${hook.url}?key=${RECEIVER_KEY}`, secretFile: join(dir, 'webhook.secret'), ...fast },
            { name: 'tuphap-webhook', type: 'webhook', url: otherHook.url, secretFile: join(dir, 'webhook.secret'), agencies: ['so-tu-phap'], ...fast },
            { name: 'yte-telegram', type: 'telegram', apiUrl: bot.apiUrl, botTokenFile: join(dir, 'telegram.token'), chatId: YTE_CHAT, agencies: ['so-y-te'], ...fast },
            { name: 'expert-telegram', type: 'telegram', apiUrl: bot.apiUrl, botTokenFile: join(dir, 'telegram.token'), chatId: EXPERT_CHAT, locale: 'en', severities: ['critical'], rules: ['target_down'], ...fast },
            { name: 'canglong-telegram', type: 'telegram', apiUrl: relay.apiUrl, botTokenFile: join(dir, 'wrong.token'), chatId: '-100999', agencies: ['ubnd-cang-long'], ...fast },
          ],
        },
        smtp: { host: '127.0.0.1', port: smtp.port, secure: false, starttls: false, from: 'Canh Gác <canhgac@canhgac.example.vn>', maxBackoff: '1s', timeout: '5s' },
      },
    });
    store = new AlertStore(tc.collector.state);
    admin = await createAdminToken(tc.collector.state, 'channels-admin', 'admin');
    for (const agency of ['so-y-te', 'so-tu-phap', 'ubnd-cang-long']) agents[agency] = (await tc.enrolAgent(agency, `pc-${agency}`)).token;
  }, 60_000);

  afterAll(async () => {
    await tc?.close();
    await Promise.all([smtp?.stop(), hook?.close(), otherHook?.close(), bot?.close(), relay?.close()]);
    await influx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const tcp = (port: number, up: number, name: string) => ({
    measurement: 'tcp',
    tags: { target: '127.0.0.1', port: String(port), name, result: up ? 'ok' : 'refused' },
    fields: up ? { up, connect_ms: 0.4 } : { up },
    time: new Date().toISOString(),
  });
  async function post(agency: string, samples: unknown[]): Promise<void> {
    const res = await fetch(`${tc.url}/api/v1/samples`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${agents[agency]}` }, body: JSON.stringify({ samples }) });
    expect(res.status, await res.text()).toBe(200);
  }
  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(tc.url + path, { method, headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }
  const hooked = (r: WebhookReceiver, port: number, status = 'firing') =>
    r.accepted.filter((d) => (d.body.alerts as { labels: Record<string, string>; status: string }[]).some((a) => a.labels.port === String(port) && a.status === status));
  const told = (chat: string, text: string) => bot.messages.filter((m) => m.chatId === chat && m.visible.includes(text));
  const channelRows = async (alertId: number) => (await listNotifications(tc.collector.state, { limit: 1000 })).filter((n) => n.alertIds.includes(alertId));
  const alertOf = (port: number) => waitFor(async () => (await listAlerts(tc.collector.state, { state: 'all' })).find((a) => a.labels.port === String(port)), { what: `alert for port ${port}`, timeoutMs: 10_000 });

  it('so-y-te goes down on two ports: one mail, one signed webhook delivery with both alerts, a Vietnamese Telegram message to its chat and an English one to the experts; back up: the resolve on each', async () => {
    await post('so-y-te', [tcp(7101, 0, 'Cổng dịch vụ công'), tcp(7102, 0, 'Một cửa điện tử')]);
    const [delivery] = await waitFor(async () => hooked(hook, 7101).length > 0 && hooked(hook, 7101), { what: 'webhook delivery', timeoutMs: 20_000 });
    const body = delivery.body as Record<string, unknown> & { alerts: Record<string, unknown>[] };
    expect(Object.keys(body).slice(0, 3)).toEqual(['version', 'type', 'id']);
    expect(body).toMatchObject({ version: 1, type: 'canhgac.notification', channel: 'soc-webhook', kind: 'alert', locale: 'vi', agency: { id: 'so-y-te', name: 'Sở Y tế' }, alertsOmitted: 0 });
    expect(body.subject).toMatch(/^\[NGHIÊM TRỌNG\]\[Sở Y tế\] Mất kết nối tới (Cổng dịch vụ công|Một cửa điện tử) \(127\.0\.0\.1:710[12]\) \(\+1 cảnh báo khác\)$/);
    expect(delivery.headers['x-canhgac-delivery']).toBe(String(body.id));
    expect(delivery.headers['user-agent']).toMatch(/^canhgac-collector\//);
    // Grouping: both alerts of the agency in one delivery.
    expect(body.alerts.map((a) => a.location).sort()).toEqual(['127.0.0.1:7101', '127.0.0.1:7102']);
    const first = body.alerts.find((a) => a.location === '127.0.0.1:7101')!;
    expect(first).toMatchObject({ status: 'firing', rule: 'target_down', severity: 'critical', measured: 'up = 0 (ngưỡng: == 0)', value: 0, endsAt: null, acknowledgedBy: null });
    expect(first.consoleUrl).toBe(`https://canhgac.example.vn/alerts/${first.id}`);
    expect(Date.parse(first.startsAt as string)).toBeGreaterThan(Date.now() - 60_000);

    const [vi] = await waitFor(async () => told(YTE_CHAT, '127.0.0.1:7101').length > 0 && told(YTE_CHAT, '127.0.0.1:7101'), { what: 'Telegram message to so-y-te' });
    expect(vi.parseMode).toBe('HTML');
    expect(vi.visible).toContain('[NGHIÊM TRỌNG][Sở Y tế] Mất kết nối tới');
    expect(vi.visible).toContain('Đối tượng: 127.0.0.1:7102');
    expect(vi.visible).toContain('Giá trị đo: up = 0 (ngưỡng: == 0)');
    const [en] = await waitFor(async () => told(EXPERT_CHAT, '127.0.0.1:7101').length > 0 && told(EXPERT_CHAT, '127.0.0.1:7101'), { what: 'English Telegram message' });
    expect(en.visible).toContain('[CRITICAL][Sở Y tế] Lost connection to');
    expect(en.visible).toContain('Target: 127.0.0.1:7101');
    // The agency's own webhook and chat are not another agency's: nothing went to so-tu-phap's or Càng Long's.
    expect([otherHook.accepted.length, otherHook.refused.length]).toEqual([0, 0]);
    expect(relay.paths).toEqual([]);

    const id = (await alertOf(7101)).id;
    const rows = await waitFor(async () => {
      const r = await channelRows(id);
      return r.length === 4 && r.every((n) => n.status === 'sent') && r;
    }, { what: 'four sent notifications (mail, webhook, two chats)' });
    expect(rows.map((n) => n.channel).sort()).toEqual(['email', 'expert-telegram', 'soc-webhook', 'yte-telegram']);
    expect(rows.find((n) => n.channel === 'soc-webhook')!.recipients).toEqual([new URL(hook.url).origin]);
    expect(rows.find((n) => n.channel === 'yte-telegram')!.recipients).toEqual([`Telegram chat ${YTE_CHAT}`]);
    const listed = (await api('GET', '/api/v1/notifications?channel=yte-telegram')).json.notifications as NotificationRow[];
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((n) => n.channel === 'yte-telegram')).toBe(true);

    await post('so-y-te', [tcp(7101, 1, 'Cổng dịch vụ công'), tcp(7102, 1, 'Một cửa điện tử')]);
    const [resolved] = await waitFor(async () => hooked(hook, 7101, 'resolved').length > 0 && hooked(hook, 7101, 'resolved'), { what: 'resolve delivery' });
    expect((resolved.body.alerts as { endsAt: string | null }[]).every((a) => a.endsAt !== null)).toBe(true);
    expect(resolved.body.subject).toMatch(/^\[ĐÃ KHẮC PHỤC\]\[Sở Y tế\]/);
    await waitFor(async () => told(YTE_CHAT, 'ĐÃ KHẮC PHỤC').length > 0, { what: 'resolve message in the chat' });
  }, 60_000);

  it("a receiver that refuses the signature (it holds another secret): retried with backoff, the failure recorded, the other channels not held up; with the right secret it goes out", async () => {
    await post('so-tu-phap', [tcp(7201, 0, 'Hộ tịch')]);
    // soc-webhook takes every agency and is not held up by the failing one.
    await waitFor(async () => hooked(hook, 7201).length > 0, { what: 'delivery through the working webhook', timeoutMs: 20_000 });
    const id = (await alertOf(7201)).id;
    const failing = await waitFor(async () => {
      const n = (await channelRows(id)).find((r) => r.channel === 'tuphap-webhook');
      return n && n.attempts >= 2 && n;
    }, { what: 'two refused attempts', timeoutMs: 20_000 });
    expect(['queued', 'sending']).toContain(failing.status); // waiting for its retry, or being retried
    expect(failing.lastError).toBe(`${new URL(otherHook.url).origin} answered HTTP 401: bad signature`);
    expect(otherHook.refused.every((r) => r.status === 401 && r.reason === 'bad signature')).toBe(true);
    expect(log).toContain('alert notification not delivered through webhook channel \\"tuphap-webhook\\"; will retry');
    // Backoff: attempts spaced by at least the first step (1 s), not hammered.
    const [a, b] = otherHook.refused;
    expect(b.at - a.at).toBeGreaterThanOrEqual(900);

    otherHook.secret = WEBHOOK_SECRET;
    const sent = await waitFor(async () => {
      const n = (await channelRows(id)).find((r) => r.channel === 'tuphap-webhook');
      return n?.status === 'sent' && n;
    }, { what: 'the retried delivery', timeoutMs: 20_000 });
    expect(sent.lastError).toBeNull();
    expect(otherHook.accepted).toHaveLength(1);
    expect(otherHook.accepted[0].body.id).toBe(sent.id);
  }, 60_000);

  it('Telegram Bot API contract test: sendMessage with chat_id, text and parse_mode HTML; <, > and & in a name are escaped; flood control retry_after is obeyed', async () => {
    // Nothing else on its way to the bot (an earlier resolve), so the flood meets this alert's messages.
    const pending = async () => (await listNotifications(tc.collector.state, { limit: 1000 })).filter((n) => n.channel.endsWith('-telegram') && (n.status === 'queued' || n.status === 'sending'));
    await waitFor(async () => (await pending()).length === 0, { what: 'earlier Telegram messages sent' });
    bot.floodNext(1, 1);
    await post('so-y-te', [tcp(7301, 0, '<b>Cổng</b> & "Một cửa" > 1')]);
    const [m] = await waitFor(async () => told(YTE_CHAT, '127.0.0.1:7301').length > 0 && told(YTE_CHAT, '127.0.0.1:7301'), { what: 'message after the flood wait', timeoutMs: 20_000 });
    // Shown literally, not as markup: the contract server parsed the text as Telegram does.
    expect(m.visible).toContain('Mất kết nối tới <b>Cổng</b> & "Một cửa" > 1 (127.0.0.1:7301)');
    expect(m.text).toContain('&lt;b&gt;Cổng&lt;/b&gt; &amp;');
    expect(Object.keys(m.body).sort()).toEqual(['chat_id', 'link_preview_options', 'parse_mode', 'text']);
    const flood = bot.errors.find((e) => e.status === 429)!;
    expect(flood.description).toBe('Too Many Requests: retry after 1');
    const id = (await alertOf(7301)).id;
    const chats = await waitFor(async () => {
      const r = (await channelRows(id)).filter((n) => n.channel.endsWith('-telegram'));
      return r.length === 2 && r.every((n) => n.status === 'sent') && r;
    }, { what: 'both chats sent' });
    // One of the two met the flood and went again no sooner than retry_after said.
    expect(chats.map((n) => n.attempts).sort()).toEqual([1, 2]);
    const retried = chats.find((n) => n.attempts === 2)!;
    expect(retried.sentAt! - flood.at).toBeGreaterThanOrEqual(950);
  }, 60_000);

  it('a silence suppresses the channels as it does mail: a suppressed entry per channel in the history, nothing sent', async () => {
    const s = await api('POST', '/api/v1/silences', { matchers: { agency: 'so-y-te', port: '7401' }, duration: '1h', reason: 'thay thiết bị' });
    expect(s.status).toBe(200);
    await post('so-y-te', [tcp(7401, 0, 'Máy chủ đang thay')]);
    const id = (await alertOf(7401)).id;
    const rows = await waitFor(async () => {
      const r = await channelRows(id);
      return r.length === 4 && r;
    }, { what: 'suppressed entries', timeoutMs: 15_000 });
    expect(rows.map((n) => [n.channel, n.status]).sort()).toEqual([
      ['email', 'suppressed'],
      ['expert-telegram', 'suppressed'],
      ['soc-webhook', 'suppressed'],
      ['yte-telegram', 'suppressed'],
    ]);
    expect(rows.every((n) => n.kind.startsWith('suppressed: silence #'))).toBe(true);
    expect(hooked(hook, 7401)).toEqual([]);
    expect(told(YTE_CHAT, '7401')).toEqual([]);
  }, 30_000);

  it('test-channel: the CLI sends a test message (exit 0); a careless relay that echoes the token fails with exit 1 and the token cut out; an unknown name lists the channels', async () => {
    const cli = await runCli(COLLECTOR_BIN, ['test-channel', '--config', tc.configFile, '--name', 'yte-telegram']);
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toBe(`test message sent through channel "yte-telegram" (Telegram chat ${YTE_CHAT} via ${new URL(bot.apiUrl).host})\n`);
    expect(cli.code).toBe(0);
    expect(told(YTE_CHAT, '[THỬ NGHIỆM] Tin thử kênh cảnh báo "yte-telegram" của Canh Gác')).toHaveLength(1);

    let out = '';
    expect(await testChannel(tc.config, 'soc-webhook', (s) => (out += s))).toBe(0);
    const test = hook.accepted.at(-1) as Delivery;
    expect(test.body).toMatchObject({ id: 0, kind: 'test', channel: 'soc-webhook', alerts: [] });

    out = '';
    expect(await testChannel(tc.config, 'canglong-telegram', (s) => (out += s))).toBe(1);
    expect(out).toBe(
      `test message through channel "canglong-telegram" (Telegram chat -100999 via ${new URL(relay.apiUrl).host}) failed: Telegram sendMessage to chat -100999 via ${new URL(relay.apiUrl).host} failed: HTTP 404: <pre>Cannot POST /relay/bot***/sendMessage</pre>\n`,
    );
    await expect(testChannel(tc.config, 'nope')).rejects.toThrow(`no channel "nope" in ${tc.configFile} (channels: soc-webhook, tuphap-webhook, yte-telegram, expert-telegram, canglong-telegram)`);
  }, 60_000);

  it('secrets never leave: not in the log, the notifications table, the console, the API, the audit log or the CLI output', async () => {
    // Càng Long's channel goes through the careless relay: its failures are recorded with the token cut out.
    await post('ubnd-cang-long', [tcp(7501, 0, 'Trạm y tế xã')]);
    const id = (await alertOf(7501)).id;
    const failed = await waitFor(async () => (await channelRows(id)).find((n) => n.channel === 'canglong-telegram' && n.attempts >= 1 && n.lastError), { what: 'a failed attempt', timeoutMs: 20_000 });
    expect(failed.lastError).toContain('/relay/bot***/sendMessage');

    await createUser(tc.collector.state, { name: 'quantri.kenh', password: 'quan-tri-kenh-canh-bao-1', role: 'admin' });
    const session = await consoleLogin(tc.url, 'quantri.kenh', 'quan-tri-kenh-canh-bao-1', '/console/notifications');
    const test = await postConsoleForm(tc.url, session, '/test-channel', { name: 'expert-telegram' });
    const testPage = await test.text();
    expect(test.status).toBe(200);
    expect(testPage).toContain(`Đã gửi tin thử qua kênh &quot;expert-telegram&quot; (Telegram chat ${EXPERT_CHAT} via ${new URL(bot.apiUrl).host}).`);
    const badTest = await postConsoleForm(tc.url, session, '/test-channel', { name: 'canglong-telegram' });
    const badPage = await badTest.text();
    expect(badTest.status).toBe(502);
    expect(badPage).toContain('/relay/bot***/sendMessage');
    const pages = [testPage, badPage];
    for (const path of ['/console/notifications', '/console/notifications?lang=en', `/console/alerts/${id}`, '/console/audit']) {
      const res = await fetch(`${tc.url}${path}`, { headers: { cookie: session.cookie } });
      expect(res.status, path).toBe(200);
      pages.push(await res.text());
    }
    expect(pages[2]).toContain('canglong-telegram');
    expect(pages[2]).toContain('<span class="channel">soc-webhook</span>');
    expect(pages[2]).toContain(`data-test-channel="yte-telegram"`);

    const audit = tc.collector.db!.prepare(`SELECT * FROM audit_log`).all();
    expect(audit.some((r) => (r as { action: string }).action === 'test_channel')).toBe(true);
    const table = tc.collector.db!.prepare('SELECT * FROM notifications').all();
    const apiRows = await api('GET', '/api/v1/notifications?limit=1000');
    const cli = await runCli(COLLECTOR_BIN, ['notifications', '--config', tc.configFile, '--json']);
    const channels = await runCli(COLLECTOR_BIN, ['channels', '--config', tc.configFile]);
    expect(channels.stdout).toContain('canglong-telegram');
    const everything = { log, table: JSON.stringify(table), api: JSON.stringify(apiRows.json), audit: JSON.stringify(audit), cli: cli.stdout + cli.stderr + channels.stdout, pages: pages.join('\n') };
    for (const [where, text] of Object.entries(everything)) {
      for (const secret of SECRETS) expect(text.includes(secret), `${secret.slice(0, 6)}… in ${where}`).toBe(false);
    }
    // …and the receivers got only what they should: no token in what the chats or the webhook received.
    const received = JSON.stringify([hook.accepted.map((d) => d.raw), bot.messages.map((m) => m.text)]);
    for (const secret of SECRETS) expect(received.includes(secret)).toBe(false);
  }, 60_000);
});
