// The channels a collector delivers through, built from its settings: e-mail when there is an smtp
// section, and each webhook and Telegram channel of alerts.channels, by name; and their test message.
import type { SmtpSettings } from '../settings.ts';
import type { MailAttachment, OutgoingMail } from '../store.ts';
import type { Locale } from '../templates.ts';
import { EmailChannel } from './email.ts';
import { renderChannelTest } from './render.ts';
import type { ChannelSettings } from './settings.ts';
import { TelegramChannel } from './telegram.ts';
import type { Channel } from './types.ts';
import { WebhookChannel } from './webhook.ts';

/** One configured channel (not e-mail), ready to send. */
export function channelOf(settings: ChannelSettings): Channel {
  return settings.type === 'webhook' ? new WebhookChannel(settings) : new TelegramChannel(settings);
}

/** Every channel by the name its notifications carry (`email` for mail). */
export function buildChannels(smtp: SmtpSettings | undefined, channels: readonly ChannelSettings[], attachments: (id: number) => Promise<MailAttachment[]>): Map<string, Channel> {
  const out = new Map<string, Channel>();
  if (smtp) out.set('email', new EmailChannel(smtp, attachments));
  for (const c of channels) out.set(c.name, channelOf(c));
  return out;
}

/**
 * One test message through a channel now, in `locale`, not queued and not stored (id 0: a receiver should
 * not take it for a duplicate). Resolves when the receiver took it; throws the channel's error otherwise.
 */
export async function sendChannelTest(settings: ChannelSettings, locale: Locale, now = Date.now()): Promise<void> {
  const channel = channelOf(settings);
  const message = renderChannelTest(settings, locale, now);
  const n: OutgoingMail = { id: 0, createdAt: now, channel: settings.name, agency: '', kind: 'test', recipients: [channel.target], subject: message.subject, alertIds: [], status: 'queued', attempts: 0, nextAttemptAt: now, lastError: null, sentAt: null, text: message.text, html: '' };
  try {
    await channel.send(n);
  } finally {
    channel.close();
  }
}
