// What a webhook or Telegram notification carries, rendered when it is queued (the notifier) or tested
// (test-channel): the subject for the history and the exact text the channel will send.
import { formatSpan, formatTime, renderMail, type Locale, type MailContext } from '../templates.ts';
import type { ChannelSettings } from './settings.ts';
import { telegramAlertText, telegramNoticeText } from './telegram-text.ts';
import { webhookAlertDocument, webhookNoticeDocument } from './webhook-payload.ts';

/** Kept in the notifications row: `text` is the webhook's JSON document or the Telegram message. */
export interface ChannelMessage {
  subject: string;
  text: string;
}

/** One group of alerts of one agency for one channel. */
export function renderChannelAlert(channel: ChannelSettings, ctx: MailContext & { agency: string }, now: number): ChannelMessage {
  if (channel.type === 'webhook') {
    const { mail, doc } = webhookAlertDocument(channel.name, ctx, now);
    return { subject: mail.subject, text: JSON.stringify(doc) };
  }
  const { subject } = renderMail(ctx);
  return { subject, text: telegramAlertText(subject, ctx) };
}

const SUMMARY_WORDS = {
  vi: { subject: (n: number) => `[TỔNG HỢP] ${n} tin cảnh báo bị gộp do quá nhiều tin`, intro: (n: number, span: string) => `Kênh nhận quá nhiều tin trong ${span}; ${n} tin sau được gộp lại:` },
  en: { subject: (n: number) => `[SUMMARY] ${n} alert messages held back (too many messages)`, intro: (n: number, span: string) => `The channel got too many messages within ${span}; these ${n} were held back:` },
};

/** The one message that replaces a storm of them to one channel (as the storm summary mail does for a mailbox). */
export function renderChannelSummary(channel: ChannelSettings, locale: Locale, held: { subject: string; at: number }[], windowMs: number, consoleUrl: string | undefined, now: number): ChannelMessage {
  const w = SUMMARY_WORDS[locale];
  const lines = held.slice(0, 200).map((h) => `${formatTime(h.at, locale)}  ${h.subject}`);
  const link = consoleUrl ? `\n\n${new URL('alerts', consoleUrl.endsWith('/') ? consoleUrl : `${consoleUrl}/`)}` : '';
  const mail = { subject: w.subject(held.length), text: `${w.intro(held.length, formatSpan(windowMs, locale))}\n\n${lines.join('\n')}${link}\n` };
  if (channel.type === 'webhook') return { subject: mail.subject, text: JSON.stringify(webhookNoticeDocument(channel.name, 'storm-summary', locale, mail, now, held)) };
  return { subject: mail.subject, text: telegramNoticeText(mail.subject, mail.text) };
}

const TEST_WORDS = {
  vi: { subject: (name: string) => `[THỬ NGHIỆM] Tin thử kênh cảnh báo "${name}" của Canh Gác`, body: 'Nếu bạn đọc được tin này, kênh cảnh báo của collector Canh Gác hoạt động. Gửi lúc' },
  en: { subject: (name: string) => `[TEST] Canh Gác alert channel "${name}" test`, body: 'If you can read this, the Canh Gác collector alert channel works. Sent at' },
};

/** The message of `canhgac-collector test-channel`: proves address, secret or token, and the receiver. */
export function renderChannelTest(channel: ChannelSettings, locale: Locale, now: number): ChannelMessage {
  const w = TEST_WORDS[locale];
  const subject = w.subject(channel.name);
  const text = `${w.body} ${formatTime(now, locale)}.`;
  if (channel.type === 'webhook') return { subject, text: JSON.stringify(webhookNoticeDocument(channel.name, 'test', locale, { subject, text }, now)) };
  return { subject, text: telegramNoticeText(subject, text) };
}
