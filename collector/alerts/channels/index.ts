// The channels a collector delivers through, built from its settings: e-mail when there is an smtp
// section, and each webhook and Telegram channel of alerts.channels, by name.
import type { SmtpSettings } from '../settings.ts';
import type { MailAttachment } from '../store.ts';
import { EmailChannel } from './email.ts';
import type { ChannelSettings } from './settings.ts';
import { TelegramChannel } from './telegram.ts';
import type { Channel } from './types.ts';
import { WebhookChannel } from './webhook.ts';

/** One configured channel (not e-mail), ready to send. */
export function channelOf(settings: ChannelSettings): Channel {
  return settings.type === 'webhook' ? new WebhookChannel(settings) : new TelegramChannel(settings);
}

/** Every channel by the name its notifications carry (`email` for mail). */
export function buildChannels(smtp: SmtpSettings | undefined, channels: readonly ChannelSettings[], attachments: (id: number) => MailAttachment[]): Map<string, Channel> {
  const out = new Map<string, Channel>();
  if (smtp) out.set('email', new EmailChannel(smtp, attachments));
  for (const c of channels) out.set(c.name, channelOf(c));
  return out;
}
