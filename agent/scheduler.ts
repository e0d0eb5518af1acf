// Keeps every configured check on its own interval for `run`: random first splay, no overlapping runs,
// and a new set of checks put in force without a restart (a configuration from the collector).
import { canonicalJson } from '../protocol/index.ts';
import type { CheckEntry } from './config.ts';
import type { Logger } from './log.ts';
import { runCheck, type CheckRun } from './run-check.ts';

/** One scheduled check: its own timer and abort, so it can leave the schedule while the others run on. */
interface Slot {
  entry: CheckEntry;
  timer?: NodeJS.Timeout;
  controller: AbortController;
  gone: boolean;
}

/** Same id and same settings: the same check, whose schedule a replacement leaves alone. */
const slotKey = (e: CheckEntry) => `${e.id}\n${canonicalJson(e.config)}`;

/**
 * Runs every check on its own interval. First runs are spread by a random splay; a check whose
 * previous run is still going is skipped (never overlaps itself); one failing check never stops
 * the others.
 */
export class Scheduler {
  private readonly slots = new Map<string, Slot>();
  private readonly running = new Map<Slot, Promise<void>>();
  private started = false;
  private stopped = false;
  skipped = 0;

  constructor(
    private checks: CheckEntry[],
    private readonly opts: { log: Logger; maxSplayMs: number; onRun: (run: CheckRun) => void; random?: () => number },
  ) {}

  start(): void {
    this.started = true;
    for (const entry of this.checks) this.add(entry);
  }

  /**
   * Put `checks` in force: checks no longer listed (or whose settings changed) leave the schedule and
   * their running probe is aborted; new ones start after their splay; unchanged ones keep their rhythm.
   */
  replace(checks: CheckEntry[]): { added: number; removed: number; kept: number } {
    this.checks = checks;
    const next = new Map(checks.map((e) => [slotKey(e), e]));
    let removed = 0;
    let added = 0;
    for (const [key, slot] of this.slots) {
      if (next.has(key)) continue;
      this.slots.delete(key);
      slot.gone = true;
      clearTimeout(slot.timer);
      slot.controller.abort(new Error('check removed from the configuration'));
      removed++;
    }
    if (this.started && !this.stopped) {
      for (const [key, entry] of next) if (!this.slots.has(key)) (this.add(entry), added++);
    }
    return { added, removed, kept: this.slots.size - added };
  }

  private add(entry: CheckEntry): void {
    const random = this.opts.random ?? Math.random;
    const slot: Slot = { entry, controller: new AbortController(), gone: false };
    this.slots.set(slotKey(entry), slot);
    this.later(slot, Math.floor(random() * Math.min(this.opts.maxSplayMs, entry.config.intervalMs)));
  }

  private later(slot: Slot, delay: number): void {
    if (this.stopped || slot.gone) return;
    slot.timer = setTimeout(() => {
      this.fire(slot);
      this.later(slot, slot.entry.config.intervalMs);
    }, delay);
  }

  private fire(slot: Slot): void {
    const { entry } = slot;
    if (this.running.has(slot)) {
      this.skipped++;
      this.opts.log.warn('check still running from its last interval; this run is skipped', { check: entry.id });
      return;
    }
    const p = runCheck(entry, this.opts.log, { signal: slot.controller.signal, deadlineMs: entry.config.intervalMs })
      .then((run) => {
        if (!this.stopped || run.samples.length > 0) this.opts.onRun(run);
      })
      .catch((err) => this.opts.log.error('scheduler error', { check: entry.id, error: err }))
      .finally(() => this.running.delete(slot));
    this.running.set(slot, p);
  }

  /** Stop scheduling, abort running checks and wait for them to hand in what they measured. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const slot of this.slots.values()) {
      clearTimeout(slot.timer);
      slot.controller.abort(new Error('agent stopping'));
    }
    await Promise.allSettled([...this.running.values()]);
  }
}
