// Clients that trickle or hoard connections against a real collector: a silent socket, headers sent
// byte by byte, a body announced and never finished (before or after a 401), and more connections from
// one address than allowed. Each is cut off within its configured bound; other addresses are served.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';

const HEADERS_S = 2;
const REQUEST_S = 3;

describe.skipIf(missing({ commands: ['influxd'] }))('slow and greedy clients (real collector)', () => {
  let influx: Influxd;
  let tc: TestCollector;
  let port: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url, {
      extra: { listen: { host: '127.0.0.1', port: 0, plainHttp: true, headersTimeout: `${HEADERS_S}s`, requestTimeout: `${REQUEST_S}s`, idleTimeout: '30s', maxConnectionsPerAddress: 5 } },
    });
    port = Number(new URL(tc.url).port);
  }, 60_000);
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await tc?.close();
    await influx?.stop();
  });

  /** Opens a socket (optionally from another loopback address) and resolves when it is connected. */
  const open = (localAddress?: string) =>
    new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, localAddress }, () => resolve(s));
      s.on('error', () => undefined);
      s.once('error', reject);
      sockets.push(s);
    });
  /** Seconds until the server closes the socket (bounded by `limitS`), meanwhile calling `drip` every 300 ms. */
  const closedAfter = (s: Socket, limitS: number, drip?: () => void) =>
    new Promise<number>((resolve) => {
      const t0 = Date.now();
      const timer = drip ? setInterval(drip, 300) : undefined;
      const give = setTimeout(() => done(Infinity), limitS * 1000);
      const done = (v: number) => {
        clearInterval(timer);
        clearTimeout(give);
        resolve(v);
      };
      s.once('close', () => done((Date.now() - t0) / 1000));
    });

  it('a connection that sends nothing is closed within the headers timeout', async () => {
    const s = await open();
    const took = await closedAfter(s, HEADERS_S + 5);
    expect(took).toBeLessThanOrEqual(HEADERS_S + 2);
  });

  it('headers sent one byte at a time are cut off within the headers timeout', async () => {
    const s = await open();
    const text = `GET /healthz HTTP/1.1\r\nHost: x\r\n${'X-Pad: y\r\n'.repeat(200)}`;
    let i = 0;
    const took = await closedAfter(s, HEADERS_S + 5, () => s.write(text[i++ % text.length]));
    expect(took).toBeLessThanOrEqual(HEADERS_S + 2);
  });

  for (const auth of ['no token (answered 401 before the body)', 'an unknown token']) {
    it(`a body announced and trickled with ${auth} is cut off within the request timeout`, async () => {
      const s = await open();
      const token = auth.startsWith('no') ? '' : 'Authorization: Bearer cg_not_a_real_token\r\n';
      s.write(`POST /api/v1/samples HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n${token}\r\n{`);
      const took = await closedAfter(s, REQUEST_S + 8, () => s.write(' '));
      expect(took).toBeLessThanOrEqual(REQUEST_S + 2);
    });
  }

  it('past the per-address connection cap new connections are refused; another address is still served', async () => {
    const held = await Promise.all(Array.from({ length: 5 }, () => open()));
    const extra = await open().catch(() => undefined);
    if (extra) expect(await closedAfter(extra, 3)).toBeLessThan(3);
    const res = await fetch(`${tc.url}/healthz`).catch((e: Error) => e);
    expect(res instanceof Error || (res as Response).status !== 200, 'a 6th connection from 127.0.0.1 was served').toBe(true);

    const other = await open('127.0.0.2');
    other.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      other.on('data', (d) => (text += d));
      other.once('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200/);

    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect((await fetch(`${tc.url}/healthz`)).status).toBe(200);
  });
});
