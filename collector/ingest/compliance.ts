// Wires the compliance store (state/compliance.ts) into the ingest stream as a sample observer.
import { recordSecuritySamples } from '../state/compliance.ts';
import type { DB } from '../state/db.ts';
import type { SampleObserver } from './observers.ts';

/** Keeps the compliance view (latest security result per agent and check) in step with the ingest stream. */
export function complianceObserver(db: DB): SampleObserver {
  return (agent, samples, now) => {
    if (!samples.some((s) => s.measurement === 'security' || s.measurement === 'security_score')) return;
    recordSecuritySamples(db, agent.agency, agent.id, samples, now);
  };
}
