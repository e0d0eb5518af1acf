// Which of several collectors on one PostgreSQL runs the once-only timers (alert evaluation, silence
// detection, escalations, the monthly report): the one holding a session advisory lock. PostgreSQL
// frees the lock when the holder's connection ends, so a collector killed with -9 hands over as soon as
// its socket closes; the others try again every `retryMs`.
import { EventEmitter } from 'node:events';
import pg from 'pg';

/** Any 64-bit number of our own, other than the migration lock's. */
export const LEADER_LOCK = 0x43616e6847616302n;

export interface LeaderLeaseOptions {
  /** Connection settings of a dedicated session (the lock belongs to it, so it is never a pooled one). */
  connection: pg.ClientConfig;
  /** How often a follower tries to take the lock, and a leader checks its session is alive. */
  retryMs?: number;
  /** A check of the leader's session that takes longer than this counts as losing it. */
  checkTimeoutMs?: number;
  log?: { info(o: object, msg: string): void; warn(o: object, msg: string): void };
}

/**
 * Emits `acquired` when this collector becomes the leader and `lost` when it stops being one (its
 * session failed: another collector may already lead, so the timers must stop at once).
 */
export class LeaderLease extends EventEmitter {
  private client?: pg.Client;
  private leader = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly retryMs: number;
  private readonly checkTimeoutMs: number;

  constructor(private readonly opts: LeaderLeaseOptions) {
    super();
    this.retryMs = opts.retryMs ?? 1000;
    this.checkTimeoutMs = opts.checkTimeoutMs ?? Math.max(2000, this.retryMs * 2);
  }

  isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    if (this.leader) this.setLeader(false);
    // Ending the session frees the lock: a follower takes over at its next try.
    await c?.end().catch(() => {});
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.session();
      const r = await withTimeout(
        this.leader ? this.client!.query('SELECT 1') : this.client!.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LEADER_LOCK.toString()]),
        this.checkTimeoutMs,
      );
      if (!this.leader && (r.rows[0] as { ok?: boolean }).ok) this.setLeader(true);
    } catch (err) {
      this.dropSession(err as Error);
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.retryMs);
  }

  private async session(): Promise<void> {
    if (this.client) return;
    const c = new pg.Client({ ...this.opts.connection, connectionTimeoutMillis: this.checkTimeoutMs, keepAlive: true });
    c.on('error', (err) => this.dropSession(err));
    this.client = c;
    await c.connect();
  }

  private dropSession(err: Error): void {
    const c = this.client;
    this.client = undefined;
    void c?.end().catch(() => {});
    if (this.leader) {
      this.opts.log?.warn({ error: err.message }, 'lost the leader lease (state database session failed): timers stop here');
      this.setLeader(false);
    }
  }

  private setLeader(on: boolean): void {
    if (this.leader === on) return;
    this.leader = on;
    if (on) this.opts.log?.info({}, 'took the leader lease: this collector runs the alert timers and the monthly report');
    this.emit(on ? 'acquired' : 'lost');
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}
