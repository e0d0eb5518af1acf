// The webhook channel: POSTs the queued JSON document, signed with HMAC-SHA256 over a timestamp and the
// raw body (a shared secret read from a file), so the receiver can tell it is ours and not a replay.
import { createHmac } from 'node:crypto';
import { VERSION } from '../../../protocol/index.ts';
import type { OutgoingMail } from '../store.ts';
import { answerSnippet, postBody, retryAfterMs } from './http.ts';
import { readSecret, withoutSecrets } from './secrets.ts';
import { channelAddress, type WebhookSettings } from './settings.ts';
import { ChannelError, type Channel } from './types.ts';
import { webhookBody } from './webhook-payload.ts';

export const SIGNATURE_HEADER = 'x-canhgac-signature';
export const TIMESTAMP_HEADER = 'x-canhgac-timestamp';
export const DELIVERY_HEADER = 'x-canhgac-delivery';

/** `sha256=` and the hex HMAC-SHA256 of `${timestamp}.${body}`: what a receiver recomputes and compares. */
export function webhookSignature(secret: string, timestamp: number, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export class WebhookChannel implements Channel {
  readonly kind = 'webhook';
  readonly name: string;
  readonly maxBackoffMs: number;
  readonly target: string;

  constructor(private readonly settings: WebhookSettings) {
    this.name = settings.name;
    this.maxBackoffMs = settings.maxBackoffMs;
    this.target = channelAddress(settings);
  }

  async send(n: OutgoingMail): Promise<void> {
    const secret = readSecret(this.settings.secretFile, 'webhook secret');
    try {
      await this.post(webhookBody(n.text, n.id), secret, n);
    } catch (err) {
      const e = err instanceof ChannelError ? err : new ChannelError((err as Error).message);
      throw new ChannelError(withoutSecrets(e.message, [secret]), e.retryAfterMs);
    }
  }

  private async post(body: Buffer, secret: string, n: OutgoingMail): Promise<void> {
    const timestamp = Math.floor(Date.now() / 1000);
    const answer = await postBody(new URL(this.settings.url), body, {
      timeoutMs: this.settings.timeoutMs,
      ca: this.settings.ca,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': `canhgac-collector/${VERSION}`,
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: webhookSignature(secret, timestamp, body),
        [DELIVERY_HEADER]: String(n.id),
        'x-canhgac-attempt': String(n.attempts + 1),
      },
    });
    if (answer.status >= 200 && answer.status < 300) return;
    const snippet = answerSnippet(answer.body);
    throw new ChannelError(`${this.target} answered HTTP ${answer.status}${snippet ? `: ${snippet}` : ''}`, retryAfterMs(answer.headers));
  }

  close(): void {}
}
