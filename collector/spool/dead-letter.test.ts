import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InfluxWriteError } from '../influx/writer.ts';
import { DeadLetter } from './dead-letter.ts';
import { Spool } from './spool.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'canhgac-deadletter-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const bytesIn = (dir: string) => readdirSync(dir).reduce((n, f) => n + readFileSync(join(dir, f)).length, 0);

describe('dead letter', () => {
  it('keeps each refused write as line protocol after a comment with time, counts and reason', () => {
    const dir = tmp();
    const dl = new DeadLetter({ dir, maxBytes: 1 << 20 });
    dl.add(['ping,target=a up=1i 1', Buffer.from('ping,target=b up=1i 1')], { samples: 2, refused: 1, reason: 'partial write:\nmax-values-per-tag limit exceeded dropped=1', now: Date.parse('2026-12-01T10:00:00Z') });
    const [file] = readdirSync(dir);
    expect(readFileSync(join(dir, file), 'utf8')).toBe('# 2026-12-01T10:00:00.000Z samples=2 refused=1 reason: partial write: max-values-per-tag limit exceeded dropped=1\nping,target=a up=1i 1\nping,target=b up=1i 1\n');
    expect(dl.stats()).toMatchObject({ writes: 1, refused: 1, files: 1, droppedFiles: 0 });
    // Reopened (a restart): the files are found again and new writes go after them.
    const again = new DeadLetter({ dir, maxBytes: 1 << 20 });
    expect(again.stats().bytes).toBe(bytesIn(dir));
  });

  it('stays within its disk budget: the oldest file goes, and is counted', () => {
    const dir = tmp();
    const dl = new DeadLetter({ dir, maxBytes: 65_536 });
    const line = `ping,target=${'x'.repeat(200)} up=1i 1`;
    for (let i = 0; i < 2000; i++) dl.add([line], { samples: 1, refused: 1, reason: 'partial write' });
    expect(bytesIn(dir)).toBeLessThanOrEqual(65_536 + 65_536 / 8);
    expect(dl.stats()).toMatchObject({ writes: 2000, refused: 2000 });
    expect(dl.stats().droppedFiles).toBeGreaterThan(0);
    // A write larger than the whole budget keeps its count, not its lines.
    dl.add(['y'.repeat(70_000)], { samples: 9, refused: 9, reason: 'huge' });
    const newest = readdirSync(dir).sort().at(-1)!;
    expect(readFileSync(join(dir, newest), 'utf8')).toMatch(/samples=9 refused=9 reason: huge\n# \(70001 bytes of line protocol not kept/);
  });

  it('the spool hands a batch InfluxDB refused to onRefused before letting it go, and keeps it when that fails', async () => {
    const dir = tmp();
    const refusedBatches: string[][] = [];
    let keep = false;
    let writes = 0;
    const spool = new Spool({
      dir: join(dir, 'spool'),
      maxBytes: 1 << 20,
      minRetryMs: 10,
      maxRetryMs: 20,
      targets: [
        {
          node: 'http://127.0.0.1:8086',
          write: async () => {
            writes++;
            throw new InfluxWriteError('InfluxDB write failed (400): partial write: dropped=1', 400, true, 1);
          },
          onRefused: (lines) => {
            if (!keep) throw new Error('disk full');
            refusedBatches.push(lines.map((l) => l.toString()));
          },
        },
      ],
    });
    try {
      await spool.append('ping,target=a up=1i 1', 1);
      await new Promise((r) => setTimeout(r, 100));
      expect(writes).toBeGreaterThan(1); // tried again: not let go while it cannot be kept
      expect(spool.stats().samples).toBe(1);
      keep = true;
      const deadline = Date.now() + 5000;
      while (spool.stats().samples > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(spool.stats().samples).toBe(0);
      expect(refusedBatches).toEqual([['ping,target=a up=1i 1']]);
    } finally {
      await spool.close();
    }
  });
});
