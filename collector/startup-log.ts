// A logger for the parts that start before the fastify app (spool, alerting, report mailer): it keeps
// their messages until the app's logger exists, so nothing said during start-up is lost.

export interface Log {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
  error(o: object, m: string): void;
}

type Level = keyof Log;

/** Messages kept before attach(); past this a start-up that logs in a loop only keeps a count. */
const MAX_HELD = 1000;

export class StartupLog implements Log {
  private target?: Log;
  private held: Array<[Level, object, string]> = [];
  private dropped = 0;

  info(o: object, m: string): void {
    this.write('info', o, m);
  }
  warn(o: object, m: string): void {
    this.write('warn', o, m);
  }
  error(o: object, m: string): void {
    this.write('error', o, m);
  }

  /** From now on, messages go straight to `target`; what was held goes first, in order. */
  attach(target: Log): void {
    this.target = target;
    for (const [level, o, m] of this.held) target[level](o, m);
    if (this.dropped > 0) target.warn({ dropped: this.dropped }, 'start-up log messages dropped (too many before the logger was ready)');
    this.held = [];
    this.dropped = 0;
  }

  private write(level: Level, o: object, m: string): void {
    if (this.target) return this.target[level](o, m);
    if (this.held.length < MAX_HELD) this.held.push([level, o, m]);
    else this.dropped++;
  }
}
