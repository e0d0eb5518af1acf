// One InfluxDB node's replay loop: reads the spool from that node's own position, writes in order,
// retries with backoff while the node is down, and sends what it refuses outright to the dead letter.
import type { LogRecord } from '../../lib/segment-log.ts';
import { InfluxWriteError } from '../influx/writer.ts';

export interface SpoolLog {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

/** Where one node reads: its next batch, and what became of it. */
export interface ReplaySource {
  /** The next batch from the node's position (empty when it has everything). */
  read(): LogRecord[];
  /** The batch last read was written (or kept in the dead letter): the node's position moves past it. */
  delivered(records: LogRecord[]): void;
  /** Weight still to be written to this node. */
  remaining(): number;
  /** When the node last had everything, if known (kept across restarts). */
  caughtUpAt?(): number | undefined;
}

export interface ReplayerOptions {
  /** The node's URL; undefined for the one-node spool (its log lines stay as they always were). */
  node?: string;
  source: ReplaySource;
  write: (lines: Buffer[]) => Promise<void>;
  /** Nothing is written before this resolves (the node's database and retention policies exist). */
  ready?: Promise<void>;
  log?: SpoolLog;
  onWriteError?: () => void;
  /** InfluxDB refused a batch for good (400): keep it elsewhere before it is let go; throwing keeps it. */
  onRefused?: (lines: Buffer[], samples: number, err: InfluxWriteError) => void;
  minRetryMs?: number;
  maxRetryMs?: number;
  /** The node has everything again after failing writes since `since` (ms): what it missed meanwhile can be made good. */
  onCaughtUp?: (since: number) => void;
}

/**
 * A node's replay: one write in flight at a time, so the node receives the spool in order. A batch
 * leaves the node's queue only once the node acknowledged it (or it is in the dead letter), so a
 * kill -9 at worst writes one batch twice, which InfluxDB absorbs (same series and timestamp).
 */
export class Replayer {
  replayedSamples = 0;
  replaying = false;
  /** The last write failed (the node is down, slow or refusing); cleared by the next success. */
  failing = false;
  lastError?: string;
  lastErrorAt?: number;
  lastWriteAt?: number;
  /** When the first write failed since the node last had everything. */
  private behindSince?: number;
  private stopped = false;
  private wakeUp?: () => void;
  private readonly stopSignal: Promise<void>;
  private signalStop!: () => void;
  private readonly loop: Promise<void>;

  constructor(private readonly o: ReplayerOptions) {
    this.stopSignal = new Promise((resolve) => (this.signalStop = resolve));
    this.loop = this.run();
  }

  /** New records were appended. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Stop (an in-flight write is waited for). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    this.wakeUp?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    // A backlog at start (left from the last run, or the node away since): behind since it last had everything.
    if (this.o.source.remaining() > 0) this.behindSince = this.o.source.caughtUpAt?.() ?? Date.now();
    if (this.o.ready) await Promise.race([this.o.ready, this.stopSignal]);
    const minRetry = this.o.minRetryMs ?? 500;
    const maxRetry = this.o.maxRetryMs ?? 5000;
    let retry = minRetry;
    const fields = this.o.node ? { node: this.o.node } : {};
    while (!this.stopped) {
      const records = this.o.source.read();
      if (records.length === 0) {
        await new Promise<void>((resolve) => (this.wakeUp = resolve));
        this.wakeUp = undefined;
        continue;
      }
      const outcome = await this.writeBatch(records);
      if (outcome === 'retry') {
        this.o.log?.warn({ ...fields, err: this.lastError, spooled: this.o.source.remaining() }, 'spool: InfluxDB still unavailable; will retry');
        await this.sleep(retry);
        retry = Math.min(maxRetry, retry * 2);
        continue;
      }
      retry = minRetry;
      this.o.source.delivered(records);
      if (this.o.source.remaining() === 0) {
        this.o.log?.info({ ...fields, replayed: this.replayedSamples }, this.o.node ? 'spool: node caught up' : 'spool: drained, writing to InfluxDB directly again');
        if (this.behindSince !== undefined) this.o.onCaughtUp?.(this.behindSince);
        this.behindSince = undefined;
      }
    }
  }

  /** One write: 'done' (written, or refused and kept elsewhere) or 'retry'. */
  private async writeBatch(records: LogRecord[]): Promise<'done' | 'retry'> {
    const weight = records.reduce((n, r) => n + r.weight, 0);
    const lines = records.map((r) => r.data);
    this.replaying = true;
    try {
      await this.o.write(lines);
      this.replayedSamples += weight;
      this.failing = false;
      this.lastWriteAt = Date.now();
      return 'done';
    } catch (err) {
      this.o.onWriteError?.();
      this.failing = true;
      this.lastError = (err as Error).message;
      this.lastErrorAt = Date.now();
      this.behindSince ??= this.lastErrorAt;
      if (!(err instanceof InfluxWriteError && err.permanent)) return 'retry';
      // The node wrote what it could and refused the rest; the same bytes would be refused forever,
      // so they leave this node's queue, but only once they are kept elsewhere.
      try {
        if (this.o.onRefused) this.o.onRefused(lines, weight, err);
        else this.o.log?.error({ node: this.o.node, err: err.message, samples: weight }, 'spool: InfluxDB refused spooled points; skipping them');
        return 'done';
      } catch (keepErr) {
        this.lastError = `cannot keep points InfluxDB refused: ${(keepErr as Error).message}`;
        this.o.log?.error({ node: this.o.node, err: (keepErr as Error).message, samples: weight }, 'spool: cannot keep points InfluxDB refused; they stay in the spool');
        return 'retry';
      }
    } finally {
      this.replaying = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    // stop() may have come while a write was in flight: its wake-up has been spent already.
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wakeUp = () => {
        if (this.stopped) {
          clearTimeout(t);
          resolve();
        }
      };
    });
  }
}
