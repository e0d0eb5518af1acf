// The spool with several InfluxDB nodes, against in-process nodes that can be made to fail: each node
// gets every line once and in order, resumes after a restart, and the full-spool choice holds.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clearGap } from '../cli/spool.ts';
import { parseCollectorConfig } from '../config.ts';
import { InfluxWriteError } from '../influx/writer.ts';
import { Spool, SpoolFullError, type SpoolTarget } from './spool.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'canhgac-replicas-'));
  dirs.push(d);
  return d;
};

/** A node in this process: what it received, line by line, and a switch to make it fail. */
class FakeNode {
  lines: string[] = [];
  down = false;
  refuse?: (line: string) => boolean;
  constructor(readonly node: string) {}
  target(extra: Partial<SpoolTarget> = {}): SpoolTarget {
    return {
      node: this.node,
      write: async (parts) => {
        await new Promise((r) => setImmediate(r));
        if (this.down) throw new InfluxWriteError(`InfluxDB unreachable at ${this.node}: connect ECONNREFUSED`);
        const lines = parts.flatMap((p) => p.toString('utf8').split('\n'));
        if (this.refuse && lines.some(this.refuse)) throw new InfluxWriteError('InfluxDB write failed (400): partial write: dropped=1', 400, true, 1);
        this.lines.push(...lines);
      },
      ...extra,
    };
  }
}

const line = (i: number, pad = 0) => `tcp,target=t${i % 7} up=1i,n=${i}i${pad ? `,pad="${'x'.repeat(pad)}"` : ''} ${1_700_000_000_000 + i}`;
const numbers = (lines: string[]) => lines.map((l) => Number(/,n=(\d+)i/.exec(l)![1]));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Appends lines [from, to) in appends of `per` lines. */
async function feed(spool: Spool, from: number, to: number, per = 10, pad = 0): Promise<void> {
  for (let i = from; i < to; i += per) {
    const n = Math.min(per, to - i);
    await spool.append(range(i, i + n).map((k) => line(k, pad)).join('\n'), n);
  }
}

