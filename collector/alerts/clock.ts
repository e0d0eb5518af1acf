/**
 * Time for the alerting engine. Production uses the wall clock; tests inject a manual one so `for`,
 * `resolveAfter`, repeat and escalation can be proven with short or simulated durations.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  constructor(private t = Date.parse('2026-11-27T03:00:00Z')) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
}
