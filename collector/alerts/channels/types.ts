// What every alert channel is to the delivery pump (e-mail, webhook, Telegram): one queued notification
// in, delivered or a ChannelError out, with a message that is safe to store and show.
import type { OutgoingMail } from '../store.ts';

export type ChannelKind = 'email' | 'webhook' | 'telegram';

export interface Channel {
  /** `email`, or the configured channel's name: what the notifications table records. */
  readonly name: string;
  readonly kind: ChannelKind;
  /** The longest wait between two attempts of one notification. */
  readonly maxBackoffMs: number;
  /** Where it delivers, for people (never a secret): `smtp.example.vn:587`, a URL's origin, `Telegram chat -100…`. */
  readonly target: string;
  /** Deliver one notification as it was queued; throws (a ChannelError when the channel knows why). */
  send(n: OutgoingMail): Promise<void>;
  close(): void;
}

/** A delivery that did not happen: its message names no secret; `retryAfterMs` when the receiver asked for a pause. */
export class ChannelError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ChannelError';
  }
}
