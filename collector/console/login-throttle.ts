// Console login throttling per (address, user name), kept in the state database so that several
// collectors behind one balancer count a guesser's failures together.
import { sql } from 'kysely';
import type { StateSql } from '../state/sql/connect.ts';

export interface ThrottleSettings {
  freeFailures: number;
  baseLockMs: number;
  maxLockMs: number;
  maxEntries: number;
}

const DEFAULTS: ThrottleSettings = { freeFailures: 5, baseLockMs: 30_000, maxLockMs: 15 * 60_000, maxEntries: 50_000 };
/** How many failures recorded here between two sweeps of the table. */
const SWEEP_EVERY = 256;

/** The user part of the key: case folded, without control characters (PostgreSQL's text holds no NUL). */
function userKey(user: string): string {
  // eslint-disable-next-line no-control-regex
  return user.toLowerCase().replace(/[\u0000-\u001f]/g, '').slice(0, 64);
}

/**
 * After `freeFailures` failures the pair is locked for a delay that doubles with each further failure,
 * up to `maxLockMs`. A success clears the pair. Pairs idle past the longest lock are forgotten, and the
 * table holds at most `maxEntries` (the oldest go first): a flood of made-up names cannot grow it.
 */
export class LoginThrottle {
  private sinceSweep = 0;

  constructor(
    private readonly state: StateSql,
    private readonly opts: ThrottleSettings = DEFAULTS,
  ) {}

  /** Milliseconds until the next attempt is allowed (0: allowed now). */
  async retryAfterMs(address: string, user: string, now = Date.now()): Promise<number> {
    const r = await sql<{ locked_until: number }>`SELECT locked_until FROM login_throttle WHERE address = ${address} AND user_name = ${userKey(user)}`.execute(this.state.db);
    return Math.max(0, (r.rows[0]?.locked_until ?? 0) - now);
  }

  /** One more failure of the pair, counted in one statement whichever collector saw the others. */
  async failure(address: string, user: string, now = Date.now()): Promise<void> {
    if (++this.sinceSweep >= SWEEP_EVERY) {
      this.sinceSweep = 0;
      await this.sweep(now);
    }
    const key = userKey(user);
    const r = await sql<{ failures: number }>`INSERT INTO login_throttle (address, user_name, failures, locked_until, last_at) VALUES (${address}, ${key}, 1, 0, ${now})
      ON CONFLICT (address, user_name) DO UPDATE SET failures = login_throttle.failures + 1, last_at = excluded.last_at
      RETURNING failures`.execute(this.state.db);
    const over = Number(r.rows[0].failures) - this.opts.freeFailures;
    if (over < 0) return;
    const until = now + Math.min(this.opts.maxLockMs, this.opts.baseLockMs * 2 ** Math.min(over, 20));
    // Only ever raised: failures counted at once on several collectors may write their locks in any order.
    await sql`UPDATE login_throttle SET locked_until = ${until} WHERE address = ${address} AND user_name = ${key} AND locked_until < ${until}`.execute(this.state.db);
  }

  async success(address: string, user: string): Promise<void> {
    await sql`DELETE FROM login_throttle WHERE address = ${address} AND user_name = ${userKey(user)}`.execute(this.state.db);
  }

  /** Forgets pairs idle past the longest lock; still over the bound, the oldest tenth goes. */
  async sweep(now = Date.now()): Promise<void> {
    await sql`DELETE FROM login_throttle WHERE locked_until < ${now} AND last_at < ${now - this.opts.maxLockMs}`.execute(this.state.db);
    const n = Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM login_throttle`.execute(this.state.db)).rows[0].n);
    if (n < this.opts.maxEntries) return;
    const drop = n - this.opts.maxEntries + Math.ceil(this.opts.maxEntries / 10);
    await sql`DELETE FROM login_throttle WHERE (address, user_name) IN (SELECT address, user_name FROM login_throttle ORDER BY last_at, address, user_name LIMIT ${drop})`.execute(this.state.db);
  }
}
