/** Where alerting reports what it skipped; the collector's logger fits. */
export interface AlertLog {
  warn(o: object, m: string): void;
  error(o: object, m: string): void;
  info?(o: object, m: string): void;
}

/**
 * One log line per failing thing (a rule, a silence, an alert) per period, however often it fails: a
 * rule that throws on every sample must not flood the log while the others go on.
 */
export class FailureLog {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly log: AlertLog | undefined,
    private readonly everyMs = 600_000,
  ) {}

  report(key: string, fields: object, message: string, err: unknown, now = Date.now()): void {
    const at = this.last.get(key);
    if (at !== undefined && now - at < this.everyMs) return;
    if (this.last.size > 10_000) this.last.clear();
    this.last.set(key, now);
    this.log?.error({ ...fields, err }, message);
  }
}
