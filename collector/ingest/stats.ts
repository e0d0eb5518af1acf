// The ingest path's shared counters (and its series budget), read by /readyz and the collector_status sample.
import { RefusalLog } from './refusals.ts';
import type { SeriesBudget } from './series-budget.ts';

/** Counters of the ingest path, read by /readyz and the collector_status sample. */
export class IngestStats {
  samplesAccepted = 0;
  samplesRejected = 0;
  requests = 0;
  writeErrors = 0;
  /** Points InfluxDB refused outright (400, e.g. a partial write past max-values-per-tag); they are in the dead letter. */
  pointsRefused = 0;
  /** Who was refused what, for the per-agent collector_refusals samples. */
  readonly refusals = new RefusalLog();
  /**
   * The per-agent series budget. It travels with the stats because every part that needs it (the
   * samples route, /readyz, collector_status) is already handed this object.
   */
  readonly seriesBudget?: SeriesBudget;
  private readonly agentsSeen = new Set<string>();
  private periodStart = Date.now();
  private periodAccepted = 0;

  constructor(seriesBudget?: SeriesBudget) {
    this.seriesBudget = seriesBudget;
  }

  record(agentId: string, accepted: number, rejected: number): void {
    this.requests++;
    this.samplesAccepted += accepted;
    this.samplesRejected += rejected;
    this.periodAccepted += accepted;
    this.agentsSeen.add(agentId);
  }

  /** Samples accepted per second in the period so far (for /readyz; does not start a new period). */
  currentRate(now = Date.now()): number {
    return this.periodAccepted / Math.max(1, (now - this.periodStart) / 1000);
  }

  /** Rate and agents since the last call; starts a new period. */
  takePeriod(now = Date.now()): { agentsSeen: number; ratePerSecond: number } {
    const seconds = Math.max(0.001, (now - this.periodStart) / 1000);
    const out = { agentsSeen: this.agentsSeen.size, ratePerSecond: this.periodAccepted / seconds };
    this.agentsSeen.clear();
    this.periodAccepted = 0;
    this.periodStart = now;
    return out;
  }
}
