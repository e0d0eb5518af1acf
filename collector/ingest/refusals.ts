// Per-agent counts of samples the collector took but could not store (over the agent's series budget,
// or refused by InfluxDB), turned into collector_refusals samples each status period so that the alert
// engine can tell the agency and the security team, and Grafana can show who.
import type { WireSample } from '../../protocol/index.ts';
import type { AgentIdentity } from './ingest.ts';

export type RefusalReason = 'series_budget' | 'influxdb';

interface Entry {
  agent: string;
  agency: string;
  reason: RefusalReason;
  /** Refused since the last status sample. */
  period: number;
}

/** One sample and who it is about (the alert engine routes it to the agent's agency). */
export interface RefusalSample {
  identity: AgentIdentity;
  sample: WireSample;
}

/** More agents than this with refusals at once are counted together, without an agent. */
const MAX_ENTRIES = 10_000;

export class RefusalLog {
  private readonly entries = new Map<string, Entry>();

  /** `agent` undefined: refusals nobody can be named for (a spooled write mixes agents). */
  note(agent: AgentIdentity | undefined, reason: RefusalReason, count: number): void {
    if (count <= 0) return;
    let key = `${agent?.id ?? ''}\u0000${reason}`;
    let e = this.entries.get(key);
    if (!e && this.entries.size >= MAX_ENTRIES) {
      key = `\u0000${reason}`;
      e = this.entries.get(key);
      agent = undefined;
    }
    if (!e) this.entries.set(key, (e = { agent: agent?.id ?? '', agency: agent?.agency ?? '', reason, period: 0 }));
    e.period += count;
  }

  /**
   * One sample per agent and reason with refusals in the period, and one more at 0 after the first
   * quiet period (it clears the alert); then the entry is forgotten, so the state stays as small as
   * the set of agents being refused.
   */
  takeSamples(instance: string, now: number): RefusalSample[] {
    const time = new Date(now).toISOString();
    const out: RefusalSample[] = [];
    for (const [key, e] of this.entries) {
      const tags: Record<string, string> = { instance, reason: e.reason };
      if (e.agent) Object.assign(tags, { agency: e.agency, agent: e.agent });
      out.push({
        identity: { id: e.agent, agency: e.agency },
        sample: { measurement: 'collector_refusals', tags, fields: { refused_samples: e.period }, time },
      });
      if (e.period === 0) this.entries.delete(key);
      e.period = 0;
    }
    return out;
  }
}
