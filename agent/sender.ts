// Drains the outbox to the collector: gzip batches in order, deleting only what was acknowledged,
// with backoff, Retry-After, 413 batch sizing and token rotation.
import { LIMITS, PATHS, ROTATED_TOKEN_HEADER, VERSION, AGENT_VERSION_HEADER, type IngestResponse } from '../protocol/index.ts';
import type { CollectorClient } from './collector-client.ts';
import type { Logger } from './log.ts';
import type { Outbox } from './outbox.ts';
import { writeToken } from './token-store.ts';

export interface SenderOptions {
  client: CollectorClient;
  outbox: Outbox;
  log: Logger;
  tokenFile: string;
  token: string;
  /** How often to look for queued samples when idle. */
  intervalMs: number;
  /** Most samples in one request; the sender goes below it after a 413 and grows back to it. */
  batchSamples?: number;
  batchBytes?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Wait after a nudge for more samples before sending (default 250 ms). */
  gatherMs?: number;
}

/** How long a nudged sender waits for the samples of other checks ending at the same moment. */
const GATHER_MS = 250;

/** Consecutive accepted requests after which a batch size cut by a 413 doubles again. */
const GROW_AFTER_SENDS = 4;

/**
 * Drains the outbox to the collector in order. Deletes only what the collector acknowledged;
 * backs off exponentially with jitter; honours 429 Retry-After; picks up a rotated token.
 */
export class Sender {
  private token: string;
  private stopped = false;
  private wake?: () => void;
  private failures = 0;
  private loop?: Promise<void>;
  /** The configured ceiling; `batchSamples` is this sender's own current size, never written back to the options. */
  private readonly maxBatchSamples: number;
  private batchSamples: number;
  private sendsSinceCut = 0;
  lastError?: string;
  sentSamples = 0;

