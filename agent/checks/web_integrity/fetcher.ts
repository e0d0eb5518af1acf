// HTTP(S) for the crawl: one keep-alive pool of at most 4 connections per site, a request slot taken
// for every request (so never more than 4 in flight per site), a byte ceiling on the decoded body
// (gzip, deflate and brotli included), a timeout per request, and the three views' headers.
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { VERSION } from '../../../protocol/index.ts';
import { specialUseLookup } from '../common/probe.ts';

export type View = 'browser' | 'googlebot' | 'search';
export const VIEWS: readonly View[] = ['browser', 'googlebot', 'search'];

/** At most this many requests in flight to one site. */
export const MAX_IN_FLIGHT = 4;

const BROWSER_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const GOOGLEBOT_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
/** The product token robots.txt groups are matched against (and shown in the browser view's From header). */
export const ROBOTS_TOKEN = 'canhgac';

export interface FetchResult {
  url: URL;
  status: number;
  location?: string;
  contentType: string;
  body: Buffer;
  /** The body was cut at the byte ceiling. */
  truncated: boolean;
}

/** A counting semaphore: requests wait for one of the site's slots. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  /** Undefined when a slot was free (no promise to wait for), else a promise of one. */
  take(): Promise<void> | undefined {
    if (this.free > 0) {
      this.free--;
      return undefined;
    }
    return new Promise<void>((r) => this.waiting.push(r));
  }
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

interface Destroyable {
  destroy(err: Error): void;
}

const abortError = (message: string) => Object.assign(new Error(message), { code: 'ABORT_ERR' });

/**
 * The requests of one page's other views, given up together once the page turns out not to need them
 * (not HTML, off the site, seen already). A plain set: an AbortSignal costs an event target and two
 * listeners per request, at 600 requests a crawl.
 */
export class Cancel {
  cancelled = false;
  readonly live = new Set<Destroyable>();

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    for (const req of this.live) req.destroy(abortError('no longer needed'));
    this.live.clear();
  }
}

export interface FetcherOptions {
  timeoutMs: number;
  maxBytes: number;
  ca?: string[];
  searchReferer: string;
  signal: AbortSignal;
}

const DEFAULT_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** The requests of one site's crawl. */
export class SiteFetcher {
  private readonly slots = new Slots(MAX_IN_FLIGHT);
  private readonly agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT }),
    https: new https.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT }),
  };
  /** Requests under way: the site's signal (budget, shutdown) ends them all through one listener. */
  private readonly live = new Set<Destroyable>();
  private readonly onAbort = () => {
    for (const req of this.live) req.destroy(abortError('aborted'));
  };
  /** Each view's request options for the usual Accept header, made once (node:http copies, never changes, them). */
  private readonly usual = new Map<View, http.RequestOptions>();
  requests = 0;
  inFlight = 0;
  maxInFlight = 0;

  constructor(private readonly opts: FetcherOptions) {
    opts.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  close(): void {
    this.opts.signal.removeEventListener('abort', this.onAbort);
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /** One GET, no redirect followed; rejects on network errors, timeouts and aborts. */
  async get(url: URL, view: View, cancel?: Cancel, accept = DEFAULT_ACCEPT): Promise<FetchResult> {
    const wait = this.slots.take();
    if (wait) await wait;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.requests++;
    try {
      if (cancel?.cancelled) throw abortError('no longer needed');
      if (this.opts.signal.aborted) throw abortError('aborted');
      return await this.request(url, view, accept, cancel);
    } finally {
      this.inFlight--;
      this.slots.give();
    }
  }

  private headers(view: View, accept: string): Record<string, string> {
    const h: Record<string, string> = {
      'user-agent': view === 'googlebot' ? GOOGLEBOT_UA : BROWSER_UA,
      accept,
      'accept-language': 'vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7',
      'accept-encoding': 'gzip, deflate, br',
    };
    if (view === 'search') h.referer = this.opts.searchReferer;
    if (view === 'browser') h.from = `${ROBOTS_TOKEN}-agent/${VERSION}`;
    return h;
  }

  private options(view: View, accept: string, isHttps: boolean): http.RequestOptions {
    const make = (): http.RequestOptions => ({
      method: 'GET',
      agent: isHttps ? this.agents.https : this.agents.http,
      lookup: specialUseLookup,
      headers: this.headers(view, accept),
      ...(isHttps ? { ca: this.opts.ca, rejectUnauthorized: true } : {}),
    });
    if (accept !== DEFAULT_ACCEPT || isHttps) return make();
    let o = this.usual.get(view);
    if (!o) this.usual.set(view, (o = make()));
    return o;
  }

  private request(url: URL, view: View, accept: string, cancel?: Cancel): Promise<FetchResult> {
    const isHttps = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (isHttps ? https : http).request(url, this.options(view, accept, isHttps), (res) => this.response(url, res).then(resolve, reject));
      // One timer per request, and the request in the sets that the site's signal and the page's Cancel empty.
      const onTimeout = setTimeout(() => req.destroy(Object.assign(new Error(`no complete answer within ${this.opts.timeoutMs} ms`), { code: 'ETIMEDOUT' })), this.opts.timeoutMs);
      this.live.add(req);
      cancel?.live.add(req);
      const done = () => {
        clearTimeout(onTimeout);
        this.live.delete(req);
        cancel?.live.delete(req);
      };
      req.on('close', done);
      req.on('error', (err) => {
        done();
        reject(err);
      });
      req.end();
    });
  }

  private response(url: URL, res: http.IncomingMessage): Promise<FetchResult> {
    const status = res.statusCode ?? 0;
    const location = typeof res.headers.location === 'string' ? res.headers.location : undefined;
    const contentType = String(res.headers['content-type'] ?? '').toLowerCase();
    // A redirect's body is never read: nothing in it is shown.
    if (status >= 300 && status < 400) {
      res.resume();
      return new Promise((resolve, reject) => {
        res.on('end', () => resolve({ url, status, location, contentType, body: Buffer.alloc(0), truncated: false }));
        res.on('error', reject);
      });
    }
    return readBody(res, String(res.headers['content-encoding'] ?? ''), this.opts.maxBytes).then(({ body, truncated }) => ({ url, status, location, contentType, body, truncated }));
  }
}

