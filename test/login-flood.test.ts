// An unauthenticated login flood against a real collector: password checks stay within their budgets
// (per address and for everyone), and agents' sample posts (gzip, inflated on the shared thread pool)
// keep their latency because scrypt runs on its own thread.
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../collector/state/users.ts';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';

const FLOOD_MS = 6000;
const FLOOD_ADDRESSES = 20;
const FLOOD_CONCURRENCY = 40;

describe.skipIf(missing({ commands: ['influxd'] }))('login flood (real collector)', () => {
  let influx: Influxd;
  let tc: TestCollector;
  let token: string;

  beforeAll(async () => {
    influx = await startInfluxd();
    // The default login budgets (the test support raises them for other tests).
    tc = await startTestCollector(influx.url, { extra: { login: {} } });
    await createUser(tc.collector.state, { name: 'quantri', password: 'quantri-password-1', role: 'admin' });
    token = (await tc.enrolAgent('so-y-te', 'flood-agent')).token;
  }, 60_000);
  afterAll(async () => {
    await tc?.close();
    await influx?.stop();
  });

  const port = () => Number(new URL(tc.url).port);
  const post = (path: string, body: Buffer | string, headers: Record<string, string>, localAddress?: string) =>
    new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port: port(), path, method: 'POST', localAddress, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', () => resolve(0));
      req.end(body);
    });
  const login = (user: string, address: string) =>
    post('/console/login', new URLSearchParams({ username: user, password: 'wrong-guess-123' }).toString(), { 'content-type': 'application/x-www-form-urlencoded', origin: tc.url }, address);

  it('bounds password checks per address and overall, and agents keep p99 under 200 ms', async () => {
    const batch = (i: number) =>
      gzipSync(
        JSON.stringify({
          samples: Array.from({ length: 500 }, (_, k) => ({ measurement: 'tcp', tags: { target: '127.0.0.1', port: String(1000 + (k % 50)), result: 'ok' }, fields: { up: 1, connect_ms: 0.4 + i / 1000 }, time: new Date(Date.now() - k).toISOString() })),
        }),
      );
    const agentPost = async (i: number) => {
      const t0 = performance.now();
      const status = await post('/api/v1/samples', batch(i), { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${token}` });
      expect(status).toBe(200);
      return performance.now() - t0;
    };
    for (let i = 0; i < 5; i++) await agentPost(i); // warm-up

    const statuses = new Map<number, number>();
    const perAddress = new Map<string, number[]>();
    const until = Date.now() + FLOOD_MS;
    const flooder = async (w: number) => {
      for (let n = 0; Date.now() < until; n++) {
        const address = `127.0.1.${10 + (w % FLOOD_ADDRESSES)}`;
        const status = await login(`user${(w * 1000 + n) % 60}`, address);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        const list = perAddress.get(address) ?? [];
        list.push(status);
        perAddress.set(address, list);
      }
    };
    const flood = Promise.all(Array.from({ length: FLOOD_CONCURRENCY }, (_, w) => flooder(w)));
    const latencies: number[] = [];
    for (let i = 0; Date.now() < until; i++) latencies.push(await agentPost(i));
    await flood;

    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))];
    const checked = statuses.get(401) ?? 0;
    const refused = statuses.get(429) ?? 0;
    console.log(`login flood: ${checked + refused} attempts (${checked} password checks, ${refused} refused 429), ${latencies.length} agent posts, p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`);
    expect([...statuses.keys()].sort()).toEqual([401, 429]);
    // Everyone together: a burst of 20, then 10 a second.
    expect(checked).toBeLessThanOrEqual(20 + 10 * Math.ceil(FLOOD_MS / 1000 + 1));
    expect(refused).toBeGreaterThan(checked);
    // Per address: never more than its burst of 10 (plus one refill) in the flood's seconds.
    for (const [address, list] of perAddress) expect(list.filter((s) => s === 401).length, address).toBeLessThanOrEqual(12);
    expect(latencies.length).toBeGreaterThan(20);
    expect(p99).toBeLessThan(200);
  }, 60_000);

  it('after the flood, the right password from a quiet address logs in', async () => {
    await new Promise((r) => setTimeout(r, 2500)); // the shared budget refills (10 a second)
    const res = await post('/console/login', new URLSearchParams({ username: 'quantri', password: 'quantri-password-1' }).toString(), { 'content-type': 'application/x-www-form-urlencoded', origin: tc.url }, '127.0.2.1');
    expect(res).toBe(303);
  });
});
