// The scheduler's replacement of the checks in force (a configuration from the collector): removed
// checks stop and their running probe is aborted, new ones start, unchanged ones keep their rhythm.
import { describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import type { CheckEntry } from './config.ts';
import { createLogger } from './log.ts';
import { Scheduler } from './scheduler.ts';

const log = createLogger({ level: 'error' });

function entry(id: string, intervalMs: number, calls: string[], opts: { hang?: boolean; target?: string } = {}): CheckEntry {
  return {
    id,
    def: {
      type: 'fake',
      summary: 'a check that records its runs',
      schema: Type.Object({}),
      defaults: { interval: '1s', timeout: '1s' },
      measurements: [],
      run: async (_config, ctx) => {
        calls.push(id);
        if (opts.hang) await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => (calls.push(`${id} aborted`), resolve()), { once: true }));
      },
    },
    config: { type: 'fake', interval: `${intervalMs}ms`, timeout: '1s', intervalMs, timeoutMs: 1000, ...(opts.target ? { target: opts.target } : {}) },
  } as CheckEntry;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Scheduler.replace', () => {
  it('adds, removes (aborting a running probe) and keeps checks without a restart', async () => {
    const calls: string[] = [];
    const keep = entry('keep', 60, calls);
    const hang = entry('gone', 60_000, calls, { hang: true });
    const s = new Scheduler([keep, hang], { log, maxSplayMs: 0, onRun: () => undefined });
    s.start();
    await sleep(150);
    const before = calls.filter((c) => c === 'keep').length;
    expect(before).toBeGreaterThanOrEqual(2);
    expect(calls).toContain('gone');

    const change = s.replace([keep, entry('new', 60, calls)]);
    expect(change).toEqual({ added: 1, removed: 1, kept: 1 });
    await sleep(150);
    expect(calls).toContain('gone aborted');
    expect(calls.filter((c) => c === 'new').length).toBeGreaterThanOrEqual(2);
    expect(calls.filter((c) => c === 'keep').length).toBeGreaterThan(before);

    // The same id with other settings is another check: the old one goes, the new one starts.
    expect(s.replace([entry('keep', 60, calls, { target: 'other' })])).toEqual({ added: 1, removed: 2, kept: 0 });
    const n = calls.length;
    await s.stop();
    await sleep(120);
    expect(calls.length).toBe(n);
  });

  it('a replacement before start only changes what start will schedule', async () => {
    const calls: string[] = [];
    const s = new Scheduler([entry('a', 50, calls)], { log, maxSplayMs: 0, onRun: () => undefined });
    s.replace([entry('b', 50, calls)]);
    s.start();
    await sleep(80);
    await s.stop();
    expect(new Set(calls)).toEqual(new Set(['b']));
  });
});
