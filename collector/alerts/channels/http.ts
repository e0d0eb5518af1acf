// One bounded HTTP(S) POST for the webhook and Telegram channels: a whole-request timeout, a capped answer,
// no redirects followed, a private CA when the receiver has one.
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ChannelError } from './types.ts';

/** The most of an answer that is read: enough for any error text, too little for a flood. */
export const MAX_ANSWER_BYTES = 64 * 1024;

export interface PostAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  /** At most MAX_ANSWER_BYTES of the body, as UTF-8. */
  body: string;
}

export interface PostOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  /** Path to a PEM CA that signs the receiver's certificate. */
  ca?: string;
}

/**
 * POST `body` to `url` and read the answer, all within `timeoutMs` (connect, send, answer). A network
 * failure or the timeout throws a ChannelError naming the URL's origin only, never its path or query.
 */
export function postBody(url: URL, body: Buffer, opts: PostOptions): Promise<PostAnswer> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const ca = opts.ca ? readFileSync(opts.ca, 'utf8') : undefined;
  return new Promise<PostAnswer>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, answer?: PostAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(answer!);
    };
    const req = request(url, { method: 'POST', headers: { ...opts.headers, 'content-length': String(body.length) }, ...(ca ? { ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size >= MAX_ANSWER_BYTES) return;
        chunks.push(chunk.subarray(0, MAX_ANSWER_BYTES - size));
        size += Math.min(chunk.length, MAX_ANSWER_BYTES - size);
        // Enough read: the rest of a huge answer is not waited for.
        if (size >= MAX_ANSWER_BYTES) {
          finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
          res.destroy();
        }
      });
      res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => finish(new ChannelError(`${url.origin}: the answer broke off (${(err as NodeJS.ErrnoException).code ?? err.message})`)));
    });
    const timer = setTimeout(() => {
      finish(new ChannelError(`${url.origin}: no answer within ${opts.timeoutMs} ms`));
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err) => finish(new ChannelError(`${url.origin}: ${(err as NodeJS.ErrnoException).code ?? 'error'}: ${err.message.slice(0, 200)}`)));
    req.end(body);
  });
}

/** `Retry-After` in seconds (or an HTTP date) as milliseconds, when the receiver sent one. */
export function retryAfterMs(headers: IncomingMessage['headers'], now = Date.now()): number | undefined {
  const v = headers['retry-after'];
  if (typeof v !== 'string') return undefined;
  if (/^\d{1,7}$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** The first line or so of an answer body, printable, for an error message. */
export function answerSnippet(body: string, max = 200): string {
  const flat = body.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
