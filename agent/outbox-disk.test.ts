import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WireSample } from '../protocol/index.ts';
import { SegmentLogBusyError } from '../lib/segment-log.ts';
import { DiskOutbox } from './outbox-disk.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'canhgac-outbox-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const t0 = Date.parse('2026-11-27T00:00:00Z');
function sample(i: number, time = t0 + i): WireSample {
  return { measurement: 'tcp', tags: { target: '127.0.0.1', port: String(i), result: 'ok' }, fields: { up: 1, connect_ms: i / 10 }, time: new Date(time).toISOString() };
}
const ports = (s: WireSample[]) => s.map((x) => Number(x.tags.port));
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => a + k);
const open = (dir: string, extra: Partial<ConstructorParameters<typeof DiskOutbox>[0]> = {}) =>
  new DiskOutbox({ dir, maxBytes: 64 * 1024 * 1024, maxAgeMs: 7 * 86_400_000, now: () => t0 + 1000, ...extra });

describe('DiskOutbox', () => {
  it('hands samples out in order, removes only what was acknowledged, and remembers across a restart', () => {
    const dir = tempDir();
    let box = open(dir);
    box.append(range(0, 10).map((i) => sample(i)));
    box.append(range(10, 25).map((i) => sample(i)));
    expect(ports(box.peek(7, 1e6))).toEqual(range(0, 7));
    expect(ports(box.peek(7, 1e6))).toEqual(range(0, 7)); // peek does not remove
    box.ack(7);
    expect(box.stats().samples).toBe(18);
    expect(ports(box.peek(100, 1e6))).toEqual(range(7, 25));
    box.ack(3);
    box.close();

    box = open(dir);
    expect(box.stats().samples).toBe(15);
    expect(ports(box.peek(100, 1e6))).toEqual(range(10, 25));
    // Samples keep their measured time: nothing is re-stamped on the way through.
    expect(box.peek(1, 1e6)[0].time).toBe(new Date(t0 + 10).toISOString());
    box.close();
  });

  it('peekJson gives the stored JSON text of the same samples, and ack after it removes them', () => {
    const box = open(tempDir());
    box.append(range(0, 6).map((i) => sample(i)));
    const json = box.peekJson(4, 1e6);
    expect(json.map((b) => JSON.parse(b.toString('utf8')))).toEqual(range(0, 4).map((i) => sample(i)));
    box.ack(json.length);
    expect(ports(box.peek(100, 1e6))).toEqual([4, 5]);
    box.close();
  });

  it('bounds a peek by bytes but always returns at least one sample', () => {
    const box = open(tempDir());
    box.append(range(0, 50).map((i) => sample(i)));
    const size = (i: number) => Buffer.byteLength(JSON.stringify(sample(i)));
    const five = range(0, 5).reduce((n, i) => n + size(i), 0);
    expect(box.peek(1000, five).length).toBe(5);
    expect(box.peek(1000, five + size(5) - 1).length).toBe(5);
    expect(box.peek(1000, 1).length).toBe(1);
    expect(box.stats().bytes).toBeGreaterThan(five * 10);
    box.close();
  });

  it('skips a torn last record left by a crash mid-write, and keeps appending after it', () => {
    const dir = tempDir();
    let box = open(dir);
    box.append(range(0, 5).map((i) => sample(i)));
    box.close();
    const seg = readdirSync(dir).find((f) => f.endsWith('.seg'))!;
    const full = statSync(join(dir, seg)).size;
    truncateSync(join(dir, seg), full - 7); // the last record lost its tail
    box = open(dir);
    expect(ports(box.peek(100, 1e6))).toEqual(range(0, 4));
    box.append([sample(99)]);
    expect(ports(box.peek(100, 1e6))).toEqual([0, 1, 2, 3, 99]);
    box.close();

    // Garbage after the last record (a half-written header) is cut off too.
    appendFileSync(join(dir, seg), Buffer.from([1, 2, 3, 4, 5]));
    box = open(dir);
    expect(ports(box.peek(100, 1e6))).toEqual([0, 1, 2, 3, 99]);
    box.close();
  });

  it('stops at a record whose checksum does not match instead of handing out garbage', () => {
    const dir = tempDir();
    let box = open(dir);
    box.append(range(0, 6).map((i) => sample(i)));
    box.close();
    const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.seg'))!);
    const bytes = readFileSync(file);
    const third = bytes.indexOf(Buffer.from('"port":"3"'));
    bytes[third + 9] = '7'.charCodeAt(0); // one flipped byte inside record 3
    writeFileSync(file, bytes);
    box = open(dir);
    expect(ports(box.peek(100, 1e6))).toEqual([0, 1, 2]);
    box.close();
  });

  it('when full drops the oldest samples first, counts them, and keeps the count across restarts', () => {
    const dir = tempDir();
    let box = open(dir, { maxBytes: 64 * 1024, segmentBytes: 8 * 1024 });
    const total = 3000;
    for (let i = 0; i < total; i += 30) box.append(range(i, i + 30).map((k) => sample(k)));
    const left = box.peek(100_000, 1e9);
    const { dropped, samples } = box.stats();
    expect(dropped).toBeGreaterThan(0);
    expect(samples).toBe(left.length);
    expect(dropped + left.length).toBe(total);
    expect(ports(left)).toEqual(range(total - left.length, total)); // the newest survive, in order
    const disk = readdirSync(dir).filter((f) => f.endsWith('.seg')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    expect(disk).toBeLessThanOrEqual(64 * 1024 + 8 * 1024);
    box.close();
    box = open(dir, { maxBytes: 64 * 1024, segmentBytes: 8 * 1024 });
    expect(box.stats().dropped).toBe(dropped);
    box.close();
  });

  it('drops samples older than maxAge instead of sending them, and counts them', () => {
    const box = open(tempDir(), { maxAgeMs: 60_000, now: () => t0 + 120_000 });
    box.append([sample(1, t0), sample(2, t0 + 10), sample(3, t0 + 100_000)]);
    expect(ports(box.peek(10, 1e6))).toEqual([3]);
    expect(box.stats()).toMatchObject({ samples: 1, dropped: 2 });
    box.close();
  });

  it('keeps memory flat with a large backlog: the queue lives on disk', () => {
    const box = open(tempDir(), { maxBytes: 8 * 1024 * 1024 });
    const batch = range(0, 1000).map((i) => sample(i));
    for (let i = 0; i < 20; i++) box.append(batch);
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200; i++) box.append(batch); // 200,000 samples, about 25 MB of JSON
    box.peek(1000, 1_000_000);
    const grown = process.memoryUsage().heapUsed - before;
    expect(box.stats().samples + box.stats().dropped).toBe(220_000);
    expect(grown).toBeLessThan(25 * 1024 * 1024);
    box.close();
  });

  it('refuses a directory that a running process holds', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'lock'), String(process.ppid));
    expect(() => open(dir)).toThrow(SegmentLogBusyError);
    writeFileSync(join(dir, 'lock'), '999999999'); // a dead owner (kill -9) does not lock anyone out
    expect(() => open(dir).close()).not.toThrow();
  });
});
