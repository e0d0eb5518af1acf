// The per-agent series budget: how many distinct tag sets (InfluxDB series) one agent may create per
// measurement within a day, so that one agent cannot fill InfluxDB's index and get everyone refused.
import { COLLECTOR_TAGS, type WireSample } from '../../protocol/index.ts';
import type { AgentIdentity } from './ingest.ts';

export interface SeriesBudgetSettings {
  /** Default budget: series per measurement per agent. */
  perMeasurement: number;
  /** Budgets of agencies that need more (or less), by agency id. */
  perAgency?: Record<string, number>;
  /** How long a series counts after it was last sent: between one and two windows. Default a day. */
  windowMs?: number;
}

/** An agent at (or refused past) its budget in one measurement, for /readyz. */
export interface BudgetHit {
  agent: string;
  agency: string;
  measurement: string;
  series: number;
  budget: number;
  refused: number;
  lastRefusedAt: number;
}

/**
 * The series of one agent in one measurement, as 53-bit hashes in two generations: `current` holds
 * what was sent since the last rotation, `previous` what was sent in the window before and not since.
 * The two are disjoint, so the count is the sum of their sizes; a series silent for two windows is
 * forgotten. This is VictoriaMetrics' "daily series" limit, in memory bounded by the budget.
 */
interface Generations {
  current: Set<number>;
  previous: Set<number>;
  rotatedAt: number;
  lastSeen: number;
}

const SKIP_TAGS = new Set<string>(COLLECTOR_TAGS);
const MAX_HITS = 1000;

/**
 * Kept in memory only. After a restart every agent starts with an empty budget that fills again from
 * what it sends: an agent with a steady set of series never notices, and a runaway agent can add at
 * most one more budget per restart (documented in README, "Series budget").
 */
export class SeriesBudget {
  private readonly agents = new Map<string, Map<string, Generations>>();
  private readonly hits = new Map<string, BudgetHit>();
  private readonly windowMs: number;
  private lastSweep = 0;
  /** Samples refused since start. */
  refused = 0;

  constructor(private readonly s: SeriesBudgetSettings) {
    this.windowMs = s.windowMs ?? 86_400_000;
  }

  budgetOf(agency: string): number {
    // Own keys only: an agency may be called "constructor".
    return this.s.perAgency && Object.hasOwn(this.s.perAgency, agency) ? this.s.perAgency[agency] : this.s.perMeasurement;
  }

  /**
   * Counts the sample's series against the agent's budget: `undefined` when it may be stored, else the
   * reason it is refused. A series the agent already has always passes.
   */
  admit(agent: AgentIdentity, sample: WireSample, now: number): string | undefined {
    this.sweep(now);
    let byMeasurement = this.agents.get(agent.id);
    if (!byMeasurement) this.agents.set(agent.id, (byMeasurement = new Map()));
    let g = byMeasurement.get(sample.measurement);
    if (!g) byMeasurement.set(sample.measurement, (g = { current: new Set(), previous: new Set(), rotatedAt: now, lastSeen: now }));
    this.rotate(g, now);
    g.lastSeen = now;
    const key = seriesHash(sample.tags);
    if (g.current.has(key)) return undefined;
    if (g.previous.delete(key)) {
      g.current.add(key);
      return undefined;
    }
    const budget = this.budgetOf(agent.agency);
    const series = g.current.size + g.previous.size;
    if (series < budget) {
      g.current.add(key);
      return undefined;
    }
    this.refused++;
    this.noteHit(agent, sample.measurement, series, budget, now);
    return `${sample.measurement}: series budget exceeded: this agent already sends ${budget} distinct tag sets of "${sample.measurement}" (the budget of agency ${agent.agency}); a new one is refused`;
  }

  /** Agents that were refused something, most recent first (at most `limit`). */
  hitList(limit = 20): BudgetHit[] {
    return [...this.hits.values()].sort((a, b) => b.lastRefusedAt - a.lastRefusedAt).slice(0, limit);
  }

  /** How many agents are tracked (for tests and /readyz). */
  get trackedAgents(): number {
    return this.agents.size;
  }

  private rotate(g: Generations, now: number): void {
    if (now - g.rotatedAt < this.windowMs) return;
    // Two windows without a rotation: nothing in either generation was sent within a window.
    g.previous = now - g.rotatedAt >= 2 * this.windowMs ? new Set() : g.current;
    g.current = new Set();
    g.rotatedAt = now;
  }

  private noteHit(agent: AgentIdentity, measurement: string, series: number, budget: number, now: number): void {
    const id = `${agent.id}\u0000${measurement}`;
    const hit = this.hits.get(id);
    if (hit) {
      hit.refused++;
      hit.series = series;
      hit.budget = budget;
      hit.lastRefusedAt = now;
      return;
    }
    if (this.hits.size >= MAX_HITS) {
      // Bounded: the stalest entry makes room.
      const stalest = [...this.hits.entries()].reduce((a, b) => (b[1].lastRefusedAt < a[1].lastRefusedAt ? b : a));
      this.hits.delete(stalest[0]);
    }
    this.hits.set(id, { agent: agent.id, agency: agent.agency, measurement, series, budget, refused: 1, lastRefusedAt: now });
  }

  /** Agents silent for two windows are forgotten, so the state is as large as the active agents. */
  private sweep(now: number): void {
    if (now - this.lastSweep < Math.min(this.windowMs, 3_600_000)) return;
    this.lastSweep = now;
    for (const [agent, byMeasurement] of this.agents) {
      for (const [m, g] of byMeasurement) if (now - g.lastSeen >= 2 * this.windowMs) byMeasurement.delete(m);
      if (byMeasurement.size === 0) this.agents.delete(agent);
    }
    for (const [id, hit] of this.hits) if (now - hit.lastRefusedAt >= 2 * this.windowMs) this.hits.delete(id);
  }
}

/**
 * A 53-bit hash of a tag set (cyrb53 over `key=value` pairs in key order), without the tags the
 * collector sets (constant per agent). Key order does not matter: the same series sent with its tags
 * in another order is the same series in InfluxDB.
 */
export function seriesHash(tags: Record<string, string>): number {
  const keys = Object.keys(tags);
  // Insertion sort: a sample has a handful of tags.
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i];
    let j = i - 1;
    for (; j >= 0 && keys[j] > k; j--) keys[j + 1] = keys[j];
    keys[j + 1] = k;
  }
  h1 = 0xdeadbeef;
  h2 = 0x41c6ce57;
  for (const k of keys) {
    if (SKIP_TAGS.has(k)) continue;
    feed(k, 0x3d);
    feed(tags[k], 0);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

// The hash's running state, in the module rather than a closure made per call: run through tsx (as the
// collector is), every closure made costs a keepNames call, 2 % of the ingest path's CPU. seriesHash is
// synchronous, so no two hashes ever share it.
let h1 = 0;
let h2 = 0;
function feed(text: string, end: number): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ end, 2654435761);
  h2 = Math.imul(h2 ^ end, 1597334677);
}
