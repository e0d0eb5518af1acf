/**
 * How often each agent reports, learnt from the ingest stream, for the agent-silent rule.
 *
 * The interval is the one the agent reports in its `agent_status` samples (`status_interval_ms`, its
 * `agent.statusInterval`). Behind a balancer that spreads an agent's requests over several collectors,
 * each collector receives only some of those samples, so the gaps it sees are multiples of the interval:
 * judged by them, a silence would be called late by as many times. From an agent that does not report
 * it (older versions), the interval is the median gap between the sample times of its `agent_status`
 * samples: the agent sends one per `agent.statusInterval` (default 60s) whatever its checks do, so the
 * gaps between batches (which follow the checks' schedules and the outbox) are not used. Until one
 * status sample with its interval, or two without, arrived, an agent has no known interval and is never
 * called silent; a client that never sends agent_status is not watched for silence.
 */
export interface AgentCadence {
  agent: string;
  agency: string;
  host?: string;
  /** The last arrival as far as silence is judged: never before this collector started (see merge). */
  lastArrival: number;
  /** The last arrival itself, on this collector or (merged from the database) another. */
  arrivedAt: number;
  intervalMs?: number;
  /** What the agent said its interval is, in its latest status sample that said it. */
  reportedMs?: number;
  statusTimes: number[];
  dirty: boolean;
}

const KEEP = 5;
/** A reported interval outside these is not believed (the agent's own config takes 100 ms at least). */
export const REPORTED_INTERVAL_MS = { min: 100, max: 86_400_000 };

export class CadenceTracker {
  readonly agents = new Map<string, AgentCadence>();

  /**
   * What the database says (this collector's earlier runs and every other collector): a later arrival
   * than the one known here wins, and an interval and a host name are learnt where none is known yet.
   */
  merge(rows: { agent: string; agency: string; intervalMs: number | null; lastArrival: number; host?: string }[], startedAt: number): void {
    for (const r of rows) {
      const c = this.agents.get(r.agent);
      if (!c) {
        // A collector that was down must not call every agent silent: each gets a full window from the start.
        this.agents.set(r.agent, { agent: r.agent, agency: r.agency, host: r.host, lastArrival: Math.max(r.lastArrival, startedAt), arrivedAt: r.lastArrival, intervalMs: r.intervalMs ?? undefined, statusTimes: [], dirty: false });
        continue;
      }
      // The host its own status samples name wins over the one it enrolled with.
      c.host ??= r.host;
      if (r.lastArrival > c.arrivedAt) {
        c.arrivedAt = r.lastArrival;
        c.lastArrival = Math.max(c.lastArrival, r.lastArrival);
        c.agency = r.agency;
      }
      c.intervalMs ??= r.intervalMs ?? undefined;
    }
  }

  /** `reportedMs`: the interval the batch's latest status sample reported, if any. */
  seen(agent: string, agency: string, now: number, statusTimes: number[], host: string | undefined, reportedMs?: number): AgentCadence {
    let c = this.agents.get(agent);
    if (!c) {
      c = { agent, agency, lastArrival: now, arrivedAt: now, statusTimes: [], dirty: true };
      this.agents.set(agent, c);
    } else {
      c.lastArrival = now;
      c.arrivedAt = now;
      c.agency = agency;
    }
    if (host) c.host = host;
    for (const t of statusTimes) {
      const last = c.statusTimes[c.statusTimes.length - 1];
      if (last === undefined || t > last) push(c.statusTimes, t, KEEP + 1);
    }
    if (reportedMs !== undefined && Number.isInteger(reportedMs) && reportedMs >= REPORTED_INTERVAL_MS.min && reportedMs <= REPORTED_INTERVAL_MS.max) c.reportedMs = reportedMs;
    c.intervalMs = c.reportedMs ?? estimate(c) ?? c.intervalMs;
    c.dirty = true;
    return c;
  }

  forget(agent: string): void {
    this.agents.delete(agent);
  }
}

function push(list: number[], v: number, keep = KEEP): void {
  list.push(v);
  if (list.length > keep) list.shift();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function estimate(c: AgentCadence): number | undefined {
  if (c.statusTimes.length >= 2) {
    const gaps = c.statusTimes.slice(1).map((t, i) => t - c.statusTimes[i]);
    return median(gaps);
  }
  return undefined;
}
