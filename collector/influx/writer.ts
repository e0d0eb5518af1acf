// The collector's InfluxDB write path: line protocol POSTed to /write over keep-alive node:http,
// with errors told apart as retryable or permanent for the spool.
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { toLines } from './line-protocol.ts';
import type { WireSample } from '../../protocol/index.ts';

export interface InfluxTarget {
  url: string;
  database: string;
  retentionPolicy?: string;
  username?: string;
  passwordFile?: string;
}

export class InfluxWriteError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** 400 from InfluxDB (bad or partially written points): retrying the same points will not help. */
    readonly permanent = false,
    /** Points InfluxDB said it dropped (`dropped=N` of a partial write), when it said. */
    readonly dropped?: number,
  ) {
    super(message);
    this.name = 'InfluxWriteError';
  }
}

/** Line protocol as one string, or as parts written one after another with a newline between them. */
export type LineBody = string | Buffer | readonly (string | Buffer)[];

/**
 * Writes line protocol straight to /write (ms precision); the `influx` package handles admin.
 * node:http with keep-alive rather than fetch: the parts of a coalesced write go to the socket as they
 * are (chunked), without first being joined, encoded and copied into one buffer.
 */
export class InfluxWriter {
  private readonly writeUrl: URL;
  private readonly auth?: string;
  private readonly agent: HttpAgent;

  constructor(private readonly target: InfluxTarget, private readonly timeoutMs = 15_000) {
    const u = new URL('/write', target.url);
    u.searchParams.set('db', target.database);
    u.searchParams.set('precision', 'ms');
    if (target.retentionPolicy) u.searchParams.set('rp', target.retentionPolicy);
    this.writeUrl = u;
    this.agent = u.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, maxSockets: 8 }) : new HttpAgent({ keepAlive: true, maxSockets: 8 });
    if (target.username) {
      const password = target.passwordFile ? readFileSync(target.passwordFile, 'utf8').trim() : '';
      this.auth = `Basic ${Buffer.from(`${target.username}:${password}`).toString('base64')}`;
    }
  }

  async write(samples: WireSample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.writeLines(toLines(samples));
  }

  writeLines(body: LineBody, timeoutMs = this.timeoutMs): Promise<void> {
    const parts = typeof body === 'string' || Buffer.isBuffer(body) ? [body] : body;
    const send = this.writeUrl.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (err: InfluxWriteError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(err);
      };
      const req = send(
        this.writeUrl,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'text/plain; charset=utf-8', ...(this.auth ? { authorization: this.auth } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size < 4096) chunks.push(c);
            size += c.length;
          });
          res.on('error', (err) => fail(new InfluxWriteError(`InfluxDB unreachable at ${this.target.url}: ${err.message}`)));
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            if (res.statusCode === 204) return resolve();
            const text = Buffer.concat(chunks).toString('utf8');
            // The count ends the message, after a tag value (which may itself contain "dropped=").
            const dropped = [...text.matchAll(/dropped=(\d+)/g)].at(-1);
            reject(new InfluxWriteError(`InfluxDB write failed (${res.statusCode}): ${text.slice(0, 300)}`, res.statusCode, res.statusCode === 400, dropped ? Number(dropped[1]) : undefined));
          });
        },
      );
      const timer = setTimeout(() => fail(new InfluxWriteError(`InfluxDB unreachable at ${this.target.url}: no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('error', (err) => fail(new InfluxWriteError(`InfluxDB unreachable at ${this.target.url}: ${err.message}`)));
      parts.forEach((part, i) => {
        if (i > 0) req.write('\n');
        req.write(part);
      });
      req.end();
    });
  }

  /** Closes idle keep-alive connections (on shutdown, so the process can exit at once). */
  close(): void {
    this.agent.destroy();
  }
}
