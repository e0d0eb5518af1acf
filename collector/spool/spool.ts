// The collector's disk spool: accepted samples wait here (durable before the agent's 2xx) while
// InfluxDB is down or slow, and are replayed in order when it is back.
import { SegmentLog } from '../../lib/segment-log.ts';
import { InfluxWriteError } from '../influx/writer.ts';

export interface SpoolLog {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  /** Where replayed batches go (InfluxDB /write). */
  write: (lines: Buffer[]) => Promise<void>;
  log?: SpoolLog;
  onWriteError?: () => void;
  /**
   * InfluxDB refused a replayed batch for good (400): keep it somewhere (the dead letter) before the
   * spool lets it go. Throwing keeps the batch in the spool, to be tried again.
   */
  onRefused?: (lines: Buffer[], samples: number, err: InfluxWriteError) => void;
  /** Replay batch bounds: samples (lines) and bytes per InfluxDB write. */
  batchSamples?: number;
  batchBytes?: number;
  minRetryMs?: number;
  maxRetryMs?: number;
}

export class SpoolFullError extends Error {}

interface Pending {
  data: Buffer;
  weight: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The collector's spool: accepted samples as line protocol, on disk before the agent gets its 2xx,
 * replayed in order when InfluxDB is back. Concurrent appends share one write + fdatasync (group
 * commit). Replay removes a batch only after InfluxDB acknowledged it, so a kill -9 while replaying
 * writes some points twice at worst, which InfluxDB absorbs (same series + timestamp overwrite).
 */
export class Spool {
  private readonly queue: SegmentLog;
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private replaying = false;
  private stopped = false;
  private wake?: () => void;
  private replayLoop?: Promise<void>;
  replayedSamples = 0;

  constructor(private readonly opts: SpoolOptions) {
    this.queue = new SegmentLog({
      dir: opts.dir,
      // The spool never drops: it refuses (SpoolFullError) before going over its budget.
      maxBytes: Number.MAX_SAFE_INTEGER,
      segmentBytes: Math.max(1024 * 1024, Math.min(16 * 1024 * 1024, Math.floor(opts.maxBytes / 16))),
      warn: (m, f) => opts.log?.warn({ ...f }, `spool: ${m}`),
    });
    if (this.queue.units > 0) opts.log?.info({ samples: this.queue.units, bytes: this.queue.bytes }, 'spool: samples left from the last run will be replayed');
    this.replayLoop = this.replay();
  }

  /** True while anything is spooled or being spooled: new samples must queue behind it to keep order. */
  get active(): boolean {
    return this.queue.units > 0 || this.pending.length > 0;
  }

  stats(): { samples: number; bytes: number; full: boolean } {
    let pendingSamples = 0;
    for (const p of this.pending) pendingSamples += p.weight;
    return { samples: this.queue.units + pendingSamples, bytes: this.queue.bytes + this.pendingBytes, full: this.queue.diskBytes + this.pendingBytes >= this.opts.maxBytes };
  }

  /** Durable when it resolves. Throws SpoolFullError past the budget (the agent keeps the samples). */
  append(lines: string, samples: number): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('spool closed'));
    const data = Buffer.from(lines, 'utf8');
    if (this.queue.diskBytes + this.pendingBytes + data.length > this.opts.maxBytes) {
      return Promise.reject(new SpoolFullError(`spool full (${this.opts.maxBytes} bytes)`));
    }
    this.pendingBytes += data.length;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ data, weight: samples, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.flushScheduled = false;
    try {
      this.queue.append(batch);
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
      return;
    }
    for (const p of batch) p.resolve();
    this.wake?.();
  }

  private async replay(): Promise<void> {
    const minRetry = this.opts.minRetryMs ?? 500;
    const maxRetry = this.opts.maxRetryMs ?? 5000;
    let retry = minRetry;
    while (!this.stopped) {
      const records = this.queue.units > 0 ? this.queue.read(1000, this.opts.batchBytes ?? 4 * 1024 * 1024, this.opts.batchSamples ?? 5000) : [];
      if (records.length === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const weight = records.reduce((n, r) => n + r.weight, 0);
      this.replaying = true;
      try {
        await this.opts.write(records.map((r) => r.data));
        retry = minRetry;
      } catch (err) {
        this.opts.onWriteError?.();
        if (!(err instanceof InfluxWriteError && err.permanent)) {
          this.opts.log?.warn({ err: (err as Error).message, spooled: this.queue.units }, 'spool: InfluxDB still unavailable; will retry');
          await this.sleep(retry);
          retry = Math.min(maxRetry, retry * 2);
          continue;
        }
        // InfluxDB wrote what it could and refused the rest; the same bytes would be refused forever,
        // so they leave the spool, but only once they are kept elsewhere.
        try {
          if (this.opts.onRefused) this.opts.onRefused(records.map((r) => r.data), weight, err);
          else this.opts.log?.error({ err: err.message, samples: weight }, 'spool: InfluxDB refused spooled points; skipping them');
        } catch (keepErr) {
          this.opts.log?.error({ err: (keepErr as Error).message, samples: weight }, 'spool: cannot keep points InfluxDB refused; they stay in the spool');
          await this.sleep(retry);
          retry = Math.min(maxRetry, retry * 2);
          continue;
        }
      } finally {
        this.replaying = false;
      }
      if (this.stopped) break;
      this.queue.ackTo(records.at(-1)!.end);
      this.replayedSamples += weight;
      if (this.queue.units === 0) this.opts.log?.info({ replayed: this.replayedSamples }, 'spool: drained, writing to InfluxDB directly again');
    }
  }

  private sleep(ms: number): Promise<void> {
    // close() may have come while a write was in flight: its wake-up has been spent already.
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        if (this.stopped) {
          clearTimeout(t);
          resolve();
        }
      };
    });
  }

  /** Stop replaying (an in-flight write is waited for) and release the directory. */
  async close(): Promise<void> {
    if (this.stopped) return;
    if (this.flushScheduled) this.flush();
    this.stopped = true;
    this.wake?.();
    await this.replayLoop;
    this.queue.close();
  }

  get isReplaying(): boolean {
    return this.replaying;
  }
}
