// How often an agent reports, as the agent-silent rule knows it: from the interval the agent reports, or
// (older agents) from the gaps between its status samples, also when several collectors share its samples.
import { describe, expect, it } from 'vitest';
import { CadenceTracker } from './cadence.ts';

const INTERVAL = 2000;
/** Status sample times of one agent reporting every INTERVAL ms. */
const times = (n: number) => Array.from({ length: n }, (_, i) => 1_000_000 + i * INTERVAL);

/** Two collectors behind a balancer weighted 2:1: A receives two status samples of three, B the third. */
function split(reports: boolean): { a: CadenceTracker; b: CadenceTracker } {
  const a = new CadenceTracker();
  const b = new CadenceTracker();
  times(12).forEach((t, i) => (i % 3 === 2 ? b : a).seen('pc-1', 'so-y-te', t, [t], 'pc-1.local', reports ? INTERVAL : undefined));
  return { a, b };
}

describe('agent cadence (agent_silent)', () => {
  it('status samples shared by two collectors: the gaps one collector sees are multiples of the interval; the reported interval is the interval on both', () => {
    const old = split(false);
    // The median gap: B sees one sample in three, so it would wait three times as long before calling it silent.
    expect(old.b.agents.get('pc-1')!.intervalMs).toBe(3 * INTERVAL);
    expect(old.a.agents.get('pc-1')!.intervalMs).toBeGreaterThanOrEqual(INTERVAL);
    const now = split(true);
    expect(now.a.agents.get('pc-1')!.intervalMs).toBe(INTERVAL);
    expect(now.b.agents.get('pc-1')!.intervalMs).toBe(INTERVAL);
  });

  it('a batch without a status sample keeps the reported interval, and a new report replaces it', () => {
    const { b } = split(true);
    b.seen('pc-1', 'so-y-te', 2_000_000, [], undefined);
    expect(b.agents.get('pc-1')!.intervalMs).toBe(INTERVAL);
    b.seen('pc-1', 'so-y-te', 2_000_100, [2_000_100], undefined, 60_000);
    expect(b.agents.get('pc-1')!.intervalMs).toBe(60_000);
  });

  it('an agent that reports its interval is watched from its first status sample; one that does not, from its second', () => {
    const t = new CadenceTracker();
    t.seen('new', 'so-y-te', 1000, [1000], undefined, INTERVAL);
    t.seen('old', 'so-y-te', 1000, [1000], undefined);
    expect(t.agents.get('new')!.intervalMs).toBe(INTERVAL);
    expect(t.agents.get('old')!.intervalMs).toBeUndefined();
    t.seen('old', 'so-y-te', 1000 + INTERVAL, [1000 + INTERVAL], undefined);
    expect(t.agents.get('old')!.intervalMs).toBe(INTERVAL);
  });

  it('a reported interval below 100 ms, above a day or not a whole number is not believed: the gaps decide', () => {
    for (const bad of [0, 50, 86_400_001, 1e15, 1500.5, -INTERVAL]) {
      const t = new CadenceTracker();
      for (const at of times(3)) t.seen('pc-1', 'so-y-te', at, [at], undefined, bad);
      expect(t.agents.get('pc-1')!.intervalMs, String(bad)).toBe(INTERVAL);
    }
  });
});
