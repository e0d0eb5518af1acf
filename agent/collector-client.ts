// The agent's only HTTP client, to the collector alone: HTTPS with an optional private CA (plain HTTP
// on loopback), keep-alive, gzip bodies; a network failure becomes CollectorUnreachable, not a crash.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

const gzip = promisify(gzipCallback);
import { collectorUrlIssues } from './config.ts';

/** The largest answer read from the collector: a profile is at most 256 KiB; a taken-over collector must not fill the agent's memory. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export interface CollectorResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export class CollectorUnreachable extends Error {
  readonly code?: string;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'CollectorUnreachable';
    this.code = code;
  }
}

/** Talks to the collector: HTTPS (or HTTP on loopback), optional private CA, gzip bodies. */
export class CollectorClient {
  private readonly base: URL;
  private readonly agent: http.Agent;

  constructor(url: string, opts: { ca?: string; timeoutMs?: number } = {}) {
    const issues = collectorUrlIssues(url);
    if (issues.length > 0) throw new Error(issues[0].message);
    this.base = new URL(url);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 2, ca: opts.ca ? readCa(opts.ca) : undefined })
        : new http.Agent({ keepAlive: true, maxSockets: 2 });
  }

  private readonly timeoutMs: number;

  get origin(): string {
    return this.base.origin;
  }

  async postJson(path: string, payload: unknown, opts: { token?: string; gzip?: boolean; headers?: Record<string, string> } = {}): Promise<CollectorResponse> {
    return this.postJsonText(path, Buffer.from(JSON.stringify(payload)), opts);
  }

  /** POST of JSON already serialised. Compressed on the thread pool: a large batch must not stall the checks' timers. */
  async postJsonText(path: string, raw: Buffer, opts: { token?: string; gzip?: boolean; headers?: Record<string, string> } = {}): Promise<CollectorResponse> {
    const body = opts.gzip ? await gzip(raw) : raw;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(body.length),
      ...opts.headers,
    };
    if (opts.gzip) headers['content-encoding'] = 'gzip';
    return this.request('POST', path, body, headers, opts.token);
  }

  /**
   * A GET; `timeoutMs` overrides the client's own (a long poll needs longer than its wait); `signal`
   * ends it, closing the connection, so a collector holding a poll sees the agent go.
   */
  async getJson(path: string, opts: { token?: string; headers?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<CollectorResponse> {
    return this.request('GET', path, undefined, { ...opts.headers }, opts.token, opts.timeoutMs, opts.signal);
  }

  private request(method: string, path: string, body: Buffer | undefined, headers: Record<string, string>, token?: string, timeoutMs = this.timeoutMs, signal?: AbortSignal): Promise<CollectorResponse> {
    if (token) headers.authorization = `Bearer ${token}`;
    const url = new URL(path, this.base);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<CollectorResponse>((resolve, reject) => {
      const req = mod.request(url, { method, headers, agent: this.agent, timeout: timeoutMs, signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) return void req.destroy(new Error(`the collector's answer is larger than ${MAX_RESPONSE_BYTES} bytes`));
          chunks.push(c);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            /* keep text */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
        res.on('error', (err) => reject(new CollectorUnreachable(err.message, (err as NodeJS.ErrnoException).code)));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer from ${url.origin} within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => reject(new CollectorUnreachable(`${url.origin}: ${err.message}`, (err as NodeJS.ErrnoException).code)));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read collector CA file ${file}: ${(err as Error).message}`);
  }
}
