// Hostile input against a real collector and a real influxd: well over 1,000 generated payloads
// (random JSON, deep nesting, huge strings, every control and separator character in names and tags,
// NaN/Infinity, extreme timestamps, wrong content types, broken gzip). Nothing may crash it, nothing may
// answer 5xx, and InfluxDB must hold nothing the catalogue does not allow.
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue, COLLECTOR_TAGS, isMeasurement } from '../protocol/index.ts';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';

interface Payload {
  kind: string;
  body: Buffer | string;
  contentType?: string;
  encoding?: string;
}

const CONTROL = [...Array(32).keys()].map((c) => String.fromCharCode(c)).concat(['\u007f', '\u0085', '\u009f', '\u2028', '\u2029']);
const SEPARATORS = [',', '=', ' ', '"', '\\', "'", '\\ ', '\\,', '\\=', '\n', '\r\n', '#', '\u00a0'];
const evilChar = fc.constantFrom(...CONTROL, ...SEPARATORS);
const evilString = fc.string({ unit: fc.oneof(evilChar, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 24 });
const now = () => Date.now();

const base = () => ({
  measurement: 'tcp',
  tags: { target: '127.0.0.1', port: '443', result: 'ok' } as Record<string, unknown>,
  fields: { up: 1, connect_ms: 1.25 } as Record<string, unknown>,
  time: new Date(now()).toISOString() as unknown,
});

const weirdValue = fc.oneof(
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '', '0x10', 'true', null, true, -0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 5e-324),
  fc.anything({ maxDepth: 3 }),
  evilString,
);
const weirdTime = fc.oneof(
  fc.constantFrom(
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '+275760-09-13T00:00:00.000Z',
    '-271821-04-20T00:00:00.000Z',
    '2026-02-30T00:00:00Z',
    '2026-11-27T23:59:60Z',
    '1970-01-01T00:00:00Z',
    '2026-11-27T10:00:00',
    'yesterday',
    '',
    0,
    -1,
    1e21,
    null,
  ),
  fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }).map((ms) => new Date(ms).toISOString()),
  fc.integer({ min: -30 * 86_400_000, max: 30 * 86_400_000 }).map((d) => new Date(now() + d).toISOString()),
);

/** A plausible sample with one hostile change. */
const mutatedSample = fc
  .tuple(
    fc.constantFrom('measurement', 'tagKey', 'tagValue', 'fieldKey', 'fieldValue', 'time', 'collectorTag', 'shape'),
    evilString,
    weirdValue,
    weirdTime,
    fc.constantFrom(...Object.keys(catalogue)),
  )
  .map(([what, evil, value, time, name]) => {
    const s = base() as Record<string, unknown> & ReturnType<typeof base>;
    if (what === 'measurement') s.measurement = fc.sample(fc.constantFrom(`tcp,agent=evil`, `tcp x=1`, `evil\nmeasurement`, `${name}${evil}`, evil, 'collector_status', 'alerts'), 1)[0];
    if (what === 'tagKey') s.tags[evil] = 'x';
    if (what === 'tagValue') s.tags.target = evil;
    if (what === 'fieldKey') s.fields[evil] = 1;
    if (what === 'fieldValue') s.fields.connect_ms = value;
    if (what === 'time') s.time = time;
    if (what === 'collectorTag') s.tags.agent = evil;
    if (what === 'shape') return fc.sample(fc.constantFrom({ ...s, tags: value }, { ...s, fields: value }, { ...s, fields: {} }, [s], value), 1)[0];
    return s;
  });

const json = (samples: unknown): Payload => ({ kind: 'json', body: JSON.stringify({ samples }) });

