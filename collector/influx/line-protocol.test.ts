import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSample, type WireSample } from '../../protocol/index.ts';
import { rows, startInfluxd, type Influxd } from '../../scripts/lib/influxd.ts';
import { missing } from '../../test/support/require.ts';
import { toLines } from './line-protocol.ts';
import { InfluxWriter } from './writer.ts';

// Every character a tag or string field can hold, with the line-protocol separators over-represented.
const special = fc.constantFrom(' ', ',', '=', '\\', '"', "'", '#', '\u00a0', '\u3000', 'ệ', 'Đ', '😀', '\u{10ffff}', '\ufeff', 'a', 'Z', '0');
const text = (minLength = 0) => fc.string({ unit: fc.oneof(special, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), minLength, maxLength: 40 });

describe('line protocol escaping', () => {
  it('refuses tag values InfluxDB 1.x cannot store verbatim, with a reason', () => {
    for (const bad of ['C:\\', 'a\\ b', 'a\\,b', 'a\\=b']) {
      const v = validateSample({ measurement: 'cert_file', tags: { path: bad }, fields: { days_left: 1 }, time: new Date().toISOString() });
      expect(v.ok, bad).toBe(false);
      expect(!v.ok && v.reason).toMatch(/backslash/);
    }
    const ok = validateSample({ measurement: 'cert_file', tags: { path: 'C:\\certs\\a b,c=d.pem' }, fields: { days_left: 1 }, time: new Date().toISOString() });
    expect(ok.ok).toBe(true);
  });
});

const skip = missing({ commands: ['influxd'] });

describe.skipIf(skip)('line protocol round trip through a real influxd (property-based)', () => {
  let influx: Influxd;
  let writer: InfluxWriter;
  const db = 'lp';

  beforeAll(async () => {
    influx = await startInfluxd();
    await influx.query(`CREATE DATABASE ${db}`);
    writer = new InfluxWriter({ url: influx.url, database: db });
  });
  afterAll(async () => {
    await influx?.stop();
  });

  it('stores every tag value and string field that validation accepts exactly as sent', async () => {
    let base = Date.parse('2026-01-01T00:00:00Z');
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ subnet: text(1), mac: text(1), ip: text(), vendor: text(), hostname: text() }), { minLength: 1, maxLength: 60 }), async (items) => {
        base += 100_000;
        const samples: WireSample[] = [];
        items.forEach((it, i) => {
          const v = validateSample({
            measurement: 'lan_device',
            tags: { subnet: it.subnet, mac: it.mac },
            fields: { up: 1, ip: it.ip, vendor: it.vendor, hostname: it.hostname },
            time: new Date(base + i).toISOString(),
          });
          if (v.ok) samples.push(v.sample);
        });
        if (samples.length === 0) return;
        await writer.writeLines(toLines(samples));
        const got = rows(await influx.query(`SELECT * FROM lan_device WHERE time >= ${base}ms AND time < ${base + 1000}ms`, db));
        const byTime = new Map(got.map((r) => [r.time as number, r]));
        for (const s of samples) {
          const r = byTime.get(Date.parse(s.time));
          expect(r, JSON.stringify(s)).toBeDefined();
          expect({ subnet: r!.subnet, mac: r!.mac, ip: r!.ip, vendor: r!.vendor, hostname: r!.hostname }).toEqual({
            subnet: s.tags.subnet,
            mac: s.tags.mac,
            ip: s.fields.ip,
            vendor: s.fields.vendor,
            hostname: s.fields.hostname,
          });
          checked++;
        }
      }),
      { numRuns: 60 },
    );
    expect(checked).toBeGreaterThan(200);
  });
});
