// The dns check against Debian's NSD on a loopback port serving zones written here: every record type,
// expected answers and a changed A record, refused, NXDOMAIN, a timeout, TCP after truncation, and
// answers built by hand to be hostile (pointer loops, spoofed ids, endless TXT).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSample, type WireSample } from '../../../protocol/index.ts';
import { AGENT_BIN, runCli, writeYaml } from '../../../test/support/agent.ts';
import { startDnsServer, zone, type DnsTestServer } from '../../../test/support/dns-server.ts';
import { missing } from '../../../test/support/require.ts';
import { createLogger } from '../../log.ts';
import { SampleRecorder } from '../../recorder.ts';
import { decodeMessage, DnsFormatError, encodeQuery } from '../common/dns-wire.ts';
import { dnsCheck } from './index.ts';

// Network safety: every query goes to 127.0.0.1 (NSD or a socket of this file). The zones use
// documentation addresses (RFC 5737, RFC 3849) and names under example.vn served only here.

type Query = { name: string; type?: string; expect?: string[] };

async function run(server: string, queries: Query[], opts: { timeoutMs?: number; transport?: 'udp' | 'tcp' } = {}): Promise<WireSample[]> {
  const recorder = new SampleRecorder();
  const timeoutMs = opts.timeoutMs ?? 2000;
  const config = { type: 'dns', name: 'lab', interval: '60s', timeout: `${timeoutMs}ms`, intervalMs: 60_000, timeoutMs, server, transport: opts.transport ?? 'udp', queries };
  expect(dnsCheck.validate!(config as never, 'checks[0]')).toEqual([]);
  await dnsCheck.run(config as never, { recorder, signal: new AbortController().signal, log: createLogger({ write: () => {} }) });
  for (const s of recorder.samples) expect(validateSample(s)).toMatchObject({ ok: true });
  return recorder.samples;
}

const many = Array.from({ length: 120 }, (_, i) => `big IN A 198.51.100.${i + 1}`);

function portalZone(serial: number, portal: string): string {
  return zone('example.vn', serial, [
    `portal IN A ${portal}`,
    'portal IN AAAA 2001:db8::10',
    'www IN CNAME portal.example.vn.',
    '@ IN MX 10 mail.example.vn.',
    '@ IN MX 20 mail2.example.vn.',
    'mail IN A 192.0.2.25',
    // Two character-strings make one TXT record (how long SPF and DKIM records are written).
    '@ IN TXT "v=spf1 ip4:192.0.2.0/24 " "-all"',
    '@ IN TXT "Cổng thông tin điện tử"',
    ...many,
  ]);
}

const reverse = zone('2.0.192.in-addr.arpa', 7, ['25 IN PTR mail.example.vn.']);

const skip = missing({ commands: ['nsd'] });

