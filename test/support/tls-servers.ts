/**
 * Real TLS servers on 127.0.0.1 for the certificate checks' tests and benchmark. Level-0 ciphers
 * so that the server can present 1024-bit and SHA-1 certificates and speak TLS 1.0 when asked to.
 */
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createSecureContext, createServer, TLSSocket, type SecureVersion, type Server } from 'node:tls';
import { SMTPServer } from 'smtp-server';

export interface Running {
  port: number;
  close(): Promise<void>;
}

export interface TlsServerOptions {
  key: string;
  /** Leaf first, then the chain the server sends. */
  cert: string;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  /** Certificates chosen by SNI (the default one above otherwise). */
  byName?: Record<string, { key: string; cert: string }>;
}

const CIPHERS = 'DEFAULT:@SECLEVEL=0';

function listening(server: NetServer | Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closer(server: NetServer | Server, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

function track(server: NetServer | Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  return sockets;
}

export async function startTlsServer(o: TlsServerOptions): Promise<Running> {
  const contexts = new Map(Object.entries(o.byName ?? {}).map(([name, c]) => [name, createSecureContext({ key: c.key, cert: c.cert, ciphers: CIPHERS })]));
  const server = createServer(
    {
      key: o.key,
      cert: o.cert,
      ciphers: CIPHERS,
      minVersion: o.minVersion ?? 'TLSv1.2',
      maxVersion: o.maxVersion,
      SNICallback: contexts.size ? (name, cb) => cb(null, contexts.get(name)) : undefined,
    },
    (sock) => {
      sock.on('error', () => undefined);
      sock.end();
    },
  );
  server.on('tlsClientError', () => undefined);
  const sockets = track(server);
  return { port: await listening(server), close: closer(server, sockets) };
}

/** A real SMTP server (smtp-server) offering STARTTLS with the given certificate. */
export async function startSmtpServer(o: { key: string; cert: string; offerStartTls?: boolean }): Promise<Running> {
  const server = new SMTPServer({
    secure: false,
    key: o.key,
    cert: o.cert,
    hideSTARTTLS: o.offerStartTls === false,
    authOptional: true,
    disabledCommands: o.offerStartTls === false ? ['STARTTLS'] : [],
    logger: false,
    onData(stream, _session, cb) {
      stream.resume();
      stream.on('end', () => cb());
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * Minimal IMAP, POP3 or FTP front doors: the greeting and the STARTTLS step of each RFC, then TLS on
 * the same socket. Enough to prove the dialogs; the mail and file parts are not the point.
 */
export async function startStartTlsServer(protocol: 'imap' | 'pop3' | 'ftp', o: { key: string; cert: string }): Promise<Running> {
  const context = createSecureContext({ key: o.key, cert: o.cert, ciphers: CIPHERS });
  const greeting = { imap: '* OK [CAPABILITY IMAP4rev1 STARTTLS] ready', pop3: '+OK POP3 ready', ftp: '220-Welcome\r\n220 FTP ready' }[protocol];
  const server = createNetServer((sock) => {
    sock.write(`${greeting}\r\n`);
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      if (!buf.includes('\n')) return;
      const line = buf.trim();
      sock.off('data', onData);
      const go = { imap: /^(\S+) STARTTLS$/i.test(line) ? `${line.split(' ')[0]} OK Begin TLS` : '', pop3: line === 'STLS' ? '+OK Begin TLS' : '', ftp: line === 'AUTH TLS' ? '234 AUTH TLS ok' : '' }[protocol];
      if (!go) {
        sock.end(protocol === 'pop3' ? '-ERR no\r\n' : protocol === 'ftp' ? '502 no\r\n' : '* BAD no\r\n');
        return;
      }
      sock.write(`${go}\r\n`, () => {
        const secure = new TLSSocket(sock, { isServer: true, secureContext: context });
        secure.on('error', () => undefined);
        secure.on('data', () => secure.end());
      });
    };
    sock.on('data', onData);
  });
  const sockets = track(server);
  return { port: await listening(server), close: closer(server, sockets) };
}

/** Accepts TCP and never says a word: a TLS client waits until its timeout. */
export async function startSilentServer(): Promise<Running> {
  const server = createNetServer(() => undefined);
  const sockets = track(server);
  return { port: await listening(server), close: closer(server, sockets) };
}

/** Answers every connection with plain text and closes: not TLS at all. */
export async function startPlainTextServer(): Promise<Running> {
  const server = createNetServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  const sockets = track(server);
  return { port: await listening(server), close: closer(server, sockets) };
}

/** A loopback port that nothing listens on (bound, read, released). */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  const port = await listening(server);
  await new Promise((r) => server.close(r));
  return port;
}
