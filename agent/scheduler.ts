// Keeps every configured check on its own interval for `run`: random first splay, no overlapping runs.
import type { CheckEntry } from './config.ts';
import type { Logger } from './log.ts';
import { runCheck, type CheckRun } from './run-check.ts';

/**
 * Runs every check on its own interval. First runs are spread by a random splay; a check whose
 * previous run is still going is skipped (never overlaps itself); one failing check never stops
 * the others.
 */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly controller = new AbortController();
  private stopped = false;
  skipped = 0;

  constructor(
    private readonly checks: CheckEntry[],
    private readonly opts: { log: Logger; maxSplayMs: number; onRun: (run: CheckRun) => void; random?: () => number },
  ) {}

  start(): void {
    const random = this.opts.random ?? Math.random;
    for (const entry of this.checks) {
      const splay = Math.floor(random() * Math.min(this.opts.maxSplayMs, entry.config.intervalMs));
      this.later(entry, splay);
    }
  }

  private later(entry: CheckEntry, delay: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.fire(entry);
      this.later(entry, entry.config.intervalMs);
    }, delay);
    this.timers.add(t);
  }

  private fire(entry: CheckEntry): void {
    if (this.running.has(entry.id)) {
      this.skipped++;
      this.opts.log.warn('check still running from its last interval; this run is skipped', { check: entry.id });
      return;
    }
    const p = runCheck(entry, this.opts.log, { signal: this.controller.signal, deadlineMs: entry.config.intervalMs })
      .then((run) => {
        if (!this.stopped || run.samples.length > 0) this.opts.onRun(run);
      })
      .catch((err) => this.opts.log.error('scheduler error', { check: entry.id, error: err }))
      .finally(() => this.running.delete(entry.id));
    this.running.set(entry.id, p);
  }

  /** Stop scheduling, abort running checks and wait for them to hand in what they measured. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.controller.abort(new Error('agent stopping'));
    await Promise.allSettled([...this.running.values()]);
  }
}
