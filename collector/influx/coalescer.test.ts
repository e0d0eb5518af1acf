import { describe, expect, it } from 'vitest';
import { WriteCoalescer } from './coalescer.ts';

class Refused extends Error {}

describe('WriteCoalescer', () => {
  it('writes the requests of a shared write refused in part again one by one, so only the refused ones hear so', async () => {
    const writes: string[][] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const write = async (parts: string[]) => {
      writes.push(parts);
      if (writes.length === 1) return first; // holds the first write so that the next three ride together
      if (parts.some((p) => p.includes('bad'))) throw new Refused('partial write');
    };
    const c = new WriteCoalescer(write, 5000, 1, (err) => err instanceof Refused);
    const outcomes = ['a', 'good-1', 'bad', 'good-2'].map((lines) => c.submit(lines, 1).then(() => 'stored', (e: Error) => e.message));
    release();
    expect(await Promise.all(outcomes)).toEqual(['stored', 'stored', 'partial write', 'stored']);
    expect(writes).toEqual([['a'], ['good-1', 'bad', 'good-2'], ['good-1'], ['bad'], ['good-2']]);
  });

  it('does not split on other errors: every request of the write learns it (and goes to the spool)', async () => {
    let calls = 0;
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const c = new WriteCoalescer(
      async () => {
        if (++calls === 1) return first;
        throw new Error('InfluxDB unreachable');
      },
      5000,
      1,
      (err) => err instanceof Refused,
    );
    const outcomes = ['a', 'b', 'c'].map((l) => c.submit(l, 1).then(() => 'stored', (e: Error) => e.message));
    release();
    expect(await Promise.all(outcomes)).toEqual(['stored', 'InfluxDB unreachable', 'InfluxDB unreachable']);
    expect(calls).toBe(2);
  });
});
