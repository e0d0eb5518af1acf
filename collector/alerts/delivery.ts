// The last step of alerting: SMTP transport, the in-order drain of the durable mail queue with
// backoff (nothing is dropped while the relay is down), and the test mail that proves the settings.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type { AlertSettings, SmtpSettings } from './settings.ts';
import type { AlertStore, MailAttachment, OutgoingMail } from './store.ts';
import { renderTestMail } from './templates.ts';

export interface Mail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  attachments?: MailAttachment[];
}

/** nodemailer over SMTP: implicit TLS or STARTTLS, with the password read from its file at each connection. */
export function smtpTransport(smtp: SmtpSettings): Transporter {
  const ca = smtp.ca ? readFileSync(smtp.ca, 'utf8') : undefined;
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.starttls,
    auth: smtp.username ? { user: smtp.username, pass: smtp.passwordFile ? readFileSync(smtp.passwordFile, 'utf8').trim() : '' } : undefined,
    // SNI takes a host name only; an IP address is checked against the certificate's IP entries.
    tls: { ...(ca ? { ca } : {}), ...(isIP(smtp.host) ? {} : { servername: smtp.host }) },
    connectionTimeout: smtp.timeoutMs,
    greetingTimeout: smtp.timeoutMs,
    socketTimeout: smtp.timeoutMs,
  });
}

export async function sendMail(transport: Transporter, from: string, mail: Mail, headers: Record<string, string> = {}): Promise<void> {
  await transport.sendMail({ from, to: mail.to.join(', '), subject: mail.subject, text: mail.text, html: mail.html, headers, attachments: mail.attachments });
}

/**
 * One test mail to `to` in its reader's language, on a connection of its own: proves host, TLS mode,
 * credentials and sender in one go (`canhgac-collector test-mail` and the console). Throws the relay's error.
 */
export async function sendTestMail(smtp: SmtpSettings, alerts: Pick<AlertSettings, 'locale' | 'recipientLocales'>, to: string, now = Date.now()): Promise<void> {
  const transport = smtpTransport(smtp);
  try {
    await sendMail(transport, smtp.from, { to: [to], ...renderTestMail(alerts.recipientLocales[to.toLowerCase()] ?? alerts.locale, now) });
  } finally {
    transport.close();
  }
}

export const RETRY_BASE_MS = 1000;

/** 1 s, 2 s, 4 s … up to smtp.maxBackoff: a relay that is down gets a breather, and nothing is ever dropped. */
export function backoffMs(attempts: number, maxMs: number): number {
  return Math.min(maxMs, RETRY_BASE_MS * 2 ** Math.min(attempts, 30));
}

/** Drains the durable queue in order; one pump at a time. */
export class MailDelivery {
  private busy = false;
  private transport?: Transporter;

  constructor(
    private readonly store: AlertStore,
    private readonly smtp: SmtpSettings | undefined,
    private readonly log: { warn(o: object, m: string): void } = { warn: () => undefined },
  ) {}

  async pump(now: () => number): Promise<number> {
    if (this.busy || !this.smtp) return 0;
    this.busy = true;
    let sent = 0;
    try {
      for (const mail of this.store.dueMails(now())) {
        if (await this.deliver(mail, now)) sent++;
        else break; // the relay is refusing: the rest waits for the next pump
      }
    } finally {
      this.busy = false;
    }
    return sent;
  }

  private async deliver(mail: OutgoingMail, now: () => number): Promise<boolean> {
    const smtp = this.smtp!;
    try {
      this.transport ??= smtpTransport(smtp);
      const attachments = this.store.attachments(mail.id);
      await sendMail(this.transport, smtp.from, { to: mail.recipients, subject: mail.subject, text: mail.text, html: mail.html, attachments }, { 'X-Canhgac-Notification': String(mail.id) });
      this.store.markSent(mail.id, now());
      return true;
    } catch (err) {
      const message = (err as Error).message;
      this.transport?.close();
      this.transport = undefined;
      this.store.markFailed(mail.id, message, now() + backoffMs(mail.attempts, smtp.maxBackoffMs));
      this.log.warn({ notification: mail.id, attempts: mail.attempts + 1, err: message }, 'alert mail not delivered; will retry');
      return false;
    }
  }

  close(): void {
    this.transport?.close();
  }
}