const payload: fc.Arbitrary<Payload> = fc.oneof(
  // Samples with one hostile change each, in batches.
  fc.array(mutatedSample, { minLength: 1, maxLength: 20 }).map((s) => ({ ...json(s), kind: 'mutated samples' })),
  // Random JSON, as the whole body or as the samples.
  fc.jsonValue().map((v) => ({ kind: 'random json', body: JSON.stringify(v) })),
  fc.array(fc.anything({ maxDepth: 4 }), { maxLength: 5 }).map((v) => ({ kind: 'random samples', body: JSON.stringify({ samples: v }, (_k, x) => (typeof x === 'bigint' ? String(x) : x)) ?? 'null' })),
  // NaN and Infinity as bare tokens (not JSON) and out-of-range numbers.
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '1e-999', '0x1F', '+1').map((tok) => ({
    kind: 'bare number token',
    body: JSON.stringify({ samples: [base()] }).replace('1.25', tok),
  })),
  // Deep nesting, in the body and inside a sample.
  fc.integer({ min: 10, max: 5_000 }).map((n) => ({ kind: 'deep nesting', body: `{"samples":[${'['.repeat(n)}${']'.repeat(n)}]}` })),
  fc.integer({ min: 10, max: 2_000 }).map((n) => ({ kind: 'deep object', body: `{"samples":[{"measurement":"tcp","tags":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}]}` })),
  fc.integer({ min: 10, max: 2_000 }).map((n) => ({ kind: 'proto deep', body: `{"samples":[${'{"__proto__":'.repeat(n)}1${'}'.repeat(n)}]}` })),
  // Huge strings.
  fc.integer({ min: 257, max: 100_000 }).map((n) => {
    const s = base();
    s.tags.target = 'x'.repeat(n);
    return { ...json([s]), kind: 'huge tag value' };
  }),
  fc.integer({ min: 65, max: 20_000 }).map((n) => {
    const s = base();
    s.fields['f'.repeat(n)] = 1;
    return { ...json([s]), kind: 'huge field key' };
  }),
  // Wrong content types for a valid body.
  fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=latin1', '', 'application/jsonx').map((ct) => ({
    ...json([base()]),
    kind: 'content type',
    contentType: ct,
  })),
  // Broken or unsupported compression.
  fc.uint8Array({ minLength: 0, maxLength: 200 }).map((b) => ({ kind: 'random gzip', body: Buffer.from(b), encoding: 'gzip' })),
  fc.integer({ min: 1, max: 60 }).map((cut) => {
    const full = gzipSync(JSON.stringify({ samples: [base()] }));
    return { kind: 'truncated gzip', body: full.subarray(0, Math.max(1, full.length - cut)), encoding: 'gzip' };
  }),
  fc.constantFrom('deflate', 'br', 'compress', 'gzip, gzip', 'x-gzip', 'GZIP').map((enc) => ({ kind: 'encoding', body: gzipSync(JSON.stringify({ samples: [base()] })), encoding: enc })),
);

const skip = missing({ commands: ['influxd'] });

