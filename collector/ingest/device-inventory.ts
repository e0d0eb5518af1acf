// Wires the LAN device inventory (state/devices.ts) into the ingest stream as a sample observer.
import { recordLanSamples } from '../state/devices.ts';
import type { StateSql } from '../state/sql/connect.ts';
import type { SampleObserver } from './observers.ts';

/** Keeps each agency's device inventory (and its `new_device` events) in step with the discovery samples. */
export function deviceInventoryObserver(state: StateSql): SampleObserver {
  // On SQLite the transaction has no I/O between its statements: it is done before the next request is read.
  return (agent, samples, now) => recordLanSamples(state, agent.agency, agent.id, samples, now);
}
