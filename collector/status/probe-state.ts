// The current state of every status-page probe, learnt from the ingest stream (a sample observer), so
// the public page never needs InfluxDB to say whether a service is up now.
import type { WireSample } from '../../protocol/index.ts';
import type { SampleObserver } from '../ingest/observers.ts';
import type { StatusProbe, StatusService } from './settings.ts';

export type ServiceState = 'up' | 'degraded' | 'down' | 'unknown';

interface Reading {
  up: boolean;
  /** Sample time, ms. */
  at: number;
}

interface ProbeSlot {
  service: number;
  probe: StatusProbe;
  /** The latest reading of each agent that runs this probe (one agency's agent may probe from two PCs). */
  readings: Map<string, Reading>;
}

/** More agents than this on one probe are not remembered (a probe is meant to be run by a few agencies). */
const MAX_AGENTS_PER_PROBE = 50;

export class ProbeState {
  private readonly byMeasurement = new Map<string, ProbeSlot[]>();
  private readonly slots: ProbeSlot[][];

  constructor(private readonly services: StatusService[]) {
    this.slots = services.map((svc, service) =>
      svc.probes.map((probe) => {
        const slot: ProbeSlot = { service, probe, readings: new Map() };
        const list = this.byMeasurement.get(probe.measurement) ?? [];
        list.push(slot);
        this.byMeasurement.set(probe.measurement, list);
        return slot;
      }),
    );
  }

  readonly observe: SampleObserver = (agent, samples) => {
    for (const s of samples) {
      const slots = this.byMeasurement.get(s.measurement);
      if (slots) for (const slot of slots) if (matches(slot.probe, agent.agency, s)) this.record(slot, agent.id, s);
    }
  };

  private record(slot: ProbeSlot, agent: string, s: WireSample): void {
    const up = s.fields.up;
    if (typeof up !== 'number') return;
    const at = Date.parse(s.time);
    const last = slot.readings.get(agent);
    if (last && last.at > at) return; // a replayed older sample does not overrule a newer one
    if (!last && slot.readings.size >= MAX_AGENTS_PER_PROBE) return;
    slot.readings.set(agent, { up: up >= 1, at });
  }

  /**
   * A service is down when every probe that has a fresh reading says down, degraded when some do, up
   * when none do, and unknown when nothing fresh is known.
   */
  stateOf(service: number, now: number, staleAfterMs: number): ServiceState {
    let up = 0;
    let down = 0;
    for (const slot of this.slots[service] ?? []) {
      for (const r of slot.readings.values()) {
        if (now - r.at > staleAfterMs) continue;
        if (r.up) up++;
        else down++;
      }
    }
    if (up + down === 0) return 'unknown';
    if (down === 0) return 'up';
    return up === 0 ? 'down' : 'degraded';
  }

  get serviceCount(): number {
    return this.services.length;
  }
}

function matches(probe: StatusProbe, agency: string, s: WireSample): boolean {
  if (probe.agencies && !probe.agencies.includes(agency)) return false;
  for (const [k, v] of Object.entries(probe.tags)) if (s.tags[k] !== v) return false;
  return true;
}
