// The public status page end to end: real agents probe loopback services that the test stops and
// starts; the page says up, degraded and down as the probes do, shows a notice written in the console,
// leaks nothing internal (on the HTML and the JSON), and renders in Debian's chromium on a desktop and
// a phone. The 90-day record is read from InfluxDB's hourly roll-ups with one query per refresh.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../collector/state/users.ts';
import type { StatusModel } from '../collector/status/model.ts';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { AGENT_BIN, ROOT, startProcess, waitFor, writeYaml } from './support/agent.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';
import { consoleLogin, postConsoleForm } from './support/console-session.ts';
import { CHROMIUM_ARGS } from './support/browser.ts';

const SHOTS = join(ROOT, 'test-artifacts', 'screenshots');

describe.skipIf(missing({ commands: ['influxd', 'chromium'] }))('public status page (real agents, collector, influxd, chromium)', () => {
  let influx: Influxd;
  let tc: TestCollector;
  let dir: string;
  let web: HttpServer | undefined;
  let node2: Server | undefined;
  let webPort: number;
  let node2Port: number;
  let mailPort: number;
  const agents: Array<ReturnType<typeof startProcess>> = [];

  const listenHttp = (port: number) =>
    new Promise<HttpServer>((resolve) => {
      const s = createHttpServer((_q, res) => res.end('Cổng thông tin'));
      s.listen(port, '127.0.0.1', () => resolve(s));
    });
  const listenTcp = (port: number) =>
    new Promise<Server>((resolve) => {
      const s = createServer((c) => c.end());
      s.listen(port, '127.0.0.1', () => resolve(s));
    });
  const close = (s: { close(cb: () => void): void; closeAllConnections?: () => void } | undefined) =>
    new Promise<void>((r) => {
      s?.closeAllConnections?.();
      if (s) s.close(() => r());
      else r();
    });
  const model = async () => {
    await tc.collector.status!.refresh();
    return (await (await fetch(`${tc.url}/status.json`)).json()) as StatusModel;
  };
  const stateOf = async (id: string) => (await model()).services.find((s) => s.id === id)!.state;
  const waitState = (id: string, want: string) => waitFor(async () => (await stateOf(id)) === want, { what: `${id} ${want}`, timeoutMs: 30_000, intervalMs: 300 });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canhgac-status-'));
    mkdirSync(SHOTS, { recursive: true });
    influx = await startInfluxd();
    web = await listenHttp(0);
    webPort = (web.address() as { port: number }).port;
    node2 = await listenTcp(0);
    node2Port = (node2.address() as { port: number }).port;
    const closed = await listenTcp(0);
    mailPort = (closed.address() as { port: number }).port;
    await close(closed);
    tc = await startTestCollector(influx.url, {
      extra: {
        status: {
          enabled: true,
          staleAfter: '10s',
          services: [
            {
              id: 'cong-thong-tin',
              name: { vi: 'Cổng thông tin điện tử tỉnh', en: 'Provincial portal' },
              description: { vi: 'Trang web chính thức của tỉnh', en: 'The official web site of the province' },
              probes: [
                { measurement: 'http', tags: { url: `http://127.0.0.1:${webPort}/` }, agencies: ['so-y-te', 'so-tu-phap'] },
                { measurement: 'tcp', tags: { target: '127.0.0.1', port: String(node2Port) } },
              ],
            },
            { id: 'thu-dien-tu', name: { vi: 'Thư điện tử công vụ', en: 'Official e-mail' }, probes: [{ measurement: 'tcp', tags: { target: '127.0.0.1', port: String(mailPort) } }] },
          ],
        },
      },
    });
    await createUser(tc.collector.state, { name: 'quantri', password: 'quantri-password-1', role: 'admin' });
    for (const agency of ['so-y-te', 'so-tu-phap']) {
      const { token } = await tc.enrolAgent(agency, `pc-${agency}`);
      const tokenFile = join(dir, `${agency}.token`);
      writeFileSync(tokenFile, token, { mode: 0o600 });
      const config = writeYaml(join(dir, `${agency}.yaml`), {
        collector: { url: tc.url, tokenFile },
        agent: { maxSplay: '0s', sendInterval: '200ms', statusInterval: '60s' },
        outbox: { dir: join(dir, `${agency}-outbox`) },
        checks: [
          { type: 'http', name: 'portal', targets: [`http://127.0.0.1:${webPort}/`], interval: '1s', timeout: '500ms' },
          { type: 'tcp', name: 'portal-node-2', targets: [`127.0.0.1:${node2Port}`, `127.0.0.1:${mailPort}`], interval: '1s', timeout: '500ms' },
        ],
      });
      agents.push(startProcess(AGENT_BIN, ['run', '--config', config]));
    }
  }, 120_000);

  afterAll(async () => {
    for (const a of agents) await a.stop();
    await close(web);
    await close(node2);
    await tc?.close();
    await influx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('follows the probes: up, degraded when one probe of a service fails, down when all do, up again', async () => {
    await waitState('cong-thong-tin', 'up');
    expect(await stateOf('thu-dien-tu')).toBe('down');
    expect((await model()).overall).toBe('degraded');
    await close(node2);
    node2 = undefined;
    await waitState('cong-thong-tin', 'degraded');
    await close(web);
    web = undefined;
    await waitState('cong-thong-tin', 'down');
    web = await listenHttp(webPort);
    node2 = await listenTcp(node2Port);
    await waitState('cong-thong-tin', 'up');
  }, 90_000);

  it('shows a notice written in the console, and leaks nothing internal on the page or in its JSON', async () => {
    const admin = await consoleLogin(tc.url, 'quantri', 'quantri-password-1', '/console/notices');
    const form = new URLSearchParams({ kind: 'maintenance', title: 'Nâng cấp hệ thống thư điện tử', body: 'Thư điện tử tạm ngừng từ 22:00 đến 23:00.', startsAt: new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 16) });
    form.append('services', 'thu-dien-tu');
    expect((await postConsoleForm(tc.url, admin, '/notices', form)).status).toBe(303);

    const page = await (await fetch(`${tc.url}/status`)).text();
    const json = await (await fetch(`${tc.url}/status.json`)).text();
    expect(page).toContain('Nâng cấp hệ thống thư điện tử');
    expect(JSON.parse(json).notices[0]).toMatchObject({ kind: 'maintenance', services: ['thu-dien-tu'] });
    const agentIds = tc.collector.db!.prepare('SELECT id, hostname FROM agents').all() as { id: string; hostname: string }[];
    const secrets = ['127.0.0.1', String(webPort), String(node2Port), String(mailPort), 'so-y-te', 'so-tu-phap', 'quantri', 'refused', 'ECONNREFUSED', ...agentIds.flatMap((a) => [a.id, a.hostname])];
    for (const s of secrets) {
      expect(page, `page shows ${s}`).not.toContain(s);
      expect(json, `json shows ${s}`).not.toContain(s);
    }
    const res = await fetch(`${tc.url}/status`);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('renders without JavaScript on a desktop and a phone (chromium), in Vietnamese and English', async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    try {
      for (const [name, viewport] of [['desktop', { width: 1366, height: 768 }], ['phone', { width: 390, height: 844 }]] as const) {
        const ctx = await browser.newContext({ viewport, javaScriptEnabled: false });
        const p = await ctx.newPage();
        await p.goto(`${tc.url}/status`);
        expect(await p.locator('#svc-cong-thong-tin .state').textContent()).toBe('Hoạt động bình thường');
        expect(await p.locator('#svc-thu-dien-tu .bar li').count()).toBe(90);
        // Nothing wider than the screen on a phone.
        expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
        await p.screenshot({ path: join(SHOTS, `status-${name}.png`), fullPage: true });
        await p.goto(`${tc.url}/status?lang=en`);
        expect(await p.locator('#svc-thu-dien-tu .state').textContent()).toBe('Down');
        await ctx.close();
      }
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('reads the 90-day record from the hourly roll-ups, one query per refresh, a service counted up by its best probe', async () => {
    const day = 86_400_000;
    const today0 = Math.floor((Date.now() + 7 * 3_600_000) / day) * day - 7 * 3_600_000;
    const lines: string[] = [];
    // Three days ago (Vietnam time): the web probe up 18 of 24 hours, node 2 up the first 12: the service 18/24.
    for (let h = 0; h < 24; h++) {
      const t = (today0 - 3 * day + h * 3_600_000) * 1e6;
      lines.push(`http,agency=so-y-te,url=http://127.0.0.1:${webPort}/,result=ok up=${h < 18 ? 1 : 0} ${t}`);
      lines.push(`tcp,agency=so-y-te,target=127.0.0.1,port=${node2Port},result=ok up=${h < 12 ? 1 : 0} ${t}`);
    }
    const w = await fetch(`${influx.url}/write?db=${tc.config.influx.database}&rp=rollup_1h`, { method: 'POST', body: lines.join('\n') });
    expect(w.status).toBe(204);
    const cache = tc.collector.status!;
    const before = cache.history.queries;
    // Past the hourly full read: make the next refresh a full one.
    (cache.history as unknown as { lastFull: number }).lastFull = 0;
    const m = await model();
    expect(cache.history.queries - before).toBe(1);
    const svc = m.services.find((s) => s.id === 'cong-thong-tin')!;
    expect(svc.days).toHaveLength(90);
    const threeDaysAgo = new Date(today0 - 3 * day + 7 * 3_600_000).toISOString().slice(0, 10);
    expect(svc.days.find((d) => d.day === threeDaysAgo)?.percent).toBe(75);
    expect(svc.days.at(-1)!.day).toBe(new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10));
    expect(m.services.find((s) => s.id === 'thu-dien-tu')!.days.find((d) => d.day === threeDaysAgo)?.percent).toBeUndefined();
  });
});

describe.skipIf(missing({ commands: ['influxd'] }))('status page on a listener of its own', () => {
  it('serves /status and /status.json there and nothing else (no console, no agent API)', async () => {
    const influx = await startInfluxd();
    const tc = await startTestCollector(influx.url, {
      extra: { status: { enabled: true, listen: { host: '127.0.0.1', port: 0, plainHttp: true }, services: [{ id: 'cong', name: { vi: 'Cổng' }, probes: [{ measurement: 'http', tags: { url: 'http://127.0.0.1:1/' } }] }] } },
    });
    try {
      const own = tc.collector.statusUrl!;
      expect(own).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(new URL(own).port).not.toBe(new URL(tc.url).port);
      expect((await fetch(`${own}/status`)).status).toBe(200);
      expect(((await (await fetch(`${own}/status.json`)).json()) as StatusModel).services.map((s) => s.id)).toEqual(['cong']);
      for (const path of ['/console/', '/console/login', '/api/v1/samples', '/api/v1/alerts', '/healthz']) {
        expect((await fetch(`${own}${path}`, { redirect: 'manual' })).status, path).toBe(404);
      }
    } finally {
      await tc.close();
      await influx.stop();
    }
  });
});
