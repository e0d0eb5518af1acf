// A real SMTP server on loopback that keeps and parses what it receives: the tests' mail relay and
// the demo's mail catcher.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  raw: string;
  at: number;
}

export interface MailServer {
  port: number;
  mails: ReceivedMail[];
  /** Stop accepting (the port is free); `start()` listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * A real SMTP server (smtp-server) on loopback; every message is parsed back with mailparser. The
 * tests' mail relay and the demo's mail catcher; with `dir`, each message is also kept as a .eml file.
 */
export async function startMailServer(opts: { port?: number; options?: SMTPServerOptions; dir?: string } = {}): Promise<MailServer> {
  const mails: ReceivedMail[] = [];
  let server: SMTPServer | undefined;
  let port = opts.port ?? 0;
  const make = () =>
    new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      ...opts.options,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          simpleParser(raw)
            .then((m) => {
              if (opts.dir) writeFileSync(join(opts.dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${mails.length + 1}.eml`), raw);
              mails.push({
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address),
                subject: m.subject ?? '',
                text: m.text ?? '',
                html: typeof m.html === 'string' ? m.html : '',
                raw: raw.toString('utf8'),
                at: Date.now(),
              });
              callback();
            })
            .catch((err: Error) => callback(err));
        });
      },
    });
  const start = async () => {
    server = make();
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server.server.address() as { port: number }).port;
  };
  await start();
  return {
    get port() {
      return port;
    },
    mails,
    stop: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
    start,
  };
}
