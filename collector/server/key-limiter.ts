// Token buckets keyed by a caller's address (or any key), with a bounded number of keys: for the
// unauthenticated doors (enrolment, console login) where one address must not get unlimited tries.

export interface KeyLimit {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size: the burst allowed after a quiet spell. */
  burst: number;
}

export type Taken = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** Past this many distinct keys, new keys share one bucket: a spray over addresses gets no fresh budget. */
const MAX_KEYS = 50_000;
const OVERFLOW = '\u0000overflow';

export class KeyLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(private readonly limit: KeyLimit) {}

  /** Takes one token for `key`, or says how long to wait. */
  take(key: string, now = Date.now()): Taken {
    this.sweep(now);
    const k = this.buckets.has(key) || this.buckets.size < MAX_KEYS ? key : OVERFLOW;
    let b = this.buckets.get(k);
    if (!b) this.buckets.set(k, (b = { tokens: this.limit.burst, at: now }));
    b.tokens = Math.min(this.limit.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * this.limit.perSecond);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / this.limit.perSecond)) };
  }

  /** Forgets buckets that have refilled: they hold nothing a fresh bucket would not. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    const full = (this.limit.burst / this.limit.perSecond) * 1000;
    for (const [k, b] of this.buckets) if (now - b.at >= full) this.buckets.delete(k);
  }
}

/** At most `perMinute` log lines a minute for one kind of event; the rest are counted and reported with the next line. */
export class LogBudget {
  private windowStart = 0;
  private used = 0;
  private skipped = 0;

  constructor(private readonly perMinute: number) {}

  /** Calls `write` with how many were skipped before it, or counts this one as skipped. */
  log(now: number, write: (skipped: number) => void): void {
    if (now - this.windowStart >= 60_000) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used >= this.perMinute) {
      this.skipped++;
      return;
    }
    this.used++;
    const skipped = this.skipped;
    this.skipped = 0;
    write(skipped);
  }
}
