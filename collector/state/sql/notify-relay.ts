// Wake-ups between collectors sharing one PostgreSQL: a command queued on one collector wakes the agent
// long-polling another (LISTEN/NOTIFY on one channel). Only a hint: the command itself is in the
// database, so a lost notification costs at most one poll wait, never the command.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const WAKE_CHANNEL = 'canhgac_wake';

/**
 * What one collector (or a CLI command) tells the others: an agent has work, every agent should look, a
 * result came, or an agent's tokens changed (revoked or rotated: cached answers about it are stale).
 */
export type Wake = { kind: 'agent' | 'result' | 'tokens'; id: string } | { kind: 'all' };

/** Ids are ours (agent ids, command ids); anything longer or stranger in a payload is not ours. */
const ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function parseWake(payload: string, self: string): Wake | undefined {
  if (payload.length > 400) return undefined;
  let m: unknown;
  try {
    m = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!m || typeof m !== 'object') return undefined;
  const { from, kind, id } = m as Record<string, unknown>;
  if (from === self) return undefined; // our own, already acted on here
  if (kind === 'all') return { kind };
  if ((kind === 'agent' || kind === 'result' || kind === 'tokens') && typeof id === 'string' && ID.test(id)) return { kind, id };
  return undefined;
}

export interface WakeRelayOptions {
  connection: pg.ClientConfig;
  /** Sends NOTIFY (any pooled connection will do). */
  notify: (channel: string, payload: string) => Promise<void>;
  onWake: (w: Wake) => void;
  /** Between reconnection attempts of the listening session. */
  retryMs?: number;
  log?: { warn(o: object, msg: string): void };
}

/**
 * One listening session per collector, reconnected when it fails; `publish` tells the others.
 * Notifications are delivered only between transactions' commits, which is what we want: a waking agent
 * finds the command already committed.
 */
export class WakeRelay {
  readonly self = randomBytes(6).toString('hex');
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly opts: WakeRelayOptions) {}

  async start(): Promise<void> {
    await this.listen().catch((err: Error) => this.retry(err));
  }

  publish(w: Wake): void {
    const payload = JSON.stringify({ from: this.self, ...w });
    this.opts.notify(WAKE_CHANNEL, payload).catch((err: Error) => this.opts.log?.warn({ error: err.message }, 'cannot tell the other collectors (wake-up lost; the agent sees the command at its next poll)'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => {});
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    // Bounded: a server that never answers the connect is retried like one that refuses it.
    const c = new pg.Client({ connectionTimeoutMillis: 5000, ...this.opts.connection, keepAlive: true });
    c.on('error', (err) => this.retry(err));
    c.on('notification', (n) => {
      const w = n.channel === WAKE_CHANNEL && n.payload ? parseWake(n.payload, this.self) : undefined;
      if (w) this.opts.onWake(w);
    });
    this.client = c;
    await c.connect();
    await c.query(`LISTEN ${WAKE_CHANNEL}`);
  }

  private retry(err: Error): void {
    const c = this.client;
    this.client = undefined;
    void c?.end().catch(() => {});
    if (this.stopped || this.timer) return;
    this.opts.log?.warn({ error: err.message }, 'wake-up channel to the other collectors lost: reconnecting');
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.listen().catch((e: Error) => this.retry(e));
    }, this.opts.retryMs ?? 1000);
  }
}

/** NOTIFY through a pool (the payload bound as a parameter, never spliced into SQL). */
export function poolNotify(pool: pg.Pool): (channel: string, payload: string) => Promise<void> {
  return async (channel, payload) => {
    await pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
  };
}
