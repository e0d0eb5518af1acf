// The console's in-memory current state of live measurements (video endpoints), kept from the
// ingest stream so that wall displays never query InfluxDB.
import type { WireSample } from '../../protocol/index.ts';
import type { SampleObserver } from '../ingest/observers.ts';

/** The measurements whose current state the console shows (everything else is history: Grafana). */
// Certificates and security checks have their own stores (state/certificates.ts, state/compliance.ts).
export const CURRENT_STATE_MEASUREMENTS = ['videoconf'] as const;
export type CurrentMeasurement = (typeof CURRENT_STATE_MEASUREMENTS)[number];

export interface LatestSample {
  agency: string;
  agent: string;
  measurement: CurrentMeasurement;
  tags: Record<string, string>;
  fields: Record<string, number | string | boolean>;
  /** Sample time, ms. */
  time: number;
  receivedAt: number;
}

// Tags that change with the outcome, not the identity of what is measured.
const VOLATILE_TAGS = new Set(['result', 'status', 'severity', 'agent', 'agency']);

/**
 * The last sample of each series the console shows, fed by the ingest stream (a SampleObserver), so
 * pages never need InfluxDB for current state. Bounded; a restart starts empty until agents report again.
 */
export class LatestSamples {
  private readonly series = new Map<string, LatestSample>();

  constructor(private readonly maxSeries = 200_000) {}

  readonly observe: SampleObserver = (agent, samples, now) => {
    for (const s of samples) this.record(agent.id, agent.agency, s, now);
  };

  record(agentId: string, agency: string, s: WireSample, now: number): void {
    if (!(CURRENT_STATE_MEASUREMENTS as readonly string[]).includes(s.measurement)) return;
    const identity = Object.entries(s.tags)
      .filter(([k]) => !VOLATILE_TAGS.has(k))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const key = `${agency}\u0000${agentId}\u0000${s.measurement}\u0000${identity}`;
    const time = s.time ? Date.parse(s.time) : now;
    const prev = this.series.get(key);
    if (prev && prev.time > time) return;
    if (!prev && this.series.size >= this.maxSeries) return;
    this.series.set(key, { agency, agent: agentId, measurement: s.measurement as CurrentMeasurement, tags: { ...s.tags }, fields: { ...(s.fields as LatestSample['fields']) }, time, receivedAt: now });
  }

  list(measurement: CurrentMeasurement, opts: { agency?: string } = {}): LatestSample[] {
    const out: LatestSample[] = [];
    for (const v of this.series.values()) if (v.measurement === measurement && (!opts.agency || v.agency === opts.agency)) out.push(v);
    return out;
  }

  /** Forget an agent's series (revoked agents stop counting). */
  forgetAgent(agentId: string): void {
    for (const [k, v] of this.series) if (v.agent === agentId) this.series.delete(k);
  }
}
