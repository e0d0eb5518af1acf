// The contract for what learns from accepted samples (inventories, alerting) and the loop that calls
// them, so that one failing observer never fails a batch.
import type { WireSample } from '../../protocol/index.ts';
import type { AgentIdentity } from './ingest.ts';

/**
 * Something that learns from accepted samples: inventories (devices, certificates, compliance) and the
 * alert engine. Called in order, synchronously, as soon as a batch is accepted and its write has
 * started, so that the samples need not be kept while the write waits. A batch whose write then fails
 * is answered 503 and sent again by the agent, as is one whose answer was lost: an observer must take
 * the same sample twice without effect (all of them upsert by key and sample time). An observer must
 * not throw (errors are logged and swallowed by the caller) and must be fast (it runs per request).
 * One on the SQL layer answers with a promise; its failure is logged the same way. It must take what it
 * needs from the samples before its first await (the batch is let go once the observers return).
 */
export type SampleObserver = (agent: AgentIdentity, samples: WireSample[], now: number) => void | Promise<unknown>;

export function notifyObservers(observers: SampleObserver[], agent: AgentIdentity, samples: WireSample[], log: { error(o: object, m: string): void }): void {
  const now = Date.now();
  for (const observe of observers) {
    try {
      const pending = observe(agent, samples, now);
      if (pending) pending.catch((err: unknown) => log.error({ err }, 'sample observer failed'));
    } catch (err) {
      log.error({ err }, 'sample observer failed');
    }
  }
}
