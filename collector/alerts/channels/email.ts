// The e-mail channel: nodemailer over SMTP (implicit TLS or STARTTLS, the password read from its file),
// one reused connection for the queue, and the test mail that proves the settings.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type { AlertSettings, SmtpSettings } from '../settings.ts';
import { EMAIL_CHANNEL, type MailAttachment, type OutgoingMail } from '../store.ts';
import { renderTestMail } from '../templates.ts';
import type { Channel } from './types.ts';

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

/** Queued mails through the relay; the connection is dropped after a failure and made again for the next try. */
export class EmailChannel implements Channel {
  readonly kind = 'email';
  readonly name = EMAIL_CHANNEL;
  readonly maxBackoffMs: number;
  readonly target: string;
  private transport?: Transporter;

  constructor(
    private readonly smtp: SmtpSettings,
    /** The files of a notification (the monthly report), read when it is sent rather than with every queue scan. */
    private readonly attachments: (id: number) => Promise<MailAttachment[]>,
  ) {
    this.maxBackoffMs = smtp.maxBackoffMs;
    this.target = `${smtp.host}:${smtp.port}`;
  }

  async send(mail: OutgoingMail): Promise<void> {
    try {
      this.transport ??= smtpTransport(this.smtp);
      const attachments = await this.attachments(mail.id);
      await sendMail(this.transport, this.smtp.from, { to: mail.recipients, subject: mail.subject, text: mail.text, html: mail.html, attachments }, { 'X-Canhgac-Notification': String(mail.id) });
    } catch (err) {
      this.close();
      throw err;
    }
  }

  close(): void {
    this.transport?.close();
    this.transport = undefined;
  }
}
