// Wires the compliance store (state/compliance.ts) into the ingest stream as a sample observer.
import { recordSecuritySamples } from '../state/compliance.ts';
import type { StateSql } from '../state/sql/connect.ts';
import type { SampleObserver } from './observers.ts';

/** Keeps the compliance view (latest security result per agent and check) in step with the ingest stream. */
export function complianceObserver(state: StateSql): SampleObserver {
  return (agent, samples, now) => {
    // Most batches carry no security sample: no promise, no transaction for them.
    if (!samples.some((s) => s.measurement === 'security' || s.measurement === 'security_score')) return;
    return recordSecuritySamples(state, agent.agency, agent.id, samples, now);
  };
}
