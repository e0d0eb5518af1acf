// Wires the LAN device inventory (state/devices.ts) into the ingest stream as a sample observer.
import { recordLanSamples } from '../state/devices.ts';
import type { DB } from '../state/db.ts';
import type { SampleObserver } from './observers.ts';

/** Keeps each agency's device inventory (and its `new_device` events) in step with the discovery samples. */
export function deviceInventoryObserver(db: DB): SampleObserver {
  return (agent, samples, now) => {
    recordLanSamples(db, agent.agency, agent.id, samples, now);
  };
}
