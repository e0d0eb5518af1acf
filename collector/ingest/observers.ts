import type { WireSample } from '../../protocol/index.ts';
import type { AgentIdentity } from './ingest.ts';

/**
 * Something that learns from accepted samples after they are stored: inventories (devices,
 * certificates, compliance) and the alert engine. Called in order, synchronously; an observer must
 * not throw (errors are logged and swallowed by the caller) and must be fast (it runs per request).
 */
export type SampleObserver = (agent: AgentIdentity, samples: WireSample[], now: number) => void;

export function notifyObservers(observers: SampleObserver[], agent: AgentIdentity, samples: WireSample[], log: { error(o: object, m: string): void }): void {
  const now = Date.now();
  for (const observe of observers) {
    try {
      observe(agent, samples, now);
    } catch (err) {
      log.error({ err }, 'sample observer failed');
    }
  }
}
