import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ROTATED_TOKEN_HEADER, type WireSample } from '../protocol/index.ts';
import { CollectorClient } from './collector-client.ts';
import { createLogger } from './log.ts';
import { DiskOutbox } from './outbox-disk.ts';
import { Sender } from './sender.ts';

type Answer = { status: number; headers?: Record<string, string>; body?: unknown };

/** A real HTTP server on loopback that answers from a script and records what it received. */
async function collectorScript(answers: Answer[]): Promise<{ server: Server; url: string; seen: { at: number; auth?: string; samples: WireSample[] }[] }> {
  const seen: { at: number; auth?: string; samples: WireSample[] }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString()) as { samples: WireSample[] };
      seen.push({ at: Date.now(), auth: req.headers.authorization, samples: body.samples });
      const a = answers.shift() ?? { status: 200 };
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(JSON.stringify(a.body ?? { accepted: body.samples.length, rejected: [] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

const dirs: string[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(url: string) {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-sender-'));
  dirs.push(dir);
  const outbox = new DiskOutbox({ dir: join(dir, 'outbox'), maxBytes: 1 << 20, maxAgeMs: 86_400_000 });
  const samples = Array.from({ length: 30 }, (_, i) => ({ measurement: 'tcp', tags: { target: 'x', port: String(i), result: 'ok' }, fields: { up: 1 }, time: new Date(Date.now() - i).toISOString() }));
  outbox.append(samples);
  const tokenFile = join(dir, 'token');
  const sender = new Sender({ client: new CollectorClient(url), outbox, log: createLogger({ level: 'error' }), tokenFile, token: 'cga_old', intervalMs: 50, batchSamples: 10, minBackoffMs: 50, maxBackoffMs: 200 });
  return { outbox, sender, tokenFile, samples };
}

describe('Sender against a real HTTP server', () => {
  it('waits as long as 429 Retry-After says, then sends everything in order exactly once', async () => {
    const c = await collectorScript([{ status: 429, headers: { 'retry-after': '1' }, body: { error: 'rate_limited', message: 'slow down' } }]);
    servers.push(c.server);
    const { outbox, sender, samples } = setup(c.url);
    sender.start();
    const deadline = Date.now() + 10_000;
    while (outbox.stats().samples > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await sender.stop();
    expect(outbox.stats().samples).toBe(0);
    expect(c.seen[1].at - c.seen[0].at).toBeGreaterThanOrEqual(950);
    const delivered = c.seen.slice(1).flatMap((s) => s.samples);
    expect(delivered.map((s) => s.tags.port)).toEqual(samples.map((s) => s.tags.port));
    expect(delivered.map((s) => s.time)).toEqual(samples.map((s) => s.time)); // never re-stamped
    outbox.close();
  });

  it("keeps its samples through the collector's 503 for a state database it cannot reach, waits its Retry-After, then sends each once", async () => {
    const c = await collectorScript([{ status: 503, headers: { 'retry-after': '1' }, body: { error: 'state_unavailable', message: 'the state database cannot be reached; retry in 10 s' } }]);
    servers.push(c.server);
    const { outbox, sender, samples } = setup(c.url);
    expect(await sender.flush()).toBe(0);
    expect(outbox.stats().samples).toBe(30);
    sender.start();
    const deadline = Date.now() + 10_000;
    while (outbox.stats().samples > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await sender.stop();
    expect(outbox.stats().samples).toBe(0);
    const delivered = c.seen.slice(1).flatMap((s) => s.samples);
    expect(delivered.map((s) => s.tags.port)).toEqual(samples.map((s) => s.tags.port));
    outbox.close();
  });

  it('keeps samples through server errors, and stores a rotated token and uses it from then on', async () => {
    const c = await collectorScript([{ status: 500 }, { status: 503 }, { status: 200, headers: { [ROTATED_TOKEN_HEADER]: 'cga_new' } }]);
    servers.push(c.server);
    const { outbox, sender, tokenFile } = setup(c.url);
    expect(await sender.flush()).toBe(0); // 500: nothing acknowledged
    expect(outbox.stats().samples).toBe(30);
    sender.start();
    const deadline = Date.now() + 10_000;
    while (outbox.stats().samples > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await sender.stop();
    expect(outbox.stats().samples).toBe(0);
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe('cga_new');
    expect(c.seen.map((s) => s.auth)).toEqual(['Bearer cga_old', 'Bearer cga_old', 'Bearer cga_old', 'Bearer cga_new', 'Bearer cga_new']);
    outbox.close();
  });

  it('halves its batch after a 413, grows back to the configured size after accepted sends, and leaves the caller\'s options alone', async () => {
    const c = await collectorScript([{ status: 413, body: { error: 'too_large', message: 'payload too large' } }]);
    servers.push(c.server);
    const dir = mkdtempSync(join(tmpdir(), 'canhgac-sender-'));
    dirs.push(dir);
    const outbox = new DiskOutbox({ dir: join(dir, 'outbox'), maxBytes: 1 << 20, maxAgeMs: 86_400_000 });
    const samples = Array.from({ length: 60 }, (_, i) => ({ measurement: 'tcp', tags: { target: 'x', port: String(i), result: 'ok' }, fields: { up: 1 }, time: new Date(Date.now() - i).toISOString() }));
    outbox.append(samples);
    const opts = { client: new CollectorClient(c.url), outbox, log: createLogger({ level: 'error' }), tokenFile: join(dir, 'token'), token: 'cga_old', intervalMs: 50, batchSamples: 10, minBackoffMs: 50, maxBackoffMs: 200 };
    const before = { ...opts };
    const sender = new Sender(opts);
    expect(await sender.flush()).toBe(0); // the 413: nothing acknowledged, the next try is smaller
    expect(await sender.flush()).toBe(60);
    // 10 refused; 5 four times (20 samples), then the configured 10 again for the other 40.
    expect(c.seen.map((s) => s.samples.length)).toEqual([10, 5, 5, 5, 5, 10, 10, 10, 10]);
    expect(c.seen.slice(1).flatMap((s) => s.samples.map((x) => x.tags.port))).toEqual(samples.map((x) => x.tags.port));
    expect(opts).toEqual(before);
    expect(opts.batchSamples).toBe(10);
    outbox.close();
  });
});
