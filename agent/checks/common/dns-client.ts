// One DNS question to one server over UDP (TCP when the answer is truncated, or TCP only), with a
// deadline, for the dns and mail_domain checks; the system resolver's address when none is given.
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { getServers } from 'node:dns';
import { isIP, Socket } from 'node:net';
import { decodeMessage, DnsFormatError, encodeQuery, RECORD_TYPES, type DnsMessage, type RecordType } from './dns-wire.ts';
import { elapsedMs } from './probe.ts';

export interface DnsServer {
  address: string;
  port: number;
}

export type Transport = 'udp' | 'tcp';

export interface DnsQuestion {
  server: DnsServer;
  /** Normalised (normaliseName). */
  name: string;
  type: RecordType;
  transport: Transport;
  timeoutMs: number;
  signal: AbortSignal;
}

export type DnsOutcome =
  | { ok: true; message: DnsMessage; rttMs: number; transport: Transport; fellBackToTcp: boolean }
  | { ok: false; result: 'timeout' | 'error'; error: string };

/** Largest TCP answer read (a DNS message is at most 65535 bytes by its length prefix anyway). */
const MAX_TCP_BYTES = 65_537;

/**
 * The first server of the system's resolver configuration (/etc/resolv.conf, the Windows adapters),
 * as Node's resolver reads it; no packet is sent to find it.
 */
export function systemResolver(): DnsServer | undefined {
  const first = getServers()[0];
  if (!first) return undefined;
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(first) ?? /^([^:]+):(\d+)$/.exec(first);
  if (m) return { address: m[1], port: Number(m[2]) };
  return isIP(first) ? { address: first, port: 53 } : undefined;
}

/** Asks once (undefined when `signal` aborted it); never throws. */
export async function dnsQuery(q: DnsQuestion): Promise<DnsOutcome | undefined> {
  const started = performance.now();
  const deadline = AbortSignal.timeout(q.timeoutMs);
  const both = AbortSignal.any([q.signal, deadline]);
  try {
    const id = randomInt(0, 65536);
    const query = encodeQuery(id, q.name, q.type);
    let fellBackToTcp = false;
    let transport: Transport = q.transport;
    let raw = transport === 'udp' ? await udpExchange(q.server, query, both) : await tcpExchange(q.server, query, both);
    let message = accept(raw, id, q);
    if (transport === 'udp' && message.tc) {
      // RFC 7766: a truncated UDP answer is asked again over TCP, within the same deadline.
      fellBackToTcp = true;
      transport = 'tcp';
      raw = await tcpExchange(q.server, query, both);
      message = accept(raw, id, q);
    }
    return { ok: true, message, rttMs: elapsedMs(started), transport, fellBackToTcp };
  } catch (err) {
    if (q.signal.aborted) return undefined;
    if (deadline.aborted) return { ok: false, result: 'timeout', error: `no answer within ${q.timeoutMs} ms` };
    const e = err as NodeJS.ErrnoException;
    if (e instanceof DnsFormatError) return { ok: false, result: 'error', error: `malformed answer: ${e.message}` };
    if (e.code === 'ECONNREFUSED') return { ok: false, result: 'error', error: 'connection refused (nothing listens on that port)' };
    return { ok: false, result: 'error', error: (e.message ?? String(err)).slice(0, 200) };
  }
}

/** A response that answers our question, or a thrown DnsFormatError. */
function accept(raw: Buffer, id: number, q: DnsQuestion): DnsMessage {
  const message = decodeMessage(raw);
  if (message.id !== id || !message.qr) throw new DnsFormatError('an answer to another question');
  const question = message.question;
  // A server may leave out the question only in an error answer (FORMERR, NOTIMP and the like).
  if (question && (question.name !== q.name || question.type !== RECORD_TYPES[q.type])) throw new DnsFormatError('an answer to another question');
  return message;
}

function abortError(): Error {
  return Object.assign(new Error('aborted'), { name: 'AbortError' });
}

/**
 * One datagram out, the first datagram back from the server's address and port whose id and
 * question match (others are ignored: a spoofed or late answer never counts).
 */
function udpExchange(server: DnsServer, query: Buffer, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError());
    const sock = createSocket(isIP(server.address) === 6 ? 'udp6' : 'udp4');
    const finish = (err: Error | undefined, buf?: Buffer) => {
      signal.removeEventListener('abort', onAbort);
      sock.close();
      if (err) reject(err);
      else resolve(buf!);
    };
    const onAbort = () => finish(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (err) => finish(err));
    sock.on('message', (buf, rinfo) => {
      if (rinfo.port !== server.port || rinfo.address !== server.address) return;
      if (buf.length < 2 || buf.readUInt16BE(0) !== query.readUInt16BE(0)) return;
      finish(undefined, buf);
    });
    sock.send(query, server.port, server.address, (err) => {
      if (err) finish(err);
    });
  });
}

/** The query with its two-byte length over a fresh TCP connection; the answer read up to its length. */
function tcpExchange(server: DnsServer, query: Buffer, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError());
    const sock = new Socket();
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (err: Error | undefined, buf?: Buffer) => {
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err) reject(err);
      else resolve(buf!);
    };
    const onAbort = () => finish(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (err) => finish(err));
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      received += d.length;
      if (received > MAX_TCP_BYTES) return finish(new DnsFormatError('a TCP answer longer than its length prefix allows'));
      if (received < 2) return;
      const all = Buffer.concat(chunks);
      const want = all.readUInt16BE(0);
      if (all.length >= 2 + want) finish(undefined, all.subarray(2, 2 + want));
    });
    sock.on('end', () => finish(new DnsFormatError('the server closed the connection before its answer was complete')));
    sock.connect({ host: server.address, port: server.port }, () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
  });
}
