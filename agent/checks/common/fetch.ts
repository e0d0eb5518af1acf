// One timed HTTP(S) request with its redirects, and the URL rules, shared by the http check and the
// videoconf check's management-interface probe so both accept the same URLs and time the same way.
import http from 'node:http';
import https from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';
import { resultOfError, VERSION, type FieldsOf, type Result } from '../../../protocol/index.ts';
import { elapsedMs, specialUseLookup } from './probe.ts';

/** Enough for http→https and a trailing-slash hop; more is a loop or a misconfigured portal. */
const MAX_REDIRECTS = 5;

// The URL rules live with the other target syntax (probe.ts), which check specs import without this module.
export { urlTargetProblem } from './probe.ts';

// A context built from the ~140 PEM roots plus a CA file costs about 18 ms of CPU, and `ca` on a request
// builds one per request (and frees it after). The same trust serves every request of every run, so
// each distinct list of CA certificates gets one context, kept: about 1 MB each, a few at most (one per
// configured ca file). Node's own root store cannot be shared instead: a context's store is either its
// own list or that shared store, to which nothing may be added.
const TRUST_CONTEXTS_MAX = 8;
const trustContexts = new Map<string, SecureContext>();

/** The TLS context trusting exactly `ca` (PEM texts), built once per distinct list. */
export function trustContext(ca: readonly string[]): SecureContext {
  const key = ca.join('\n');
  let context = trustContexts.get(key);
  if (!context) {
    context = createSecureContext({ ca: [...ca] });
    if (trustContexts.size >= TRUST_CONTEXTS_MAX) trustContexts.delete(trustContexts.keys().next().value!);
    trustContexts.set(key, context);
  }
  return context;
}

export interface FetchOptions {
  method: 'GET' | 'HEAD';
  /** PEM texts of the CAs to trust instead of the system's (the http check adds the public roots to its ca file). */
  ca?: string[];
  followRedirects: boolean;
  timeoutMs: number;
  signal: AbortSignal;
}

export interface FetchOutcome {
  result: Result;
  fields: FieldsOf<'http'>;
}

/** One request (and its redirects) within `timeoutMs`; undefined when `signal` aborted it. */
export async function fetchProbe(url: string, opts: FetchOptions): Promise<FetchOutcome | undefined> {
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const both = AbortSignal.any([opts.signal, deadline]);
  const started = performance.now();
  let current = new URL(url);
  try {
    for (let hop = 0; ; hop++) {
      const res = await requestOnce(current, opts, both);
      const location = res.location;
      if (opts.followRedirects && location && res.status >= 300 && res.status < 400 && hop < MAX_REDIRECTS) {
        current = new URL(location, current);
        if (current.protocol !== 'http:' && current.protocol !== 'https:') throw Object.assign(new Error('redirect to a non-HTTP URL'), { code: 'ERR_BAD_REDIRECT' });
        continue;
      }
      return { result: 'ok', fields: { up: 1, status_code: res.status, response_ms: elapsedMs(started), content_bytes: res.bytes } };
    }
  } catch (err) {
    if (opts.signal.aborted) return undefined;
    // Cut off in the middle of the body the error is a reset ("aborted"), but the cause is our deadline.
    return { result: deadline.aborted ? 'timeout' : resultOfError(err), fields: { up: 0 } };
  }
}

interface Response {
  status: number;
  bytes: number;
  location?: string;
}

function requestOnce(url: URL, opts: FetchOptions, signal: AbortSignal): Promise<Response> {
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method: opts.method,
        signal,
        // A fresh connection per probe: a pooled socket would hide the connect and TLS cost.
        agent: false,
        lookup: specialUseLookup,
        headers: { 'user-agent': `canhgac-agent/${VERSION}`, accept: '*/*', connection: 'close' },
        ...(url.protocol === 'https:' ? { secureContext: opts.ca ? trustContext(opts.ca) : undefined, rejectUnauthorized: true } : {}),
      },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, location: res.headers.location }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
