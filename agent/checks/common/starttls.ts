// The plain-text dialogs before the TLS handshake on mail and file servers (RFC 3207, 2595, 4217),
// used by tls-handshake.ts; each ends when the server says "go ahead" and hands the socket on.
import { hostname } from 'node:os';
import type { Socket } from 'node:net';
export const STARTTLS_PROTOCOLS = ['smtp', 'imap', 'pop3', 'ftp'] as const;
export type StartTls = (typeof STARTTLS_PROTOCOLS)[number];

/** A server that talks more than this before TLS is not one we want to keep reading. */
const MAX_BYTES = 64 * 1024;

export class StartTlsError extends Error {
  readonly code = 'ESTARTTLS';
}

/** Reads whole lines from a plain socket; `next()` waits for the next one. */
class LineReader {
  private buffer = '';
  private lines: string[] = [];
  private waiting?: { resolve: (l: string) => void; reject: (e: Error) => void };
  private failure?: Error;
  private total = 0;
  private readonly onData = (chunk: Buffer) => {
    this.total += chunk.length;
    if (this.total > MAX_BYTES) return this.fail(new StartTlsError('the server sent too much before TLS'));
    this.buffer += chunk.toString('latin1');
    let i: number;
    while ((i = this.buffer.indexOf('\n')) >= 0) {
      this.lines.push(this.buffer.slice(0, i).replace(/\r$/, ''));
      this.buffer = this.buffer.slice(i + 1);
    }
    this.flush();
  };
  private readonly onEnd = () => this.fail(new StartTlsError('the server closed the connection before TLS'));
  private readonly onError = (err: Error) => this.fail(err);

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
  }

  next(): Promise<string> {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift()!);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** Stop reading so that TLS gets every byte from here on. */
  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('error', this.onError);
    this.socket.pause();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.flush();
  }

  private flush(): void {
    if (!this.waiting) return;
    const w = this.waiting;
    if (this.lines.length > 0) {
      this.waiting = undefined;
      w.resolve(this.lines.shift()!);
    } else if (this.failure) {
      this.waiting = undefined;
      w.reject(this.failure);
    }
  }
}

/** SMTP and FTP replies: `ddd-text` lines continue, `ddd text` ends. Returns code and all lines. */
async function reply(reader: LineReader): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  for (let i = 0; i < 200; i++) {
    const line = await reader.next();
    lines.push(line);
    const m = /^(\d{3})([ -]|$)/.exec(line);
    if (m && m[2] !== '-') return { code: Number(m[1]), lines };
  }
  throw new StartTlsError('reply longer than 200 lines');
}

function expectCode(got: { code: number; lines: string[] }, want: number, step: string): void {
  if (got.code !== want) throw new StartTlsError(`${step}: expected ${want}, got "${got.lines.at(-1)!.slice(0, 120)}"`);
}

function greetingName(): string {
  // EHLO wants a domain; the host's own name is the honest one, a bare word is accepted by every MTA.
  const h = hostname().replace(/[^A-Za-z0-9.-]/g, '');
  return h || 'localhost';
}

export async function negotiateStartTls(socket: Socket, protocol: StartTls): Promise<void> {
  const reader = new LineReader(socket);
  const send = (line: string) => socket.write(`${line}\r\n`);
  try {
    switch (protocol) {
      case 'smtp': {
        expectCode(await reply(reader), 220, 'greeting');
        send(`EHLO ${greetingName()}`);
        const ehlo = await reply(reader);
        expectCode(ehlo, 250, 'EHLO');
        if (!ehlo.lines.some((l) => /^250[ -]STARTTLS\b/i.test(l))) throw new StartTlsError('the server does not offer STARTTLS');
        send('STARTTLS');
        expectCode(await reply(reader), 220, 'STARTTLS');
        break;
      }
      case 'ftp':
        expectCode(await reply(reader), 220, 'greeting');
        send('AUTH TLS');
        expectCode(await reply(reader), 234, 'AUTH TLS');
        break;
      case 'pop3': {
        const hello = await reader.next();
        if (!hello.startsWith('+OK')) throw new StartTlsError(`greeting: expected +OK, got "${hello.slice(0, 120)}"`);
        send('STLS');
        const ok = await reader.next();
        if (!ok.startsWith('+OK')) throw new StartTlsError(`STLS: expected +OK, got "${ok.slice(0, 120)}"`);
        break;
      }
      case 'imap': {
        const hello = await reader.next();
        if (!/^\* (OK|PREAUTH)\b/i.test(hello)) throw new StartTlsError(`greeting: expected * OK, got "${hello.slice(0, 120)}"`);
        send('cg1 STARTTLS');
        for (let i = 0; i < 50; i++) {
          const line = await reader.next();
          if (!line.startsWith('cg1 ')) continue; // untagged CAPABILITY lines and the like
          if (!/^cg1 OK\b/i.test(line)) throw new StartTlsError(`STARTTLS: expected cg1 OK, got "${line.slice(0, 120)}"`);
          return;
        }
        throw new StartTlsError('STARTTLS: no tagged answer');
      }
    }
  } finally {
    reader.detach();
  }
}

/** A polite goodbye inside TLS, so that mail servers do not log a lost connection each minute. */
export function goodbye(protocol: StartTls): string {
  return protocol === 'imap' ? 'cg2 LOGOUT\r\n' : 'QUIT\r\n';
}
