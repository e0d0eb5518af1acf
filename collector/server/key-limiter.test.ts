import { describe, expect, it } from 'vitest';
import { KeyLimiter, LogBudget } from './key-limiter.ts';

describe('KeyLimiter', () => {
  it('allows the burst, then one per refill period, per key', () => {
    const l = new KeyLimiter({ perSecond: 1, burst: 3 });
    const t = 1_000_000;
    expect([1, 2, 3].map(() => l.take('a', t).ok)).toEqual([true, true, true]);
    expect(l.take('a', t)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(l.take('b', t).ok).toBe(true);
    expect(l.take('a', t + 1000).ok).toBe(true);
    expect(l.take('a', t + 1000).ok).toBe(false);
  });

  it('keys past the bound share one bucket', () => {
    const l = new KeyLimiter({ perSecond: 0.001, burst: 1 });
    for (let i = 0; i < 50_000; i++) l.take(`k${i}`, 5);
    expect(l.take('new-1', 5).ok).toBe(true);
    expect(l.take('new-2', 5).ok).toBe(false);
  });
});

describe('LogBudget', () => {
  it('writes at most N lines a minute and reports how many it skipped', () => {
    const b = new LogBudget(2);
    const lines: number[] = [];
    for (let i = 0; i < 10; i++) b.log(1000, (skipped) => lines.push(skipped));
    b.log(61_000, (skipped) => lines.push(skipped));
    expect(lines).toEqual([0, 0, 8]);
  });
});