describe.skipIf(skip)('hostile input at the ingest endpoint (real collector, real influxd)', () => {
  let influx: Influxd;
  let tc: TestCollector;
  let token = '';
  let agentId = '';
  const db = () => tc.config.influx.database;

  beforeAll(async () => {
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url, {
      extra: { ingest: { bodyLimit: 4 * 1024 * 1024, rateLimit: { requestsPerSecond: 100_000, samplesPerSecond: 10_000_000 } } },
    });
    ({ token, agentId } = await tc.enrolAgent('so-y-te', 'hostile'));
  });
  afterAll(async () => {
    await tc?.close();
    await influx?.stop();
  });

  function send(p: Payload): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (p.contentType !== '') headers['content-type'] = p.contentType ?? 'application/json';
    if (p.encoding) headers['content-encoding'] = p.encoding;
    return fetch(`${tc.url}/api/v1/samples`, { method: 'POST', headers, body: typeof p.body === 'string' ? p.body : new Uint8Array(p.body) });
  }

  it('answers 1,200 generated payloads with 2xx/4xx and a reason, never 5xx, and keeps running', async () => {
    const payloads = fc.sample(payload, { numRuns: 1200, seed: 20261127 });
    const fixed: Payload[] = [
      { kind: 'gzip bomb', body: gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)), encoding: 'gzip' },
      { kind: 'over the body limit', body: JSON.stringify({ samples: [{ ...base(), tags: { target: 'x'.repeat(5 * 1024 * 1024) } }] }) },
      { kind: 'deep nesting 200k', body: `{"samples":[${'['.repeat(200_000)}${']'.repeat(200_000)}]}` },
      { kind: 'empty body', body: '' },
      { kind: 'null', body: 'null' },
    ];
    const all = [...fixed, ...payloads];
    const failures: string[] = [];
    const kinds = new Map<string, number>();
    let next = 0;
    const worker = async () => {
      while (next < all.length) {
        const p = all[next++];
        kinds.set(p.kind, (kinds.get(p.kind) ?? 0) + 1);
        const res = await send(p);
        const text = await res.text();
        if (res.status >= 500) failures.push(`${p.kind}: ${res.status} ${text.slice(0, 200)} for ${String(p.body).slice(0, 120)}`);
        else if (res.status >= 400) {
          const body = JSON.parse(text) as { message?: string; rejected?: { reason: string }[] };
          if (!body.message && !body.rejected?.[0]?.reason) failures.push(`${p.kind}: ${res.status} without a reason: ${text.slice(0, 200)}`);
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(failures).toEqual([]);
    expect(all.length).toBeGreaterThanOrEqual(1000);
    expect(kinds.size).toBeGreaterThanOrEqual(12);
    expect((await fetch(`${tc.url}/healthz`)).status).toBe(200);
    // The gzip bomb is refused by size, after decompression; so is a plain body over the limit.
    expect((await send(fixed[0])).status).toBe(413);
    expect((await send(fixed[1])).status).toBe(413);
  }, 180_000);

  it('leaves InfluxDB with only catalogue measurements, tags, fields and types, and only this agent', async () => {
    const measurements = (await influx.query('SHOW MEASUREMENTS', db())).flatMap((s) => s.values.map((v) => String(v[0])));
    expect(measurements.length).toBeGreaterThan(0);
    expect(measurements.filter((m) => !isMeasurement(m))).toEqual([]);
    for (const m of measurements) {
      const spec = catalogue[m as keyof typeof catalogue];
      const tagKeys = (await influx.query(`SHOW TAG KEYS FROM "${m}"`, db())).flatMap((s) => s.values.map((v) => String(v[0])));
      expect(tagKeys.filter((k) => !(k in spec.tags) && !(COLLECTOR_TAGS as readonly string[]).includes(k)), `tags of ${m}`).toEqual([]);
      const fields = (await influx.query(`SHOW FIELD KEYS FROM "${m}"`, db())).flatMap((s) => s.values.map((v) => [String(v[0]), String(v[1])]));
      for (const [key, type] of fields) {
        const f = (spec.fields as Record<string, { type: string }>)[key];
        expect(f, `field ${m}.${key}`).toBeDefined();
        expect(type, `type of ${m}.${key}`).toBe(f.type);
      }
      const values = (await influx.query(`SHOW TAG VALUES FROM "${m}" WITH KEY =~ /.*/`, db())).flatMap((s) => s.values.map((v) => [String(v[0]), String(v[1])]));
      for (const [key, value] of values) {
        expect(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(value), `control character in ${m}.${key}`).toBe(false);
        if (key === 'agent') expect(value).toBe(agentId);
        if (key === 'agency') expect(value).toBe('so-y-te');
      }
    }
  });

  it('a resent batch overwrites its points, never doubles them (samples keep their measured time)', async () => {
    const batch = [0, 1, 2].map((i) => ({ ...base(), tags: { target: 'resend', port: String(i), result: 'ok' }, time: new Date(Date.now() - 60_000 + i).toISOString() }));
    for (let n = 0; n < 3; n++) expect((await send(json(batch))).status).toBe(200);
    const r = await influx.query(`SELECT count(up) FROM tcp WHERE target = 'resend'`, db());
    expect(r[0].values[0][1]).toBe(3);
  });

  it('refuses samples outside [now - maxSampleAge, now + 5 min] with a reason', async () => {
    const at = (offsetMs: number) => ({ ...base(), tags: { target: 'window', port: String(offsetMs), result: 'ok' }, time: new Date(Date.now() + offsetMs).toISOString() });
    const res = await send(json([at(-8 * 86_400_000), at(6 * 60_000), at(4 * 60_000), at(-6 * 86_400_000)]));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { accepted: number; rejected: { index: number; reason: string }[] };
    expect(body.accepted).toBe(2);
    expect(body.rejected).toEqual([
      { index: 0, reason: expect.stringMatching(/older than the accepted window/) },
      { index: 1, reason: expect.stringMatching(/in the future/) },
    ]);
  });
});

describe.skipIf(skip)('per-agent rate limit', () => {
  let influx: Influxd;
  let tc: TestCollector;

  beforeAll(async () => {
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url, { extra: { ingest: { rateLimit: { requestsPerSecond: 2, samplesPerSecond: 10, burstSeconds: 1 } } } });
  });
  afterAll(async () => {
    await tc?.close();
    await influx?.stop();
  });

  it('answers 429 with Retry-After past the bucket; every agent has its own bucket', async () => {
    const enrol = async (hostname: string) =>
      (await (
        await fetch(`${tc.url}/api/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: await tc.enrollCode('so-y-te'), hostname, version: 't' }) })
      ).json()) as { token: string };
    const a = await enrol('busy');
    const b = await enrol('quiet');
    const post = (token: string, n: number) =>
      fetch(`${tc.url}/api/v1/samples`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ samples: Array.from({ length: n }, (_, i) => ({ ...base(), tags: { target: 'rl', port: String(i), result: 'ok' } })) }),
      });
    expect((await post(a.token, 8)).status).toBe(200);
    const limited = await post(a.token, 8); // 8 + 8 > 10 samples in the bucket
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { message: string }).message).toMatch(/retry in/);
    expect((await post(b.token, 8)).status).toBe(200); // another agent has its own bucket
  });
});
