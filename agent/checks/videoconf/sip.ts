// A minimal SIP OPTIONS client (UDP, TCP, TLS) for the videoconf check: is the unit's SIP stack
// alive; it never registers, authenticates or calls.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { resultOfError, VERSION, type Result } from '../../../protocol/index.ts';
import { elapsedMs, resolveHost } from '../common/probe.ts';

// One OPTIONS request (RFC 3261 §11) and the status of its final answer is enough to tell a live
// SIP stack from a dead one, without touching the unit's registrations or calls.

export type SipTransport = 'udp' | 'tcp' | 'tls';

export const DEFAULT_SIP_PORT: Record<SipTransport, number> = { udp: 5060, tcp: 5060, tls: 5061 };

/** RFC 3261 timer T1: the first UDP retransmission, doubled each time up to T2. */
const T1_MS = 500;
const T2_MS = 4000;
/** A SIP answer to OPTIONS is a few hundred bytes; anything this large is not one. */
const MAX_MESSAGE_BYTES = 65_536;

export interface SipRequestParts {
  host: string;
  port: number;
  transport: SipTransport;
  localAddress: string;
  localPort: number;
  branch: string;
  tag: string;
  callId: string;
}

const hostPart = (h: string) => (net.isIPv6(h) ? `[${h}]` : h);

