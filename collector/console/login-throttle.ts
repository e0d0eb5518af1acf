/**
 * Login throttling per (address, user name): after `freeFailures` failures the pair is locked for a
 * delay that doubles with each further failure, up to `maxLockMs`. A success clears the pair. In
 * memory: a restart forgives, which an attacker cannot trigger from outside.
 */
export class LoginThrottle {
  private readonly entries = new Map<string, { failures: number; lockedUntil: number; last: number }>();

  constructor(
    private readonly opts: { freeFailures: number; baseLockMs: number; maxLockMs: number; maxEntries: number } = { freeFailures: 5, baseLockMs: 30_000, maxLockMs: 15 * 60_000, maxEntries: 50_000 },
  ) {}

  private key(address: string, user: string): string {
    return `${address}\u0000${user.toLowerCase()}`;
  }

  /** Milliseconds until the next attempt is allowed (0: allowed now). */
  retryAfterMs(address: string, user: string, now = Date.now()): number {
    const e = this.entries.get(this.key(address, user));
    return e ? Math.max(0, e.lockedUntil - now) : 0;
  }

  failure(address: string, user: string, now = Date.now()): void {
    const k = this.key(address, user);
    if (!this.entries.has(k) && this.entries.size >= this.opts.maxEntries) this.sweep(now);
    const e = this.entries.get(k) ?? { failures: 0, lockedUntil: 0, last: now };
    e.failures++;
    e.last = now;
    const over = e.failures - this.opts.freeFailures;
    if (over >= 0) e.lockedUntil = now + Math.min(this.opts.maxLockMs, this.opts.baseLockMs * 2 ** Math.min(over, 20));
    this.entries.set(k, e);
  }

  success(address: string, user: string): void {
    this.entries.delete(this.key(address, user));
  }

  private sweep(now: number): void {
    for (const [k, e] of this.entries) if (e.lockedUntil < now && now - e.last > this.opts.maxLockMs) this.entries.delete(k);
    // Still full: drop the oldest entries rather than grow without bound.
    if (this.entries.size >= this.opts.maxEntries) {
      const oldest = [...this.entries].sort((a, b) => a[1].last - b[1].last).slice(0, Math.ceil(this.opts.maxEntries / 10));
      for (const [k] of oldest) this.entries.delete(k);
    }
  }
}
