import { readFileSync } from 'node:fs';
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
  ) {
    super(message);
    this.name = 'InfluxWriteError';
  }
}

/** Writes line protocol straight to /write (ms precision); the `influx` package handles admin. */
export class InfluxWriter {
  private readonly writeUrl: string;
  private readonly auth?: string;

  constructor(private readonly target: InfluxTarget, private readonly timeoutMs = 15_000) {
    const u = new URL('/write', target.url);
    u.searchParams.set('db', target.database);
    u.searchParams.set('precision', 'ms');
    if (target.retentionPolicy) u.searchParams.set('rp', target.retentionPolicy);
    this.writeUrl = u.toString();
    if (target.username) {
      const password = target.passwordFile ? readFileSync(target.passwordFile, 'utf8').trim() : '';
      this.auth = `Basic ${Buffer.from(`${target.username}:${password}`).toString('base64')}`;
    }
  }

  async write(samples: WireSample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.writeLines(toLines(samples));
  }

  async writeLines(body: string, timeoutMs = this.timeoutMs): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.writeUrl, {
        method: 'POST',
        body,
        headers: { 'content-type': 'text/plain; charset=utf-8', ...(this.auth ? { authorization: this.auth } : {}) },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new InfluxWriteError(`InfluxDB unreachable at ${this.target.url}: ${(err as Error).message}`);
    }
    if (res.status === 204) return;
    const text = await res.text().catch(() => '');
    throw new InfluxWriteError(`InfluxDB write failed (${res.status}): ${text.slice(0, 300)}`, res.status, res.status === 400);
  }
}
