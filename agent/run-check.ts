// One run of one check, shared by `once`, the scheduler and collector commands: a hard deadline, and
// a check that throws is logged and yields what it recorded, never taking the agent down.
import type { WireSample } from '../protocol/index.ts';
import type { CheckEntry } from './config.ts';
import type { Logger } from './log.ts';
import { SampleRecorder } from './recorder.ts';

export interface CheckRun {
  entry: CheckEntry;
  samples: WireSample[];
  durationMs: number;
  error?: Error;
  /** What the check asked to run once its samples are in the outbox (CheckContext.onDelivered). */
  delivered: (() => void)[];
}

/** Run what a check asked for once its samples are in the outbox; one failing step does not stop the others. */
export function confirmDelivery(run: CheckRun, log: Logger): void {
  for (const fn of run.delivered.splice(0)) {
    try {
      fn();
    } catch (err) {
      log.error('check could not finish after delivery', { check: run.entry.id, error: err });
    }
  }
}

/**
 * Run one check entry with a hard deadline. A check that throws is logged with its name and
 * targets and yields what it recorded so far; it never takes the agent down.
 */
export async function runCheck(entry: CheckEntry, log: Logger, opts: { signal?: AbortSignal; deadlineMs?: number; progress?: (m: string) => void } = {}): Promise<CheckRun> {
  const recorder = new SampleRecorder();
  const controller = new AbortController();
  const deadlineMs = opts.deadlineMs ?? Math.max(entry.config.timeoutMs * 2, entry.config.intervalMs);
  const timer = setTimeout(() => controller.abort(new Error(`check ran longer than ${deadlineMs} ms`)), deadlineMs);
  const onOuterAbort = () => controller.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const started = performance.now();
  let error: Error | undefined;
  const delivered: (() => void)[] = [];
  try {
    await entry.def.run(entry.config as never, {
      recorder,
      signal: controller.signal,
      log: log.child({ check: entry.def.type, name: entry.config.name }),
      progress: opts.progress,
      onDelivered: (fn) => delivered.push(fn),
    });
  } catch (err) {
    error = err instanceof Error ? err : new Error(String(err));
    log.error('check failed', { check: entry.id, targets: (entry.config as { targets?: unknown }).targets, error });
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
  return { entry, samples: recorder.drain(), durationMs: performance.now() - started, error, delivered };
}
