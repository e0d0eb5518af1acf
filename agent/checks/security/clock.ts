// The clock offset security check: the host's clock against the collector's Date header.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { HostEnv } from './env.ts';
import { error, fail, notApplicable, pass, type Finding, type Thresholds } from './finding.ts';

export interface ClockSample {
  /** Reference clock minus local clock, in milliseconds. */
  offsetMs: number;
  /** Half the round trip plus the Date header's one-second resolution. */
  uncertaintyMs: number;
}

/**
 * Offset of the local clock against the `Date` header of an HTTP(S) server (the collector). The
 * header has one-second resolution, so the server time is taken as the middle of that second and
 * compared with the middle of the request.
 */
export function clockSample(sentAt: number, receivedAt: number, dateHeader: string): ClockSample | undefined {
  const server = Date.parse(dateHeader);
  if (!Number.isFinite(server)) return undefined;
  const local = (sentAt + receivedAt) / 2;
  return { offsetMs: server + 500 - local, uncertaintyMs: (receivedAt - sentAt) / 2 + 500 };
}

export function fetchDateHeader(url: string, opts: { ca?: string; timeoutMs: number; signal: AbortSignal }): Promise<{ sentAt: number; receivedAt: number; date: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const sentAt = Date.now();
    const req = mod.request(
      u,
      { method: 'GET', timeout: opts.timeoutMs, signal: opts.signal, ...(u.protocol === 'https:' && opts.ca ? { ca: readFileSync(opts.ca, 'utf8') } : {}) },
      (res) => {
        const receivedAt = Date.now();
        res.resume();
        req.destroy();
        const date = res.headers.date;
        if (!date) reject(new Error(`${u.origin} sent no Date header`));
        else resolve({ sentAt, receivedAt, date });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${u.origin} within ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function checkClockOffset(env: HostEnv, limits: Thresholds): Promise<Finding> {
  const ref = limits.clockReference;
  if (!ref) return notApplicable('no clock reference configured (set clockReference to the collector URL)');
  let got;
  try {
    got = await fetchDateHeader(ref.url, { ca: ref.ca, timeoutMs: 10_000, signal: env.signal });
  } catch (err) {
    return error(`cannot read the time of ${new URL(ref.url).origin}: ${(err as Error).message}`);
  }
  const s = clockSample(got.sentAt, got.receivedAt, got.date);
  if (!s) return error(`unreadable Date header ${JSON.stringify(got.date)} from ${new URL(ref.url).origin}`);
  const text = `offset ${s.offsetMs >= 0 ? '+' : ''}${secs(s.offsetMs)} (±${secs(s.uncertaintyMs)}) against ${new URL(ref.url).origin}`;
  // Only a difference larger than the measurement's own uncertainty counts against the host.
  if (Math.abs(s.offsetMs) - s.uncertaintyMs > limits.maxClockOffsetMs) return fail(`${text}, more than ${secs(limits.maxClockOffsetMs)}`);
  return pass(text);
}
