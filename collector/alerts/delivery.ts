// The last step of alerting: the in-order drain of the durable notification queue, each channel (e-mail,
// webhook, Telegram) on its own with backoff, so nothing is dropped while a receiver is down and one
// failing or slow channel never holds up another.
import type { Channel } from './channels/types.ts';
import { ChannelError } from './channels/types.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { claimDue, closeQueued, markFailed, markSent, queuedChannels } from './queue-store.ts';
import { EMAIL_CHANNEL, type OutgoingMail } from './store.ts';

export { sendMail, sendTestMail, smtpTransport, type Mail } from './channels/email.ts';

export const RETRY_BASE_MS = 1000;
/** However long a receiver asks to be left alone (Retry-After), it is asked again after a day. */
const MAX_ASKED_WAIT_MS = 86_400_000;
/** Notifications one channel sends in one round (each claimed on its own) before its next round. */
const BATCH = 20;
/** How often the queue is searched for notifications of channels no longer configured (a scan of the queue). */
const ORPHAN_SCAN_MS = 60_000;

/** 1 s, 2 s, 4 s … up to the channel's maxBackoff: a receiver that is down gets a breather, and nothing is ever dropped. */
export function backoffMs(attempts: number, maxMs: number): number {
  return Math.min(maxMs, RETRY_BASE_MS * 2 ** Math.min(attempts, 30));
}

type DeliveryLog = { warn(o: object, m: string): void; error?(o: object, m: string): void };

/**
 * Drains the durable queue: one drain per channel at a time, the channels side by side. Within a channel
 * the oldest due notification goes first; after a failure that channel waits for the next round.
 */
export class NotificationDelivery {
  private readonly busy = new Set<string>();
  private readonly running = new Set<Promise<number>>();
  private readonly orphansLogged = new Set<string>();
  private lastOrphanScan = -Infinity;

  constructor(
    private readonly state: StateSql,
    private readonly channels: ReadonlyMap<string, Channel>,
    private readonly log: DeliveryLog = { warn: () => undefined },
  ) {}

  /** Starts a drain for each channel that has queued notifications and is not draining; resolves with how many went out. */
  async pump(now: () => number): Promise<number> {
    const names = new Set(this.channels.keys());
    if (now() - this.lastOrphanScan >= ORPHAN_SCAN_MS) {
      this.lastOrphanScan = now();
      for (const name of await queuedChannels(this.state)) names.add(name);
    }
    const started = [...names].filter((name) => !this.busy.has(name)).map((name) => this.track(name, now));
    return (await Promise.all(started)).reduce((a, b) => a + b, 0);
  }

  /** Resolves when every drain in progress is over (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.running]);
  }

  private track(name: string, now: () => number): Promise<number> {
    this.busy.add(name);
    const p = this.drain(name, now)
      .catch((err) => {
        this.log.error?.({ channel: name, err: (err as Error).message }, 'notification queue failed');
        return 0;
      })
      .finally(() => {
        this.busy.delete(name);
        this.running.delete(p);
      });
    this.running.add(p);
    return p;
  }

  private async drain(name: string, now: () => number): Promise<number> {
    const channel = this.channels.get(name);
    if (!channel) {
      await this.orphans(name, now());
      return 0;
    }
    // Claimed one at a time, oldest first: a claim covers one send, and what this collector has not
    // claimed yet stays free for another collector's delivery.
    let sent = 0;
    for (let i = 0; i < BATCH; i++) {
      const [n] = await claimDue(this.state, name, now(), 1);
      if (!n) break;
      if (!(await this.deliver(channel, n, now))) break; // the receiver is refusing: the rest waits for the next round
      sent++;
    }
    return sent;
  }

  /**
   * Notifications of a channel that is not configured. Mail without an smtp section waits (the section may
   * come back with the next start, as before channels); a removed channel's are closed with the reason.
   */
  private async orphans(name: string, now: number): Promise<void> {
    if (name === EMAIL_CHANNEL) return;
    const closed = await closeQueued(this.state, name, `channel "${name}" is not in the configuration any more`, now);
    if (closed > 0 && !this.orphansLogged.has(name)) {
      this.orphansLogged.add(name);
      this.log.warn({ channel: name, notifications: closed }, 'queued notifications of a channel that is no longer configured were closed undelivered');
    }
  }

  private async deliver(channel: Channel, n: OutgoingMail, now: () => number): Promise<boolean> {
    try {
      await channel.send(n);
      await markSent(this.state, n.id, now());
      return true;
    } catch (err) {
      const message = String((err as Error).message ?? err).slice(0, 500);
      const asked = err instanceof ChannelError && err.retryAfterMs !== undefined ? Math.min(err.retryAfterMs, MAX_ASKED_WAIT_MS) : 0;
      await markFailed(this.state, n.id, message, now() + Math.max(backoffMs(n.attempts, channel.maxBackoffMs), asked));
      const what = channel.kind === 'email' ? 'alert mail not delivered; will retry' : `alert notification not delivered through ${channel.kind} channel "${channel.name}"; will retry`;
      this.log.warn({ notification: n.id, channel: channel.name, attempts: n.attempts + 1, err: message }, what);
      return false;
    }
  }

  close(): void {
    for (const c of this.channels.values()) c.close();
  }
}