  constructor(private readonly opts: SenderOptions) {
    this.token = opts.token;
    this.maxBatchSamples = opts.batchSamples ?? LIMITS.samplesPerBatch;
    this.batchSamples = this.maxBatchSamples;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Ask for an early send (after a check run). */
  nudge(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /** Send until the outbox is empty or the collector refuses; returns the samples acknowledged. */
  async flush(): Promise<number> {
    let total = 0;
    for (;;) {
      const r = await this.sendOnce();
      if (r.kind !== 'sent') return total;
      total += r.count;
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const r = await this.sendOnce();
      if (this.stopped) break;
      if (r.kind === 'sent') continue;
      const delay = r.kind === 'empty' ? this.opts.intervalMs : r.delayMs;
      const nudged = await this.sleep(delay, r.kind === 'empty');
      // Checks whose intervals line up end within moments of each other: a short wait after the first
      // nudge lets their samples go in one request (and one acknowledgement written to disk), not one each.
      if (nudged && !this.stopped) await this.sleep(this.opts.gatherMs ?? GATHER_MS, false);
    }
  }

  /** Resolves true when woken early by nudge() (or stop()), false when the time ran out. */
  private sleep(ms: number, wakeable: boolean): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => done(false), ms);
      function done(early: boolean) {
        clearTimeout(t);
        resolve(early);
      }
      // Backoff is not cut short by new samples, only by stop().
      this.wake = wakeable ? () => done(true) : () => (this.stopped ? done(true) : undefined);
    });
  }

  private backoff(): number {
    const min = this.opts.minBackoffMs ?? 1000;
    const max = this.opts.maxBackoffMs ?? 300_000;
    const exp = Math.min(max, min * 2 ** Math.min(this.failures, 20));
    this.failures++;
    return Math.round(exp / 2 + Math.random() * (exp / 2));
  }

  private async sendOnce(): Promise<{ kind: 'sent'; count: number } | { kind: 'empty' } | { kind: 'retry'; delayMs: number }> {
    const batch = this.opts.outbox.peekJson(this.batchSamples, this.opts.batchBytes ?? 4_000_000);
    if (batch.length === 0) return { kind: 'empty' };
    let res;
    try {
      res = await this.opts.client.postJsonText(PATHS.samples, samplesBody(batch), {
        token: this.token,
        gzip: true,
        headers: { [AGENT_VERSION_HEADER]: VERSION },
      });
    } catch (err) {
      this.note(`collector unreachable: ${(err as Error).message}`);
      return { kind: 'retry', delayMs: this.backoff() };
    }
    const rotated = res.headers[ROTATED_TOKEN_HEADER];
    if (typeof rotated === 'string' && rotated.length > 0 && rotated !== this.token) {
      writeToken(this.opts.tokenFile, rotated);
      this.token = rotated;
      this.opts.log.info('collector rotated this agent token; the new one is stored', { tokenFile: this.opts.tokenFile });
    }
    if (res.status === 200 || res.status === 204 || res.status === 207 || (res.status === 400 && isIngest(res.body))) {
      const body = res.body as IngestResponse | undefined;
      if (body?.rejected?.length) {
        // A refused sample will be refused again: acknowledge it and say why, once.
        this.opts.log.warn('collector refused samples', { count: body.rejected.length, first: body.rejected.slice(0, 3) });
      }
      this.opts.outbox.ack(batch.length);
      this.sentSamples += batch.length;
      this.failures = 0;
      this.lastError = undefined;
      this.growBatch();
      return { kind: 'sent', count: batch.length };
    }
    if (res.status === 429 || (res.status === 503 && res.headers['retry-after'] !== undefined)) {
      // 429: this agent's rate; 503: InfluxDB and the collector's spool are both unavailable, or the
      // collector cannot reach its state database. The samples stay in the outbox either way.
      const after = Number(res.headers['retry-after']);
      const delayMs = Number.isFinite(after) && after >= 0 ? Math.min(after * 1000, 3_600_000) : this.backoff();
      this.note(`collector asks to wait (${res.status}), retrying in ${Math.round(delayMs / 1000)} s`);
      return { kind: 'retry', delayMs };
    }
    if (res.status === 401 || res.status === 403) {
      this.note(`collector refused the agent token (${res.status}); samples are kept. Re-enrol with: canhgac-agent enroll --code CODE`);
      return { kind: 'retry', delayMs: Math.max(60_000, this.backoff()) };
    }
    if (res.status === 413 && batch.length > 1) {
      this.batchSamples = Math.max(1, Math.floor(batch.length / 2));
      this.sendsSinceCut = 0;
      return { kind: 'retry', delayMs: 0 };
    }
    if (res.status >= 400 && res.status < 500) {
      this.opts.log.error('collector refused a whole batch; dropping it', { status: res.status, body: res.body, samples: batch.length });
      this.opts.outbox.ack(batch.length);
      return { kind: 'sent', count: 0 };
    }
    this.note(`collector answered ${res.status}; retrying`);
    return { kind: 'retry', delayMs: this.backoff() };
  }

  /**
   * A 413 may have been one batch of unusually large samples: after a few accepted requests the size
   * doubles back toward the configured one. A collector whose limit really is lower costs one 413
   * every few requests, and nothing is lost.
   */
  private growBatch(): void {
    if (this.batchSamples >= this.maxBatchSamples) return;
    if (++this.sendsSinceCut < GROW_AFTER_SENDS) return;
    this.batchSamples = Math.min(this.maxBatchSamples, this.batchSamples * 2);
    this.sendsSinceCut = 0;
  }

  private note(message: string): void {
    if (this.lastError !== message) this.opts.log.warn(message);
    this.lastError = message;
  }
}

const BODY_HEAD = Buffer.from('{"samples":[');
const BODY_COMMA = Buffer.from(',');
const BODY_TAIL = Buffer.from(']}');

/** `{"samples":[…]}` from the samples' stored JSON text, as it is. */
function samplesBody(items: Buffer[]): Buffer {
  const parts: Buffer[] = [BODY_HEAD];
  items.forEach((item, i) => {
    if (i > 0) parts.push(BODY_COMMA);
    parts.push(item);
  });
  parts.push(BODY_TAIL);
  return Buffer.concat(parts);
}

function isIngest(body: unknown): boolean {
  return typeof body === 'object' && body !== null && Array.isArray((body as IngestResponse).rejected);
}