describe('the spool with several InfluxDB nodes', () => {
  it('a node that is down holds back neither the other nor ingest, and catches up in order, each line once', async () => {
    const dir = join(tmp(), 'spool');
    const a = new FakeNode('http://127.0.0.1:1');
    const b = new FakeNode('http://127.0.0.1:2');
    b.down = true;
    const spool = new Spool({ dir, maxBytes: 8 << 20, targets: [a.target(), b.target()], minRetryMs: 5, maxRetryMs: 20 });
    try {
      await feed(spool, 0, 500);
      await until('node a has everything', () => a.lines.length === 500);
      expect(b.lines).toEqual([]);
      const [na, nb] = spool.nodes();
      expect(na).toMatchObject({ node: a.node, lagSamples: 0, failing: false, outOfSync: false });
      expect(nb).toMatchObject({ node: b.node, lagSamples: 500, failing: true, outOfSync: false });
      expect(nb.lastError).toMatch(/ECONNREFUSED/);
      expect(spool.stats().samples, 'the spool holds what the slowest node lacks').toBe(500);
      b.down = false;
      await until('node b caught up', () => b.lines.length === 500);
      expect(numbers(a.lines)).toEqual(range(0, 500));
      expect(numbers(b.lines)).toEqual(range(0, 500));
      await until('spool empty', () => spool.stats().samples === 0);
    } finally {
      await spool.close();
    }
  });

  it('a slow node (each write takes 200 ms) does not slow the other: it lags, then catches up', async () => {
    const dir = join(tmp(), 'spool');
    const a = new FakeNode('http://127.0.0.1:1');
    const b = new FakeNode('http://127.0.0.1:2');
    const slow = b.target();
    const spool = new Spool({ dir, maxBytes: 8 << 20, batchSamples: 50, targets: [a.target(), { ...slow, write: async (p) => (await new Promise((r) => setTimeout(r, 200)), slow.write(p)) }], minRetryMs: 5, maxRetryMs: 20 });
    try {
      await feed(spool, 0, 500);
      await until('node a has everything', () => a.lines.length === 500);
      // b needs at least ten writes of 200 ms for these 500 lines: a did not wait for them.
      expect(b.lines.length, 'node b is still behind').toBeLessThan(500);
      expect(spool.nodes()[1].lagSamples).toBeGreaterThan(0);
      await until('node b caught up', () => b.lines.length === 500);
      expect(numbers(b.lines)).toEqual(range(0, 500));
    } finally {
      await spool.close();
    }
  });

  it('a restart resumes each node at its own position (nothing again to the node that had it) and keeps segments until every node has passed them', async () => {
    const dir = join(tmp(), 'spool');
    const a = new FakeNode('http://127.0.0.1:1');
    const b = new FakeNode('http://127.0.0.1:2');
    b.down = true;
    // 4 MiB budget: 1 MiB segments; lines of ~1 kB fill several.
    let spool = new Spool({ dir, maxBytes: 4 << 20, targets: [a.target(), b.target()], minRetryMs: 5, maxRetryMs: 20 });
    await feed(spool, 0, 2500, 50, 1000);
    await until('node a has everything', () => a.lines.length === 2500);
    await spool.close();
    const segments = () => readdirSync(dir).filter((f) => f.endsWith('.seg'));
    expect(segments().length, 'node b has read none: every segment stays').toBeGreaterThanOrEqual(2);
    const cursors = JSON.parse(readFileSync(join(dir, 'cursors.json'), 'utf8')) as { nodes: Record<string, { seq: number; offset: number }> };
    expect(Object.keys(cursors.nodes).sort()).toEqual([a.node, b.node]);

    b.down = false;
    spool = new Spool({ dir, maxBytes: 4 << 20, targets: [a.target(), b.target()], minRetryMs: 5, maxRetryMs: 20 });
    try {
      await until('node b caught up after the restart', () => b.lines.length === 2500);
      await feed(spool, 2500, 2600, 50, 1000);
      await until('both have the rest', () => a.lines.length === 2600 && b.lines.length === 2600);
      expect(numbers(a.lines), 'node a got nothing twice').toEqual(range(0, 2600));
      expect(numbers(b.lines)).toEqual(range(0, 2600));
      await until('finished segments deleted', () => segments().length === 1);
    } finally {
      await spool.close();
    }
  });

  it('a node that refuses a batch for good sends it to its own dead letter; the other node stores it', async () => {
    const dir = join(tmp(), 'spool');
    const a = new FakeNode('http://127.0.0.1:1');
    const b = new FakeNode('http://127.0.0.1:2');
    b.refuse = (l) => l.includes(',n=3i');
    const kept: { node: string; lines: string[] }[] = [];
    const onRefused = (node: string) => (lines: Buffer[]) => kept.push({ node, lines: lines.map((x) => x.toString()) });
    const spool = new Spool({ dir, maxBytes: 8 << 20, targets: [a.target({ onRefused: onRefused(a.node) }), b.target({ onRefused: onRefused(b.node) })], minRetryMs: 5, maxRetryMs: 20 });
    try {
      for (let i = 0; i < 6; i++) await spool.append(line(i), 1);
      await until('both done', () => spool.stats().samples === 0);
      expect(numbers(a.lines)).toEqual(range(0, 6));
      expect(kept.map((k) => k.node)).toEqual([b.node]);
      expect(numbers(kept[0].lines)).toContain(3);
      expect(numbers(b.lines)).not.toContain(3);
    } finally {
      await spool.close();
    }
  });

  it('full because one node is far behind: that node gives up its oldest samples (counted, with the window, kept across a restart) and ingest goes on', async () => {
    const dir = join(tmp(), 'spool');
    const a = new FakeNode('http://127.0.0.1:1');
    const b = new FakeNode('http://127.0.0.1:2');
    b.down = true;
    const opts = { dir, maxBytes: 4 << 20, maxLagBytes: 2 << 20, minRetryMs: 5, maxRetryMs: 20 };
    let spool = new Spool({ ...opts, targets: [a.target(), b.target()] });
    // About 6 MiB of lines: half again the budget.
    const total = 6000;
    await feed(spool, 0, total, 50, 1000);
    await until('node a has everything', () => a.lines.length === total);
    const nb = spool.nodes()[1];
    expect(nb.outOfSync).toBe(true);
    expect(nb.skippedSamples).toBeGreaterThan(0);
    expect(nb.gapUntil).toBeGreaterThan(0);
    expect(spool.stats().bytes).toBeLessThanOrEqual(4 << 20);
    expect(spool.stats().full, 'at its budget, yet it takes samples: not full for /readyz').toBe(false);
    const skipped = nb.skippedSamples;
    await spool.close();

    b.down = false;
    spool = new Spool({ ...opts, targets: [a.target(), b.target()] });
    try {
      await until('node b has what is left', () => b.lines.length === total - skipped);
      // It lost the oldest ones only, and has the rest in order.
      expect(numbers(b.lines)).toEqual(range(skipped, total));
      expect(numbers(a.lines)).toEqual(range(0, total));
      const after = spool.nodes()[1];
      expect(after).toMatchObject({ skippedSamples: skipped, outOfSync: true, lagSamples: 0 });
    } finally {
      await spool.close();
    }

    // The operator filled the gap: `spool clear-gap` clears the mark, only while no collector owns the spool.
    const config = parseCollectorConfig(join(dir, '..', 'collector.yaml'), { dataDir: join(dir, '..'), influx: { urls: [a.node, b.node] } });
    const printed: string[] = [];
    writeFileSync(join(dir, 'lock'), String(process.ppid));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(clearGap(config, b.node, (t) => printed.push(t)), 'a running collector owns the spool').toBe(1);
    } finally {
      stderr.mockRestore();
    }
    rmSync(join(dir, 'lock'));
    expect(clearGap(config, `${b.node}/`, (t) => printed.push(t))).toBe(0);
    expect(printed.at(-1)).toContain(`gap mark cleared (it was ${skipped} samples`);
    expect(clearGap(config, b.node, (t) => printed.push(t)), 'nothing left to clear').toBe(1);
    spool = new Spool({ ...opts, targets: [a.target(), b.target()] });
    try {
      expect(spool.nodes()[1]).toMatchObject({ skippedSamples: 0, outOfSync: false });
    } finally {
      await spool.close();
    }
  });

  it('every node down: nothing is given up, the spool refuses (503) as with one node', async () => {
    const dir = join(tmp(), 'spool');
    const a = new FakeNode('http://127.0.0.1:1');
    const b = new FakeNode('http://127.0.0.1:2');
    a.down = true;
    b.down = true;
    const spool = new Spool({ dir, maxBytes: 4 << 20, maxLagBytes: 2 << 20, targets: [a.target(), b.target()], minRetryMs: 5, maxRetryMs: 20 });
    try {
      await expect(feed(spool, 0, 6000, 50, 1000)).rejects.toBeInstanceOf(SpoolFullError);
      expect(spool.nodes().map((n) => n.skippedSamples)).toEqual([0, 0]);
      expect(spool.stats().bytes, 'refused at its budget (one more append would not fit)').toBeGreaterThan((4 << 20) - 60_000);
      a.down = false;
      b.down = false;
      const held = spool.stats().samples;
      await until('both have everything held', () => a.lines.length === held && b.lines.length === held);
      expect(numbers(a.lines)).toEqual(range(0, held));
      expect(numbers(b.lines)).toEqual(range(0, held));
    } finally {
      await spool.close();
    }
  });

  it('back to one node: the positions of the several-node run are dropped, and the spool resumes from its oldest sample', async () => {
    const dir = join(tmp(), 'spool');
    const a = new FakeNode('http://127.0.0.1:1');
    const b = new FakeNode('http://127.0.0.1:2');
    b.down = true;
    let spool = new Spool({ dir, maxBytes: 4 << 20, targets: [a.target(), b.target()], minRetryMs: 5, maxRetryMs: 20 });
    await feed(spool, 0, 20);
    await until('node a has everything', () => a.lines.length === 20);
    await spool.close();
    b.down = false;
    spool = new Spool({ dir, maxBytes: 4 << 20, targets: [b.target()], minRetryMs: 5, maxRetryMs: 20 });
    try {
      await until('node b has everything', () => b.lines.length === 20);
      expect(readdirSync(dir)).not.toContain('cursors.json');
    } finally {
      await spool.close();
    }
  });
});