/** The decoded body up to `max` bytes; past it the response is abandoned (and its connection closed). */
function readBody(res: http.IncomingMessage, encoding: string, max: number): Promise<{ body: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    let stream: NodeJS.ReadableStream = res;
    const enc = encoding.trim().toLowerCase();
    if (enc === 'gzip' || enc === 'x-gzip') stream = res.pipe(zlib.createGunzip());
    else if (enc === 'deflate') stream = res.pipe(zlib.createInflate());
    else if (enc === 'br') stream = res.pipe(zlib.createBrotliDecompress());
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (truncated: boolean) => {
      if (done) return;
      done = true;
      resolve({ body: Buffer.concat(chunks, size), truncated });
    };
    stream.on('data', (chunk: Buffer) => {
      if (done) return;
      const room = max - size;
      if (chunk.length >= room) {
        chunks.push(chunk.subarray(0, room));
        size += room;
        finish(true);
        res.destroy();
        if (stream !== res) (stream as zlib.Gunzip).destroy();
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    stream.on('end', () => finish(false));
    stream.on('error', (err: Error) => (done ? undefined : ((done = true), reject(err))));
    res.on('error', (err: Error) => (done ? undefined : ((done = true), reject(err))));
    res.on('aborted', () => (done ? undefined : ((done = true), reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })))));
  });
}

/** Text of an HTML body in its declared charset (header, then <meta>), UTF-8 otherwise. */
export function decodeHtml(body: Buffer, contentType: string): string {
  let charset = /charset\s*=\s*["']?([\w-]+)/i.exec(contentType)?.[1];
  if (!charset) {
    const head = body.subarray(0, 2048).toString('latin1');
    charset = /<meta[^>]{0,200}?charset\s*=\s*["']?([\w-]+)/i.exec(head)?.[1];
  }
  if (!charset || UTF8_LABELS.has(charset.toLowerCase())) return UTF8.decode(body);
  try {
    return new TextDecoder(charset).decode(body);
  } catch {
    return UTF8.decode(body);
  }
}

/** Most pages are UTF-8: one decoder for all of them (decode() without `stream` keeps no state). */
const UTF8 = new TextDecoder('utf-8');
const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8']);

/** Whether a response is an HTML page (by its type, or by its first bytes when it has none). */
export function isHtml(r: FetchResult): boolean {
  if (r.contentType) return r.contentType.includes('text/html') || r.contentType.includes('application/xhtml');
  const start = r.body.subarray(0, 512).toString('latin1').trimStart().toLowerCase();
  return start.startsWith('<!doctype html') || start.startsWith('<html');
}