/** The OPTIONS request, CRLF line ends, no body. */
export function buildOptions(p: SipRequestParts): string {
  const uri = `sip:${hostPart(p.host)}:${p.port}${p.transport === 'udp' ? '' : `;transport=${p.transport}`}`;
  const local = `${hostPart(p.localAddress)}:${p.localPort}`;
  return [
    `OPTIONS ${uri} SIP/2.0`,
    `Via: SIP/2.0/${p.transport.toUpperCase()} ${local};branch=${p.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:canhgac@${local}>;tag=${p.tag}`,
    `To: <${uri}>`,
    `Call-ID: ${p.callId}`,
    'CSeq: 1 OPTIONS',
    `Contact: <sip:canhgac@${local}${p.transport === 'udp' ? '' : `;transport=${p.transport}`}>`,
    'Accept: application/sdp',
    `User-Agent: canhgac-agent/${VERSION}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

export interface SipResponse {
  statusCode: number;
  reason: string;
  /** Header names in lower case, compact forms expanded (i → call-id, l → content-length, v → via). */
  headers: Record<string, string>;
  /** Bytes the whole message took (headers and body), for stream transports. */
  length: number;
}

const COMPACT: Record<string, string> = { i: 'call-id', l: 'content-length', v: 'via', f: 'from', t: 'to', m: 'contact' };
const STATUS_LINE = /^SIP\/2\.0 ([1-6]\d\d) ?(.*)$/;

export type ParseResult = { kind: 'response'; response: SipResponse } | { kind: 'incomplete' } | { kind: 'invalid'; why: string };

/** Parse the first SIP message in `buf` (a datagram, or the start of a stream). */
export function parseResponse(buf: Buffer, stream: boolean): ParseResult {
  // RFC 3261 §7.5: stream transports may carry CRLF keep-alives before a message.
  let start = 0;
  while (stream && start + 1 < buf.length && buf[start] === 0x0d && buf[start + 1] === 0x0a) start += 2;
  const headEnd = buf.indexOf('\r\n\r\n', start);
  if (headEnd < 0) {
    const firstLine = buf.subarray(start, start + 64).toString('latin1').split('\r\n')[0];
    const looksSip = 'SIP/2.0 '.startsWith(firstLine.slice(0, 8));
    if (!looksSip) return { kind: 'invalid', why: `not a SIP response: ${JSON.stringify(firstLine.slice(0, 40))}` };
    // A datagram is a whole message: without the blank line it was cut short.
    if (!stream) return { kind: 'invalid', why: 'truncated SIP response' };
    if (buf.length - start > MAX_MESSAGE_BYTES) return { kind: 'invalid', why: 'no end of headers' };
    return { kind: 'incomplete' };
  }
  const lines = buf.subarray(start, headEnd).toString('utf8').split('\r\n');
  const m = STATUS_LINE.exec(lines[0]);
  if (!m) return { kind: 'invalid', why: `not a SIP response: ${JSON.stringify(lines[0].slice(0, 40))}` };
  const headers: Record<string, string> = {};
  let last = '';
  for (const line of lines.slice(1)) {
    if (/^[ \t]/.test(line) && last) {
      headers[last] += ' ' + line.trim(); // folded continuation line
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const raw = line.slice(0, colon).trim().toLowerCase();
    last = COMPACT[raw] ?? raw;
    // Only the first of a repeated header matters here (the topmost Via is ours).
    headers[last] ??= line.slice(colon + 1).trim();
  }
  const bodyLength = Number(headers['content-length'] ?? 0);
  if (!Number.isInteger(bodyLength) || bodyLength < 0 || bodyLength > MAX_MESSAGE_BYTES) return { kind: 'invalid', why: 'bad Content-Length' };
  const length = headEnd + 4 + bodyLength;
  if (stream && buf.length < length) return { kind: 'incomplete' };
  return { kind: 'response', response: { statusCode: Number(m[1]), reason: m[2].trim(), headers, length } };
}

/**
 * Whether a final answer proves a live SIP stack on the endpoint. Any 2xx does. So does a 4xx: the
 * unit parsed our request and refused it for a reason of its own (401/407 authentication required,
 * 403, 404 unknown user, 405 OPTIONS not allowed, 486 busy in a call), which is what a healthy unit
 * behind a strict policy answers. Not 408 (a proxy on the way timed out waiting for the unit), nor
 * 3xx, 5xx (overloaded, or a gateway that could not reach it) or 6xx.
 */
export function isLiveSipStatus(code: number): boolean {
  return (code >= 200 && code < 300) || (code >= 400 && code < 500 && code !== 408);
}

export interface SipProbeOptions {
  host: string;
  port: number;
  transport: SipTransport;
  timeoutMs: number;
  signal: AbortSignal;
}

export interface SipOutcome {
  result: Result;
  up: 0 | 1;
  statusCode?: number;
  responseMs?: number;
  /** Why it is not up, in a few words, for logs and the `reason` field. */
  detail?: string;
}

/** One OPTIONS exchange within `timeoutMs`; undefined when `signal` aborted it. Never throws. */
export async function sipOptionsProbe(opts: SipProbeOptions): Promise<SipOutcome | undefined> {
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const both = AbortSignal.any([opts.signal, deadline]);
  let address: string;
  let family: 4 | 6;
  try {
    ({ address, family } = await resolveHost(opts.host));
  } catch (err) {
    if (opts.signal.aborted) return undefined;
    return { result: resultOfError(err), up: 0, detail: 'name does not resolve' };
  }
  const ids = { branch: `z9hG4bK${randomBytes(8).toString('hex')}`, tag: randomBytes(6).toString('hex'), callId: `${randomBytes(12).toString('hex')}@canhgac` };
  const exchange = opts.transport === 'udp' ? udpExchange : streamExchange;
  const outcome = await exchange({ ...opts, address, family, ...ids }, both);
  if (opts.signal.aborted) return undefined;
  return outcome;
}

interface Exchange extends SipProbeOptions {
  address: string;
  family: 4 | 6;
  branch: string;
  tag: string;
  callId: string;
}

function judge(response: SipResponse, started: number): SipOutcome {
  const responseMs = Math.max(elapsedMs(started), 0.001);
  if (isLiveSipStatus(response.statusCode)) return { result: 'ok', up: 1, statusCode: response.statusCode, responseMs };
  return { result: 'error', up: 0, statusCode: response.statusCode, responseMs, detail: `answered ${response.statusCode} ${response.reason}`.trim() };
}

function ours(r: SipResponse, x: Exchange): boolean {
  return r.headers['call-id'] === x.callId && (r.headers.via ?? '').includes(x.branch);
}

function udpExchange(x: Exchange, signal: AbortSignal): Promise<SipOutcome> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(x.family === 6 ? 'udp6' : 'udp4');
    let started = 0;
    let retransmit: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (o: SipOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(retransmit);
      signal.removeEventListener('abort', onAbort);
      socket.close();
      resolve(o);
    };
    const onAbort = () => finish({ result: 'timeout', up: 0, detail: 'no SIP answer' });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    // A connected socket hears the ICMP "port unreachable" of a host with no SIP stack as ECONNREFUSED.
    socket.on('error', (err) => finish({ result: resultOfError(err), up: 0, detail: 'no SIP stack on the port' }));
    socket.on('message', (msg) => {
      const parsed = parseResponse(msg, false);
      if (parsed.kind !== 'response') {
        finish({ result: 'error', up: 0, detail: parsed.kind === 'invalid' ? parsed.why : 'truncated answer' });
        return;
      }
      if (!ours(parsed.response, x)) return; // a late answer to someone else's request
      if (parsed.response.statusCode < 200) return; // provisional: wait for the final answer
      finish(judge(parsed.response, started));
    });
    socket.connect(x.port, x.address, () => {
      if (done) return;
      const local = socket.address();
      const request = Buffer.from(buildOptions({ ...x, host: x.host, localAddress: local.address, localPort: local.port }));
      let wait = T1_MS;
      const send = () => {
        socket.send(request, (err) => {
          if (err) finish({ result: resultOfError(err), up: 0, detail: err.message });
        });
        retransmit = setTimeout(send, wait);
        wait = Math.min(wait * 2, T2_MS);
      };
      started = performance.now();
      send();
    });
  });
}

function streamExchange(x: Exchange, signal: AbortSignal): Promise<SipOutcome> {
  return new Promise((resolve) => {
    let started = 0;
    let done = false;
    let buf = Buffer.alloc(0);
    const socket: net.Socket =
      x.transport === 'tls'
        ? // Video-conference units ship self-signed certificates; SIP reachability does not judge them
          // (the https component and the tls check do). SNI only for names, never for an IP literal.
          tls.connect({ host: x.address, port: x.port, rejectUnauthorized: false, servername: net.isIP(x.host) ? undefined : x.host })
        : net.connect({ host: x.address, port: x.port });
    const finish = (o: SipOutcome) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(o);
    };
    const onAbort = () => finish({ result: 'timeout', up: 0, detail: 'no SIP answer' });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) => {
      const result = x.transport === 'tls' && started === 0 && resultOfError(err) === 'error' ? 'tls_error' : resultOfError(err);
      finish({ result, up: 0, detail: err.message });
    });
    socket.on(x.transport === 'tls' ? 'secureConnect' : 'connect', () => {
      started = performance.now();
      socket.write(buildOptions({ ...x, localAddress: socket.localAddress ?? '0.0.0.0', localPort: socket.localPort ?? 0 }));
    });
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const parsed = parseResponse(buf, true);
        if (parsed.kind === 'incomplete') return;
        if (parsed.kind === 'invalid') return finish({ result: 'error', up: 0, detail: parsed.why });
        buf = buf.subarray(parsed.response.length);
        if (ours(parsed.response, x) && parsed.response.statusCode >= 200) return finish(judge(parsed.response, started));
      }
    });
    socket.on('end', () => finish({ result: 'error', up: 0, detail: 'connection closed without a SIP answer' }));
  });
}
