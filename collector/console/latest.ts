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

export interface LatestLimits {
  /** Series one agency may hold per measurement: past it, its new series are not kept (its known ones still update). */
  perAgency: number;
  /** Series of all agencies per measurement: past it, the agency holding the most gives up its stalest one. */
  perMeasurement: number;
}

/** The province has 14 video endpoints; an agency with 2,000 is already a runaway config. */
export const DEFAULT_LATEST_LIMITS: LatestLimits = { perAgency: 2000, perMeasurement: 100_000 };

// Tags that change with the outcome, not the identity of what is measured.
const VOLATILE_TAGS = new Set(['result', 'status', 'severity', 'agent', 'agency']);

/** One measurement's series, per agency; each agency's map is in order of last update (stalest first). */
interface Table {
  total: number;
  agencies: Map<string, Map<string, LatestSample>>;
}

/**
 * The last sample of each series the console shows, fed by the ingest stream (a SampleObserver), so
 * pages never need InfluxDB for current state. Bounded per agency and per measurement so that one
 * agency (one runaway agent) can never push another agency's endpoints off its board: an agency under
 * its fair share always gets its series in. A restart starts empty until agents report again.
 */
export class LatestSamples {
  private readonly tables = new Map<string, Table>();
  private readonly limits: LatestLimits;
  /** New series not kept because their agency was at its cap. */
  refusedSeries = 0;

  constructor(limits: Partial<LatestLimits> = {}) {
    this.limits = { ...DEFAULT_LATEST_LIMITS, ...limits };
  }

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
    const key = `${agentId}\u0000${identity}`;
    const time = s.time ? Date.parse(s.time) : now;
    let table = this.tables.get(s.measurement);
    if (!table) this.tables.set(s.measurement, (table = { total: 0, agencies: new Map() }));
    let series = table.agencies.get(agency);
    if (!series) table.agencies.set(agency, (series = new Map()));
    const prev = series.get(key);
    if (prev && prev.time > time) return;
    if (!prev && !this.makeRoom(table, agency, series)) return;
    // Re-inserted so that the map stays in order of last update: the stalest series is the first.
    if (prev) series.delete(key);
    else table.total++;
    series.set(key, { agency, agent: agentId, measurement: s.measurement as CurrentMeasurement, tags: { ...s.tags }, fields: { ...(s.fields as LatestSample['fields']) }, time, receivedAt: now });
  }

  /** Whether a new series of `agency` may be kept, evicting the stalest series of the largest agency when the measurement is full. */
  private makeRoom(table: Table, agency: string, series: Map<string, LatestSample>): boolean {
    if (series.size >= this.limits.perAgency) {
      this.refusedSeries++;
      return false;
    }
    if (table.total < this.limits.perMeasurement) return true;
    let largest: Map<string, LatestSample> | undefined;
    for (const other of table.agencies.values()) if (!largest || other.size > largest.size) largest = other;
    // Already the largest: it cannot take a share from an agency smaller than itself.
    if (!largest || largest === series || largest.size <= series.size + 1) {
      this.refusedSeries++;
      return false;
    }
    const stalest = largest.keys().next().value as string;
    largest.delete(stalest);
    table.total--;
    return true;
  }

  list(measurement: CurrentMeasurement, opts: { agency?: string } = {}): LatestSample[] {
    const table = this.tables.get(measurement);
    if (!table) return [];
    if (opts.agency) return [...(table.agencies.get(opts.agency)?.values() ?? [])];
    const out: LatestSample[] = [];
    for (const series of table.agencies.values()) for (const v of series.values()) out.push(v);
    return out;
  }

  /** Series kept for a measurement (all agencies, or one). */
  count(measurement: CurrentMeasurement, agency?: string): number {
    const table = this.tables.get(measurement);
    if (!table) return 0;
    return agency ? (table.agencies.get(agency)?.size ?? 0) : table.total;
  }

  /** Forget an agent's series (revoked agents stop counting). */
  forgetAgent(agentId: string): void {
    for (const table of this.tables.values()) {
      for (const series of table.agencies.values()) {
        for (const [k, v] of series) {
          if (v.agent !== agentId) continue;
          series.delete(k);
          table.total--;
        }
      }
    }
  }
}
