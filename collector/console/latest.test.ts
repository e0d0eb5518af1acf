import { describe, expect, it } from 'vitest';
import type { WireSample } from '../../protocol/index.ts';
import { LatestSamples } from './latest.ts';

const T = Date.parse('2026-12-01T03:00:00Z');
const vc = (endpoint: string, t = T, ready = 1): WireSample => ({ measurement: 'videoconf', tags: { endpoint }, fields: { ready }, time: new Date(t).toISOString() });
const names = (l: LatestSamples, agency: string) => l.list('videoconf', { agency }).map((s) => s.tags.endpoint);

describe('latest samples for the console', () => {
  it("one agent's 250,000 endpoints do not push another agency's endpoint off its board (default caps)", () => {
    const latest = new LatestSamples();
    for (let i = 0; i < 250_000; i++) latest.record('noisy', 'so-y-te', vc(`flood ${i}`), T);
    latest.record('ag-2', 'so-tu-phap', vc('Sở Tư pháp'), T);
    expect(names(latest, 'so-tu-phap')).toEqual(['Sở Tư pháp']);
    expect(latest.list('videoconf', { agency: 'so-y-te' }).length).toBeLessThanOrEqual(2000);
  });

  it('when a measurement is full, the agency holding the most gives up its stalest series, never a smaller agency', () => {
    const latest = new LatestSamples({ perAgency: 100, perMeasurement: 150 });
    for (let i = 0; i < 100; i++) latest.record('a1', 'a', vc(`a${i}`, T + i), T);
    for (let i = 0; i < 50; i++) latest.record('c1', 'c', vc(`c${i}`), T);
    latest.record('a1', 'a', vc('a0', T + 1000), T); // a0 updated: no longer the stalest
    latest.record('b1', 'b', vc('b0'), T);
    expect(names(latest, 'b')).toEqual(['b0']);
    expect(names(latest, 'a')).toHaveLength(99);
    expect(names(latest, 'a')).toContain('a0');
    expect(names(latest, 'a')).not.toContain('a1');
    expect(names(latest, 'c')).toHaveLength(50);
    // The largest agency cannot take from smaller ones; its known series still update.
    latest.record('a1', 'a', vc('a-new'), T);
    expect(names(latest, 'a')).not.toContain('a-new');
    latest.record('a1', 'a', vc('a5', T + 2000, 0), T);
    expect(latest.list('videoconf', { agency: 'a' }).find((s) => s.tags.endpoint === 'a5')?.fields.ready).toBe(0);
    expect(latest.count('videoconf')).toBe(150);
  });

  it('forgets a revoked agent and frees its room', () => {
    const latest = new LatestSamples({ perAgency: 10, perMeasurement: 10 });
    for (let i = 0; i < 10; i++) latest.record('a1', 'a', vc(`a${i}`), T);
    latest.forgetAgent('a1');
    expect(latest.count('videoconf')).toBe(0);
    latest.record('b1', 'b', vc('b0'), T);
    expect(names(latest, 'b')).toEqual(['b0']);
  });
});