describe.skipIf(skip)('dns check against NSD on loopback', () => {
  let ns: DnsTestServer;
  beforeAll(async () => {
    ns = await startDnsServer({ 'example.vn': portalZone(2026120101, '192.0.2.10'), '2.0.192.in-addr.arpa': reverse });
  }, 30_000);
  afterAll(() => ns?.stop());

  it('asks every record type and reports rcode, answers, time and the SOA serial', async () => {
    const samples = await run(ns.server, [
      { name: 'portal.example.vn', type: 'A' },
      { name: 'portal.example.vn', type: 'AAAA' },
      { name: 'www.example.vn', type: 'CNAME' },
      { name: 'example.vn', type: 'MX' },
      { name: 'example.vn', type: 'NS' },
      { name: 'example.vn', type: 'TXT' },
      { name: 'example.vn', type: 'SOA' },
      { name: '192.0.2.25', type: 'PTR' },
    ]);
    const by = (type: string) => samples.find((s) => s.tags.type === type)!;
    for (const s of samples) {
      expect(s.tags).toMatchObject({ server: ns.server, name: 'lab', result: 'ok' });
      expect(s.fields).toMatchObject({ up: 1, rcode: 0, ad: 0, truncated: 0 });
      expect(s.fields.rtt_ms).toBeGreaterThan(0);
    }
    expect(by('A').fields).toMatchObject({ answers: 1, answer_text: '192.0.2.10' });
    expect(by('AAAA').fields.answer_text).toBe('2001:db8::10');
    expect(by('CNAME').fields.answer_text).toBe('portal.example.vn');
    expect(by('MX').fields).toMatchObject({ answers: 2, answer_text: '10 mail.example.vn | 20 mail2.example.vn' });
    expect(by('NS').fields.answer_text).toBe('ns1.example.vn');
    expect(by('TXT').fields.answer_text).toBe('Cổng thông tin điện tử | v=spf1 ip4:192.0.2.0/24 -all');
    expect(by('SOA').fields).toMatchObject({ soa_serial: 2026120101, answer_text: 'ns1.example.vn hostmaster.example.vn 2026120101 3600 600 86400 300' });
    expect(by('PTR').tags.query).toBe('192.0.2.25');
    expect(by('PTR').fields.answer_text).toBe('mail.example.vn');
  });

  it('a changed A record is a mismatch with the answers seen as evidence', async () => {
    const query = { name: 'portal.example.vn', type: 'A', expect: ['192.0.2.10'] };
    const [before] = await run(ns.server, [query]);
    expect(before.tags.result).toBe('ok');
    expect(before.fields).toMatchObject({ up: 1, mismatch: 0 });
    await ns.setZones({ 'example.vn': portalZone(2026120102, '203.0.113.66'), '2.0.192.in-addr.arpa': reverse });
    try {
      const [after, soa] = await run(ns.server, [query, { name: 'example.vn', type: 'SOA' }]);
      expect(after.tags.result).toBe('mismatch');
      expect(after.fields).toMatchObject({ up: 1, mismatch: 1, answers: 1, answer_text: '203.0.113.66' });
      expect(soa.fields.soa_serial).toBe(2026120102);
    } finally {
      await ns.setZones({ 'example.vn': portalZone(2026120101, '192.0.2.10'), '2.0.192.in-addr.arpa': reverse });
    }
  });

  it('NXDOMAIN, a name without the type asked and a zone the server refuses each give their result', async () => {
    const samples = await run(ns.server, [
      { name: 'no-such-host.example.vn', type: 'A' },
      { name: 'mail.example.vn', type: 'AAAA' },
      { name: 'portal.example.org', type: 'A', expect: ['192.0.2.10'] },
    ]);
    expect(samples.map((s) => [s.tags.query, s.tags.result, s.fields.up, s.fields.rcode])).toEqual([
      ['no-such-host.example.vn', 'nxdomain', 0, 3],
      ['mail.example.vn', 'no_answer', 0, 0],
      ['portal.example.org', 'refused', 0, 5],
    ]);
    expect(samples[2].fields).toMatchObject({ mismatch: 1, error: 'the server answered REFUSED' });
  });

  it('asks again over TCP when the UDP answer is truncated, and over TCP only when told', async () => {
    const [udp] = await run(ns.server, [{ name: 'big.example.vn', type: 'A' }]);
    expect(udp.fields).toMatchObject({ up: 1, truncated: 1, answers: 120 });
    expect(String(udp.fields.answer_text).length).toBeLessThanOrEqual(1000);
    const [tcp] = await run(ns.server, [{ name: 'big.example.vn', type: 'A' }], { transport: 'tcp' });
    expect(tcp.fields).toMatchObject({ up: 1, truncated: 0, answers: 120 });
  });

  it('through the agent: `canhgac-agent once --json` prints the samples', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'canhgac-dns-'));
    try {
      const file = writeYaml(join(dir, 'agent.yaml'), {
        checks: [{ type: 'dns', name: 'cong-thong-tin', server: ns.server, queries: [{ name: 'portal.example.vn', expect: ['192.0.2.10'] }, { name: 'example.vn', type: 'MX' }] }],
      });
      const r = await runCli(AGENT_BIN, ['once', '--config', file, '--json'], { timeoutMs: 30_000 });
      expect(r.code, r.stderr).toBe(0);
      const samples = (JSON.parse(r.stdout) as WireSample[]).filter((s) => s.measurement === 'dns');
      if (process.env.CANHGAC_PRINT_EXAMPLE) console.log(samples.map((s) => JSON.stringify(s)).join('\n'));
      expect(samples.map((s) => [s.tags.query, s.tags.type, s.tags.result])).toEqual([
        ['portal.example.vn', 'A', 'ok'],
        ['example.vn', 'MX', 'ok'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A UDP "server" on loopback that answers each query with what `reply` makes of it (or nothing). */
async function fakeServer(reply: (query: Buffer) => Buffer[] | undefined): Promise<{ server: string; close(): void }> {
  const s: UdpSocket = createSocket('udp4');
  s.on('message', (msg, rinfo) => {
    for (const out of reply(msg) ?? []) s.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { server: `127.0.0.1:${s.address().port}`, close: () => s.close() };
}

/** The query turned into a response header with `answers` appended (ancount given). */
function respond(query: Buffer, ancount: number, answers: Buffer, flags = 0x8180, id = query.readUInt16BE(0)): Buffer {
  // Header + question of the query, without its OPT record (11 bytes at the end).
  const head = Buffer.from(query.subarray(0, query.length - 11));
  head.writeUInt16BE(id, 0);
  head.writeUInt16BE(flags, 2);
  head.writeUInt16BE(ancount, 6);
  head.writeUInt16BE(0, 10);
  return Buffer.concat([head, answers]);
}

describe('dns check against hostile answers', () => {
  it('a server that never answers is a timeout within the budget', async () => {
    const silent = await fakeServer(() => undefined);
    try {
      const started = Date.now();
      const [s] = await run(silent.server, [{ name: 'portal.example.vn' }], { timeoutMs: 300 });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(s.tags.result).toBe('timeout');
      expect(s.fields).toEqual({ up: 0, error: 'no answer within 300 ms' });
    } finally {
      silent.close();
    }
  });

  it('a spoofed answer with another id is ignored; the real one counts', async () => {
    const a = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 10]);
    const evil = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 203, 0, 113, 66]);
    const srv = await fakeServer((q) => [respond(q, 1, evil, 0x8180, q.readUInt16BE(0) ^ 1), respond(q, 1, a)]);
    try {
      const [s] = await run(srv.server, [{ name: 'portal.example.vn', expect: ['192.0.2.10'] }]);
      expect(s.tags.result).toBe('ok');
      expect(s.fields.answer_text).toBe('192.0.2.10');
    } finally {
      srv.close();
    }
  });

  it('a compression pointer loop, a pointer forward and a record past the end are malformed answers, not hangs', async () => {
    const loops = [
      // The answer's owner name points at itself.
      (q: Buffer) => respond(q, 1, Buffer.from([0xc0, q.length - 11, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4])),
      // A CNAME whose data points forward, past itself.
      (q: Buffer) => respond(q, 1, Buffer.from([0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 0xff])),
      // rdlength says 200 bytes, 4 follow.
      (q: Buffer) => respond(q, 1, Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 200, 1, 2, 3, 4])),
    ];
    for (const make of loops) {
      const srv = await fakeServer((q) => [make(q)]);
      try {
        const [s] = await run(srv.server, [{ name: 'portal.example.vn' }]);
        expect(s.tags.result).toBe('error');
        expect(String(s.fields.error)).toMatch(/^malformed answer: /);
      } finally {
        srv.close();
      }
    }
  });

  it('an endless TXT answer and control characters are clipped and escaped', async () => {
    const strings = Buffer.concat(Array.from({ length: 40 }, () => Buffer.concat([Buffer.from([255]), Buffer.alloc(255, 0x41)])));
    const rdata = Buffer.concat([Buffer.from([9]), Buffer.from('evil\x1b[2J'), strings]);
    const rr = Buffer.concat([Buffer.from([0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, rdata.length >> 8, rdata.length & 255]), rdata]);
    const srv = await fakeServer((q) => [respond(q, 1, rr)]);
    try {
      const [s] = await run(srv.server, [{ name: 'example.vn', type: 'TXT' }]);
      expect(s.tags.result).toBe('ok');
      const text = String(s.fields.answer_text);
      expect(text.length).toBeLessThanOrEqual(1000);
      expect(text.startsWith('evil\\u001b[2J')).toBe(true);
    } finally {
      srv.close();
    }
  });

  it('decodeMessage refuses short, out-of-bounds and looping messages without reading past the buffer', () => {
    const q = encodeQuery(7, 'portal.example.vn', 'A');
    expect(() => decodeMessage(Buffer.alloc(5))).toThrow(DnsFormatError);
    expect(() => decodeMessage(q.subarray(0, 20))).toThrow(DnsFormatError);
    // Every prefix of a valid answer either decodes or throws DnsFormatError; nothing else.
    const answer = respond(q, 1, Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 10]));
    for (let n = 0; n <= answer.length; n++) {
      try {
        decodeMessage(answer.subarray(0, n));
      } catch (err) {
        expect(err).toBeInstanceOf(DnsFormatError);
      }
    }
    expect(decodeMessage(answer).answers).toEqual([{ name: 'portal.example.vn', type: 'A', ttl: 60, text: '192.0.2.10' }]);
  });
});
