import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeAgent } from '../collector/state/agents.ts';
import { rows, startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';

const skip = missing({ commands: ['influxd'] });

describe.skipIf(skip)('collector ingest: auth and bad input (real influxd)', () => {
  let influx: Influxd;
  let tc: TestCollector;

  beforeAll(async () => {
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url);
  });
  afterAll(async () => {
    await tc?.close();
    await influx?.stop();
  });

  const now = () => new Date().toISOString();
  const tcp = (port: string, extra: Record<string, string> = {}) => ({
    measurement: 'tcp',
    tags: { target: '127.0.0.1', port, result: 'ok', ...extra },
    fields: { up: 1, connect_ms: 0.4 },
    time: now(),
  });

  const enrol = (agency: string) => tc.enrolAgent(agency, `host-${agency}`);

  function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(tc.url + path, {
      method: 'POST',
      body: typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });
  }

  const send = (token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    post('/api/v1/samples', body, { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers });

  async function points(measurement: string, where = 'true'): Promise<Record<string, unknown>[]> {
    return rows(await influx.query(`SELECT * FROM "${measurement}" WHERE ${where}`, tc.config.influx.database));
  }

  it('refuses samples without a token, with an unknown token and with a revoked token', async () => {
    expect((await send(undefined, { samples: [tcp('1')] })).status).toBe(401);
    expect((await send('cga_not-a-real-token', { samples: [tcp('1')] })).status).toBe(401);
    const a = await enrol('so-tu-phap');
    expect((await send(a.token, { samples: [tcp('2')] })).status).toBe(200);
    await revokeAgent(tc.collector.state, a.agentId);
    const after = await send(a.token, { samples: [tcp('3')] });
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ message: 'unknown or revoked token' });
  });

  it('refuses a used, an expired and an unknown enrolment code with one answer that tells a guesser nothing', async () => {
    const code = await tc.enrollCode('so-y-te');
    expect((await post('/api/v1/enroll', { code, hostname: 'pc1', version: 't' })).status).toBe(200);
    const answers = [];
    for (const body of [
      { code, hostname: 'pc2', version: 't' },
      { code: await tc.enrollCode('so-y-te', -1000), hostname: 'pc3', version: 't' },
      { code: 'AAAA-BBBB-CCCC-DDDD', hostname: 'pc4', version: 't' },
    ]) {
      const res = await post('/api/v1/enroll', body);
      answers.push({ status: res.status, body: await res.json() });
    }
    expect(answers[0]).toEqual({ status: 403, body: { error: 'enrolment_refused', message: expect.stringMatching(/^enrolment code not accepted \(unknown, already used or expired\)/) } });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('limits enrolment attempts per address (429 with Retry-After, before any lookup); another address still enrols', async () => {
    const { request } = await import('node:http');
    const from = (localAddress: string, body: object) =>
      new Promise<{ status: number; retryAfter?: string }>((resolve, reject) => {
        const req = request(`${url}/api/v1/enroll`, { method: 'POST', localAddress, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined }));
        });
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    // The default limits (the shared test collector raises them for the other tests).
    const limited0 = await startTestCollector(influx.url, { extra: { ingest: {} } });
    const url = limited0.url;
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await from('127.0.0.3', { code: `GUES-SING-${String(i).padStart(4, '0')}-XXXX`, hostname: 'guesser', version: 't' })).status);
    try {
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(403));
      expect(statuses.slice(10)).toEqual([429, 429]);
      const limited = await from('127.0.0.3', { code: await limited0.enrollCode('so-y-te'), hostname: 'late', version: 't' });
      expect(limited.status).toBe(429);
      expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
      expect((await from('127.0.0.4', { code: await limited0.enrollCode('so-y-te'), hostname: 'pc-other', version: 't' })).status).toBe(200);
    } finally {
      await limited0.close();
    }
  });

  it('sets agency and agent from the token, whatever the payload says', async () => {
    const a = await enrol('so-y-te');
    const res = await send(a.token, { samples: [tcp('4401', { agency: 'so-tu-phap', agent: 'someone-else' })] });
    expect(res.status).toBe(200);
    const got = await points('tcp', `"port" = '4401'`);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ agency: 'so-y-te', agent: a.agentId });
    expect(got[0].district ?? null).toBeNull(); // a province department has no district
  });

  it("adds the agency's district from the config, whatever the payload says", async () => {
    const a = await enrol('ubnd-cang-long');
    const b = await enrol('so-tu-phap');
    expect((await send(a.token, { samples: [tcp('4405', { district: 'Somewhere Else' })] })).status).toBe(200);
    expect((await send(b.token, { samples: [tcp('4406', { district: 'Càng Long' })] })).status).toBe(200);
    expect(await points('tcp', `"port" = '4405'`)).toMatchObject([{ agency: 'ubnd-cang-long', district: 'Càng Long' }]);
    expect((await points('tcp', `"port" = '4406'`))[0].district ?? null).toBeNull();
  });

  it('answers malformed JSON and broken gzip with 400, a wrong content type with 415', async () => {
    const a = await enrol('so-y-te');
    const bad = await send(a.token, '{"samples": [');
    expect(bad.status).toBe(400);
    const gz = await send(a.token, Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
    expect(gz.status).toBe(400);
    const ct = await send(a.token, 'samples', { 'content-type': 'text/plain' });
    expect(ct.status).toBe(415);
  });

  it('accepts gzip bodies', async () => {
    const a = await enrol('so-y-te');
    const res = await send(a.token, gzipSync(JSON.stringify({ samples: [tcp('4402')] })), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(await points('tcp', `"port" = '4402'`)).toHaveLength(1);
  });

  it('rejects unknown measurements, wrong field types and missing fields with reasons, and stores the valid samples of the batch', async () => {
    const a = await enrol('ubnd-cang-long');
    const batch = [
      tcp('4501'),
      { measurement: 'pong', tags: {}, fields: { up: 1 }, time: now() },
      { ...tcp('4502'), fields: { up: 'yes', connect_ms: 1 } },
      { ...tcp('4503'), fields: { connect_ms: 1 } },
      { ...tcp('4504'), fields: { up: 1, connect_ms: 1, color: 3 } },
      { ...tcp('4505'), fields: { up: 0.5 } },
      tcp('4506'),
    ];
    const res = await send(a.token, { samples: batch });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { accepted: number; rejected: { index: number; reason: string }[] };
    expect(body.accepted).toBe(2);
    expect(body.rejected).toEqual([
      { index: 1, reason: 'unknown measurement "pong"' },
      { index: 2, reason: 'tcp: field "up" must be a number, got string' },
      { index: 3, reason: 'tcp: missing field "up"' },
      { index: 4, reason: 'tcp: unknown field "color"' },
      { index: 5, reason: 'tcp: field "up" must be an integer, got 0.5' },
    ]);
    const stored = (await points('tcp', `"agent" = '${a.agentId}'`)).map((p) => p.port).sort();
    expect(stored).toEqual(['4501', '4506']);
  });

  it('keeps field types stable: an integer field stays integer, a float field float', async () => {
    const a = await enrol('so-y-te');
    await send(a.token, { samples: [{ ...tcp('4601'), fields: { up: 1, connect_ms: 2 } }] });
    const keys = rows(await influx.query('SHOW FIELD KEYS FROM "tcp"', tc.config.influx.database));
    expect(keys).toEqual(expect.arrayContaining([
      { fieldKey: 'up', fieldType: 'integer' },
      { fieldKey: 'connect_ms', fieldType: 'float' },
    ]));
  });
});
