// One TLS handshake that accepts whatever the server presents, so the tls and videoconf checks can
// still read an expired, self-signed or untrusted certificate; trust is judged afterwards.
import type { X509Certificate } from 'node:crypto';
import { Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, type SecureContext, type SecureVersion, type TLSSocket } from 'node:tls';
import { resultOfError, type Result } from '../../../protocol/index.ts';
import { elapsedMs } from './probe.ts';
import { goodbye, negotiateStartTls, type StartTls } from './starttls.ts';

// Level 0 lets this client complete a handshake with 1024-bit keys, SHA-1 and TLS 1.0: the point is
// to see and report them, not to refuse them.
const PERMISSIVE_CIPHERS = 'DEFAULT:@SECLEVEL=0';

// One context per version range for the whole process: building one per connection costs more than
// the handshake's own crypto when hundreds of endpoints are checked in a cycle.
const contexts = new Map<string, SecureContext>();
function contextFor(minVersion: SecureVersion, maxVersion: SecureVersion): SecureContext {
  const key = `${minVersion}-${maxVersion}`;
  let ctx = contexts.get(key);
  if (!ctx) {
    // No anchors: Node would otherwise append a root from its own store to the chain, and the chain
    // must be what the server sent.
    ctx = createSecureContext({ ca: [], minVersion, maxVersion, ciphers: PERMISSIVE_CIPHERS });
    contexts.set(key, ctx);
  }
  return ctx;
}

export interface HandshakeRequest {
  /** Resolved address to connect to. */
  address: string;
  port: number;
  /** SNI; undefined for none (IP targets without `sni`). */
  servername?: string;
  starttls?: StartTls;
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  timeoutMs: number;
  signal: AbortSignal;
}

export type HandshakeOutcome =
  | { ok: true; chain: X509Certificate[]; protocol: string; handshakeMs: number }
  | { ok: false; result: Result; error: string };

/** Undefined when `signal` aborted it (shutdown), never throws. */
export async function handshake(req: HandshakeRequest): Promise<HandshakeOutcome | undefined> {
  const deadline = AbortSignal.timeout(req.timeoutMs);
  const both = AbortSignal.any([req.signal, deadline]);
  const plain = new Socket();
  let secure: TLSSocket | undefined;
  let phase: 'connect' | 'starttls' | 'tls' = 'connect';
  let completed = false;
  if (both.aborted) return req.signal.aborted ? undefined : { ok: false, result: 'timeout', error: 'timed out' };
  // Every wait below races this one, so no stage can outlive the deadline whatever its sockets do.
  let onAbort = () => undefined as void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
    both.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  const bounded = <T>(p: Promise<T>): Promise<T> => Promise.race([p, aborted]);
  try {
    await bounded(
      new Promise<void>((resolve, reject) => {
        plain.once('connect', resolve);
        plain.once('error', reject);
        plain.connect({ host: req.address, port: req.port });
      }),
    );
    plain.removeAllListeners('error');
    plain.on('error', () => undefined);
    if (req.starttls) {
      phase = 'starttls';
      await bounded(negotiateStartTls(plain, req.starttls));
    }
    phase = 'tls';
    const started = performance.now();
    const sock = tlsConnect({
      socket: plain,
      servername: req.servername,
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      secureContext: contextFor(req.minVersion, req.maxVersion),
    });
    secure = sock;
    await bounded(
      new Promise<void>((resolve, reject) => {
        sock.once('secureConnect', resolve);
        sock.once('error', reject);
        plain.once('error', reject);
      }),
    );
    const handshakeMs = Math.max(elapsedMs(started), 0.001);
    const chain = chainOf(sock);
    const protocol = sock.getProtocol() ?? 'unknown';
    sock.on('error', () => undefined);
    if (req.starttls) sock.end(goodbye(req.starttls));
    else sock.end();
    completed = true;
    if (chain.length === 0) return { ok: false, result: 'tls_error', error: 'the server sent no certificate' };
    return { ok: true, chain, protocol, handshakeMs };
  } catch (err) {
    if (req.signal.aborted) return undefined;
    if (deadline.aborted) return { ok: false, result: 'timeout', error: `timed out (${phase})` };
    let result = resultOfError(err);
    // A reset or garbage during the handshake is the TLS layer refusing, not a closed port.
    if (phase === 'tls' && (result === 'refused' || result === 'error')) result = 'tls_error';
    return { ok: false, result, error: describe(err) };
  } finally {
    both.removeEventListener('abort', onAbort);
    if (completed && secure && !secure.destroyed) {
      // Let the goodbye and close_notify go out, but never keep a socket past a short grace.
      secure.on('error', () => undefined);
      setTimeout(() => {
        secure?.destroy();
        plain.destroy();
      }, 200).unref();
    } else {
      secure?.destroy();
      plain.destroy();
    }
  }
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const text = e?.message ?? String(err);
  // OpenSSL's "8052...:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:file:line:" → its reason.
  const reason = /:(?:SSL routines|[A-Za-z ]+ routines):[^:]*:([^:]+):/.exec(text)?.[1];
  if (reason) return `TLS: ${reason}`;
  const prefix = e?.code && e.code !== 'ESTARTTLS' && !text.includes(e.code);
  return (prefix ? `${e.code}: ${text}` : text).slice(0, 300);
}

/**
 * The certificates as sent, leaf first, each followed by the one sent that issued it (the order Node's
 * getPeerCertificate(true) gives). Built from getPeerX509Certificate(): getPeerCertificate(true) turns
 * every certificate into a detailed JS object first, the largest single cost of a 200-endpoint cycle.
 */
function chainOf(sock: TLSSocket): X509Certificate[] {
  const sent: X509Certificate[] = [];
  const seen = new Set<string>();
  for (let c = sock.getPeerX509Certificate(); c && !seen.has(c.fingerprint256) && sent.length < 16; c = c.issuerCertificate) {
    seen.add(c.fingerprint256);
    sent.push(c);
  }
  if (sent.length === 0) return [];
  const out = [sent.shift()!];
  for (;;) {
    const last = out[out.length - 1];
    const i = sent.findIndex((c) => last.checkIssued(c));
    if (i < 0) return out;
    out.push(sent.splice(i, 1)[0]);
  }
}
