// The channel modules on their own: bounded HTTP (real loopback servers that hang, flood or redirect),
// bounded and well-formed messages, routing, secrets cut from texts, and the storm hold per channel.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTelegramHtml } from '../../../test/support/telegram-bot-api.ts';
import { startWebhookReceiver, verifyWebhook, type WebhookReceiver } from '../../../test/support/webhook-receiver.ts';
import { waitFor } from '../../../test/support/agent.ts';
import { parseCollectorConfig } from '../../config.ts';
import { listNotifications } from '../alert-queries.ts';
import { openDb } from '../../state/db.ts';
import { sqliteStateSql } from '../../state/sql/connect.ts';
import { ManualClock } from '../clock.ts';
import { channelTakes } from '../routing.ts';
import { NotificationDelivery } from '../delivery.ts';
import { startAlerting } from '../service.ts';
import { AlertStore } from '../store.ts';
import type { AlertView, MailContext } from '../templates.ts';
import { MAX_ANSWER_BYTES, postBody } from './http.ts';
import { withoutSecrets } from './secrets.ts';
import type { ChannelSettings } from './settings.ts';
import { MAX_TELEGRAM_CHARS, telegramAlertText, telegramNoticeText } from './telegram-text.ts';
import { ChannelError } from './types.ts';
import { webhookAlertDocument, webhookBody } from './webhook-payload.ts';
import { WebhookChannel, webhookSignature } from './webhook.ts';

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: URL }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/hook`) };
}
const stop = (s: Server) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())));

describe('postBody: every wait and every answer bounded (real loopback servers)', () => {
  it('a receiver that takes the request and never answers is given up after the timeout', async () => {
    const { server, url } = await serve(() => undefined);
    try {
      const started = Date.now();
      await expect(postBody(url, Buffer.from('{}'), { headers: {}, timeoutMs: 300 })).rejects.toThrow(`${url.origin}: no answer within 300 ms`);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await stop(server);
    }
  });

  it('an endless answer is read up to 64 KiB and no further', async () => {
    const { server, url } = await serve((_req, res) => {
      res.writeHead(500);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const more = () => {
        while (res.write(chunk));
        res.once('drain', more);
      };
      more();
    });
    try {
      const answer = await postBody(url, Buffer.from('{}'), { headers: {}, timeoutMs: 5000 });
      expect(answer.status).toBe(500);
      expect(answer.body.length).toBe(MAX_ANSWER_BYTES);
    } finally {
      await stop(server);
    }
  });

  it('a redirect is not followed (the signed body goes only where it was configured to)', async () => {
    let followed = 0;
    const { server, url } = await serve((req, res) => {
      if (req.url === '/elsewhere') followed++;
      res.writeHead(302, { location: '/elsewhere' }).end();
    });
    try {
      expect((await postBody(url, Buffer.from('{}'), { headers: {}, timeoutMs: 2000 })).status).toBe(302);
      expect(followed).toBe(0);
    } finally {
      await stop(server);
    }
  });

  it('a refused connection is a ChannelError naming the origin only', async () => {
    const { server, url } = await serve(() => undefined);
    await stop(server);
    const withPath = new URL(`${url.origin}/hooks/secret-path?key=abc`);
    const err = await postBody(withPath, Buffer.from('{}'), { headers: {}, timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelError);
    expect((err as Error).message).toMatch(new RegExp(`^${url.origin.replace(/[.]/g, '\\.')}: ECONNREFUSED`));
    expect((err as Error).message).not.toContain('secret-path');
  });
});

const TARGET_DOWN = parseCollectorConfig('/tmp/collector.yaml', {}).alerting.alerts.rules.find((r) => r.name === 'target_down');
const view = (i: number, over: Partial<AlertView> = {}): AlertView => ({
  id: i,
  rule: TARGET_DOWN,
  ruleName: 'target_down',
  severity: 'critical',
  agency: 'so-y-te',
  labels: { target: '127.0.0.1', port: String(1000 + i), name: `Máy <chủ> & "số" ${i} ${'x'.repeat(400)}`, agent: 'pc-1' },
  value: 0,
  firedAt: Date.parse('2026-11-27T03:00:00Z'),
  ...over,
});
const ctx = (n: number, locale: 'vi' | 'en' = 'vi'): MailContext & { agency: string } => ({
  locale,
  agencyName: 'Sở Y tế',
  agency: 'so-y-te',
  kind: 'alert',
  firing: Array.from({ length: n }, (_, i) => view(i + 1)),
  resolved: [],
  consoleUrl: 'https://canhgac.example.vn',
});

describe('messages are bounded and well formed', () => {
  it('a Telegram message of 200 alerts stays under 4096 characters, parses as Telegram HTML, and says how many are left out', () => {
    const text = telegramAlertText('[NGHIÊM TRỌNG][Sở Y tế] Mất kết nối', ctx(200));
    expect(text.length).toBeLessThanOrEqual(MAX_TELEGRAM_CHARS);
    const parsed = parseTelegramHtml(text);
    expect(parsed).not.toHaveProperty('error');
    expect((parsed as { visible: string }).visible).toMatch(/… và \d+ cảnh báo khác$/m);
    expect((parsed as { visible: string }).visible).toContain('Máy <chủ> & "số" 1');
  });

  it('a notice cut in the middle of an entity still parses', () => {
    for (let pad = 0; pad < 8; pad++) {
      const text = telegramNoticeText('[TỔNG HỢP] x', `${'a'.repeat(pad)}${'& < > '.repeat(2000)}`);
      expect(text.length).toBeLessThanOrEqual(MAX_TELEGRAM_CHARS);
      expect(parseTelegramHtml(text)).not.toHaveProperty('error');
    }
  });

  it('a webhook document lists at most 50 alerts, cuts long labels, and the body carries the id the receiver signs over', () => {
    const long = ctx(200);
    long.firing[0].labels = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`l${i}`, 'v'.repeat(2000)]));
    const { doc } = webhookAlertDocument('soc', long, Date.parse('2026-11-27T03:00:00Z'));
    expect(doc.alerts).toHaveLength(50);
    expect(doc.alertsOmitted).toBe(150);
    expect(Object.keys(doc.alerts[0].labels)).toHaveLength(40);
    expect(Object.values(doc.alerts[0].labels).every((v) => v.length <= 256)).toBe(true);
    const body = webhookBody(JSON.stringify(doc), 42);
    expect(body.length).toBeLessThan(1024 * 1024);
    expect(Object.keys(JSON.parse(body.toString()) as object).slice(0, 4)).toEqual(['version', 'type', 'id', 'channel']);
    // The README's verification accepts our signature and refuses it for one changed byte or another secret.
    const ts = Math.floor(Date.now() / 1000);
    const headers = { 'x-canhgac-timestamp': String(ts), 'x-canhgac-signature': webhookSignature('s3cret-s3cret-s3cret', ts, body) };
    expect(verifyWebhook('s3cret-s3cret-s3cret', headers, body)).toBeUndefined();
    expect(verifyWebhook('s3cret-s3cret-s3cret', headers, Buffer.concat([body, Buffer.from(' ')]))).toBe('bad signature');
    expect(verifyWebhook('another-secret-here', headers, body)).toBe('bad signature');
    expect(verifyWebhook('s3cret-s3cret-s3cret', headers, body, ts + 301)).toBe('timestamp too old or too new');
  });

  it('secrets are cut from error texts: as written, percent-encoded, and any Bot API path', () => {
    const token = '123:AB/C+D';
    expect(withoutSecrets(`x ${token} y ${encodeURIComponent(token)} z`, [token])).toBe('x *** y *** z');
    expect(withoutSecrets('Cannot POST /relay/bot999:zzz/sendMessage', [])).toBe('Cannot POST /relay/bot***/sendMessage');
  });
});

describe('routing of a channel', () => {
  const channel = (route: Partial<ChannelSettings['route']>): ChannelSettings => ({
    name: 'c',
    type: 'telegram',
    apiUrl: 'http://127.0.0.1:9',
    botTokenFile: '/dev/null',
    chatId: '1',
    timeoutMs: 1000,
    maxBackoffMs: 1000,
    route: { severities: ['info', 'warning', 'critical'], escalation: false, sendResolved: true, ...route },
  });
  const yte = { id: 'so-y-te', name: 'Sở Y tế', level: 'department', contacts: [], locale: 'vi' as const };
  const a = { severity: 'warning' as const, rule: 'disk_almost_full' };
  it('by agency (and level), severity, rule; escalations and resolves only when asked', () => {
    expect(channelTakes(channel({}), a, 'alert', undefined)).toBe(true);
    expect(channelTakes(channel({ agencies: ['so-y-te'] }), a, 'alert', yte)).toBe(true);
    expect(channelTakes(channel({ agencies: ['so-y-te'] }), a, 'alert', undefined)).toBe(false);
    expect(channelTakes(channel({ agencies: ['so-tu-phap'] }), a, 'alert', yte)).toBe(false);
    expect(channelTakes(channel({ levels: ['district'] }), a, 'alert', yte)).toBe(false);
    expect(channelTakes(channel({ severities: ['critical'] }), a, 'alert', yte)).toBe(false);
    expect(channelTakes(channel({ rules: ['target_down'] }), a, 'alert', yte)).toBe(false);
    expect(channelTakes(channel({ rules: ['disk_almost_full'] }), a, 'repeat', yte)).toBe(true);
    expect(channelTakes(channel({}), a, 'escalation', yte)).toBe(false);
    expect(channelTakes(channel({ escalation: true }), a, 'escalation', yte)).toBe(true);
    expect(channelTakes(channel({ sendResolved: false }), { ...a, resolved: true }, 'alert', yte)).toBe(false);
  });
});

describe('grouping, storms and escalation on a channel, as for mail (manual clock, real receiver)', () => {
  let dir: string;
  let hook: WebhookReceiver;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canhgac-channel-storm-'));
    writeFileSync(join(dir, 'hook.secret'), 'a-long-enough-secret-for-the-test\n');
    hook = await startWebhookReceiver('a-long-enough-secret-for-the-test');
  });
  afterAll(async () => {
    await hook.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a channel with escalation: true gets the escalation of an unacknowledged critical alert, with no e-mail escalation list', async () => {
    const config = parseCollectorConfig(join(dir, 'collector.yaml'), {
      agencies: [{ id: 'so-y-te', name: 'Sở Y tế', level: 'department' }],
      alerts: {
        groupWait: '0s',
        escalateAfter: '1m',
        rules: [{ name: 'target_down', for: '0s' }],
        channels: [
          { name: 'lanhdao', type: 'webhook', url: hook.url, secretFile: 'hook.secret', escalation: true, severities: ['critical'] },
          { name: 'it', type: 'webhook', url: hook.url, secretFile: 'hook.secret' },
        ],
      },
    });
    const db = openDb(':memory:');
    db.prepare(`INSERT INTO agencies (id, name, level) VALUES ('so-y-te', 'Sở Y tế', 'department')`).run();
    const clock = new ManualClock(Date.now());
    const alerting = startAlerting({ db, settings: config.alerting.alerts, agencies: config.agencies, clock, timers: false });
    try {
      alerting.observe({ id: 'pc', agency: 'so-y-te' }, [{ measurement: 'tcp', tags: { target: '127.0.0.1', port: '9', result: 'refused', agency: 'so-y-te', agent: 'pc' }, fields: { up: 0 }, time: new Date(clock.now()).toISOString() }]);
      for (const ms of [1000, 1000, 61_000, 1000]) {
        clock.advance(ms);
        await alerting.tick();
      }
      await alerting.settle();
      const kinds = async (channel: string) => (await listNotifications(alerting.state, { channel })).map((n) => n.kind).reverse();
      expect(await kinds('lanhdao')).toEqual(['alert', 'escalation']);
      expect(await kinds('it')).toEqual(['alert']);
      expect(await kinds('email')).toEqual([]);
    } finally {
      await alerting.close();
      db.close();
    }
  });

  it('past storm.maxMails within storm.window the channel gets one summary instead', async () => {
    const config = parseCollectorConfig(join(dir, 'collector.yaml'), {
      agencies: [{ id: 'so-y-te', name: 'Sở Y tế', level: 'department' }],
      alerts: {
        groupWait: '0s',
        storm: { maxMails: 2, window: '10m' },
        rules: [{ name: 'target_down', for: '0s' }],
        channels: [{ name: 'soc', type: 'webhook', url: hook.url, secretFile: 'hook.secret', maxBackoff: '1s' }],
      },
    });
    const db = openDb(':memory:');
    db.prepare(`INSERT INTO agencies (id, name, level) VALUES ('so-y-te', 'Sở Y tế', 'department')`).run();
    const clock = new ManualClock(Date.now());
    const alerting = startAlerting({ db, settings: config.alerting.alerts, agencies: config.agencies, clock, timers: false });
    try {
      for (let port = 1; port <= 4; port++) {
        alerting.observe({ id: 'pc', agency: 'so-y-te' }, [{ measurement: 'tcp', tags: { target: '127.0.0.1', port: String(port), result: 'refused', agency: 'so-y-te', agent: 'pc' }, fields: { up: 0 }, time: new Date(clock.now()).toISOString() }]);
        clock.advance(1000);
        await alerting.tick();
        await alerting.tick();
        await alerting.settle();
      }
      const rows = (await listNotifications(alerting.state, { channel: 'soc' })).reverse();
      expect(rows.map((n) => n.status)).toEqual(['sent', 'sent', 'held', 'held']);
      clock.advance(600_000);
      await alerting.tick();
      await alerting.settle();
      const summary = await waitFor(async () => hook.accepted.find((d) => d.body.kind === 'storm-summary'), { what: 'storm summary', timeoutMs: 5000 });
      expect(summary.body.subject).toBe('[TỔNG HỢP] 2 tin cảnh báo bị gộp do quá nhiều tin');
      expect((summary.body.held as unknown[]).length).toBe(2);
      expect(hook.accepted.filter((d) => d.body.kind === 'alert' && d.body.channel === 'soc')).toHaveLength(2);
    } finally {
      await alerting.close();
      db.close();
    }
  });
});

describe('delivery details', () => {
  it('a webhook over HTTPS to a receiver with a private CA: refused without `ca`, delivered with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'canhgac-channel-tls-'));
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256', extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }] });
    writeFileSync(join(dir, 'ca.pem'), pems.cert);
    writeFileSync(join(dir, 'hook.secret'), 'a-long-enough-secret-for-the-test\n');
    let got = 0;
    const server = createHttpsServer({ key: pems.private, cert: pems.cert }, (req, res) => {
      got++;
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
    const settings = { name: 'tls', type: 'webhook' as const, url, secretFile: join(dir, 'hook.secret'), timeoutMs: 3000, maxBackoffMs: 1000, route: { severities: [], escalation: false, sendResolved: true } };
    const n = { id: 1, createdAt: 0, channel: 'tls', agency: '', kind: 'test', recipients: [], subject: 's', alertIds: [], status: 'queued' as const, attempts: 0, nextAttemptAt: 0, lastError: null, sentAt: null, html: '', text: JSON.stringify({ version: 1, type: 'canhgac.notification' }) };
    try {
      await expect(new WebhookChannel(settings).send(n)).rejects.toThrow(/SELF_SIGNED|self.signed/i);
      expect(got).toBe(0);
      await new WebhookChannel({ ...settings, ca: join(dir, 'ca.pem') }).send(n);
      expect(got).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('queued notifications of a channel removed from the config are closed with the reason, once, and mail without smtp waits', async () => {
    const db = openDb(':memory:');
    const store = new AlertStore(sqliteStateSql(db));
    const now = Date.now();
    const gone = await store.addNotification({ agency: '', kind: 'alert', channel: 'old-chat', recipients: ['Telegram chat 1'], subject: 's', alertIds: [], text: 't', status: 'queued' }, now);
    const mail = await store.addNotification({ agency: '', kind: 'alert', recipients: ['a@example.vn'], subject: 's', alertIds: [], text: 't', status: 'queued' }, now);
    const warnings: string[] = [];
    const delivery = new NotificationDelivery(sqliteStateSql(db), new Map(), { warn: (_o, m) => warnings.push(m) });
    await delivery.pump(() => now);
    expect(await store.notification(gone)).toMatchObject({ status: 'suppressed', lastError: 'channel "old-chat" is not in the configuration any more' });
    expect((await store.notification(mail))!.status).toBe('queued');
    expect(warnings).toEqual(['queued notifications of a channel that is no longer configured were closed undelivered']);
    db.close();
  });
});
