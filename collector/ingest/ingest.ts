// The pure core of ingest: validate each sample of a batch and stamp it with the identity the token
// gives (agency, agent, district); HTTP, storage and observers are elsewhere.
import { validateSample, type Rejection, type TimeWindow, type WireSample } from '../../protocol/index.ts';

export interface AgentIdentity {
  id: string;
  agency: string;
  /** The agency's district, when the config gives one. */
  district?: string;
}

export interface IngestResult {
  accepted: WireSample[];
  rejected: Rejection[];
}

/** A last say on a valid sample (the series budget): `undefined` to keep it, or why it is refused. */
export type Admission = (agent: AgentIdentity, sample: WireSample, now: number) => string | undefined;

/**
 * validate → admit → enrich. Identity comes from the token: whatever `agency`, `agent` or `district` tag the
 * payload carries is replaced. Each sample is judged alone, so one bad sample never costs the good ones.
 * `raw` is a freshly parsed payload that the caller gives up: its tag objects get the identity tags.
 */
export function prepareBatch(agent: AgentIdentity, raw: unknown[], window: Omit<TimeWindow, 'now'>, now = Date.now(), admit?: Admission): IngestResult {
  const accepted: WireSample[] = [];
  const rejected: Rejection[] = [];
  const win = { ...window, now };
  raw.forEach((item, index) => {
    const v = validateSample(item, { window: win });
    if (!v.ok) {
      rejected.push({ index, reason: v.reason });
      return;
    }
    const refused = admit?.(agent, v.sample, now);
    if (refused !== undefined) {
      rejected.push({ index, reason: refused });
      return;
    }
    v.sample.tags.agency = agent.agency;
    v.sample.tags.agent = agent.id;
    if (agent.district) v.sample.tags.district = agent.district;
    accepted.push(v.sample);
  });
  return { accepted, rejected };
}
