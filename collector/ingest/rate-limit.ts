// Per-agent limits on requests and samples per second, so one agent replaying its backlog cannot
// starve the others.
export interface RateLimitSettings {
  requestsPerSecond: number;
  samplesPerSecond: number;
  /** Bucket size in seconds of the rate: how long a burst (a replaying outbox) may run at full speed. */
  burstSeconds: number;
}

interface Bucket {
  requests: number;
  samples: number;
  at: number;
}

/**
 * Per-agent token buckets (requests and samples), in memory: one agent replaying a week of backlog
 * or misbehaving cannot starve the others. A refused request costs nothing.
 */
export class AgentRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(private readonly s: RateLimitSettings) {}

  /** `{ ok: true }` and the tokens taken, or how many seconds to wait (for Retry-After). */
  take(agent: string, samples: number, now = Date.now()): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const maxRequests = this.s.requestsPerSecond * this.s.burstSeconds;
    const maxSamples = Math.max(this.s.samplesPerSecond * this.s.burstSeconds, 1);
    let b = this.buckets.get(agent);
    if (!b) {
      b = { requests: maxRequests, samples: maxSamples, at: now };
      this.buckets.set(agent, b);
    }
    const elapsed = Math.max(0, now - b.at) / 1000;
    b.requests = Math.min(maxRequests, b.requests + elapsed * this.s.requestsPerSecond);
    b.samples = Math.min(maxSamples, b.samples + elapsed * this.s.samplesPerSecond);
    b.at = now;
    this.sweep(now);
    // A batch bigger than the whole bucket could never pass: let it through on a full bucket.
    const cost = Math.min(samples, maxSamples);
    if (b.requests >= 1 && b.samples >= cost) {
      b.requests -= 1;
      b.samples -= cost;
      return { ok: true };
    }
    const wait = Math.max((1 - b.requests) / this.s.requestsPerSecond, (cost - b.samples) / this.s.samplesPerSecond);
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(wait)) };
  }

  /** Forget agents whose buckets are full again, so the map stays as small as the active set. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    const idleMs = this.s.burstSeconds * 1000;
    for (const [id, b] of this.buckets) if (now - b.at > idleMs) this.buckets.delete(id);
  }
}
