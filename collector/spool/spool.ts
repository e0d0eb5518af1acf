// The collector's disk spool: accepted samples wait here (durable before the agent's 2xx) while
// InfluxDB is down or slow, or always with several nodes, and are written to each node in order.
import { SegmentLog } from '../../lib/segment-log.ts';
import type { InfluxWriteError } from '../influx/writer.ts';
import { CursorFile } from './cursors.ts';
import { Replayer, type ReplaySource, type SpoolLog } from './replayer.ts';
import { Replicas, type NodeLag } from './replicas.ts';

export type { SpoolLog } from './replayer.ts';

/** One InfluxDB node the spool writes to. */
export interface SpoolTarget {
  /** The node's URL (its cursor's name in cursors.json). */
  node: string;
  /** Where its batches go (InfluxDB /write). */
  write: (lines: Buffer[]) => Promise<void>;
  /** Nothing is written to the node before this resolves (its database exists). */
  ready?: Promise<void>;
  onWriteError?: () => void;
  /**
   * The node refused a batch for good (400): keep it somewhere (the dead letter) before the spool lets
   * it go for this node. Throwing keeps the batch, to be tried again.
   */
  onRefused?: (lines: Buffer[], samples: number, err: InfluxWriteError) => void;
  /** The node has everything again after failing since `since` (ms). */
  onCaughtUp?: (since: number) => void;
}

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  /** One node: the spool holds only what InfluxDB could not take at once. Several: every sample, a position per node. */
  targets: readonly SpoolTarget[];
  /** With several nodes: a node further behind than this gives up its oldest samples when the spool is full. */
  maxLagBytes?: number;
  log?: SpoolLog;
  /** Replay batch bounds: samples (lines) and bytes per InfluxDB write. */
  batchSamples?: number;
  batchBytes?: number;
  minRetryMs?: number;
  maxRetryMs?: number;
}

export class SpoolFullError extends Error {}

/** One node's state, for /readyz and collector_status. */
export interface NodeStatus extends NodeLag {
  node: string;
  /** The last write failed (down, slow or refusing) and has not succeeded since. */
  failing: boolean;
  lastError?: string;
  lastErrorAt?: number;
  lastWriteAt?: number;
  replayedSamples: number;
}

interface Pending {
  data: Buffer;
  weight: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The collector's spool: accepted samples as line protocol, on disk before the agent gets its 2xx.
 * Concurrent appends share one write + fdatasync (group commit). Each node has a replayer of its own,
 * so a node that is down or slow holds back neither the others nor ingest, until the budget is spent.
 */
export class Spool {
  private readonly queue: SegmentLog;
  private readonly replicas?: Replicas;
  private readonly replayers: Replayer[] = [];
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private stopped = false;

  constructor(private readonly opts: SpoolOptions) {
    if (opts.targets.length === 0) throw new Error('spool: no InfluxDB node to write to');
    this.queue = new SegmentLog({
      dir: opts.dir,
      // The spool never drops on its own: it refuses (SpoolFullError) before going over its budget.
      maxBytes: Number.MAX_SAFE_INTEGER,
      segmentBytes: Math.max(1024 * 1024, Math.min(16 * 1024 * 1024, Math.floor(opts.maxBytes / 16))),
      warn: (m, f) => opts.log?.warn({ ...f }, `spool: ${m}`),
    });
    const batchBytes = opts.batchBytes ?? 4 * 1024 * 1024;
    const batchSamples = opts.batchSamples ?? 5000;
    if (this.queue.units > 0) opts.log?.info({ samples: this.queue.units, bytes: this.queue.bytes }, 'spool: samples left from the last run will be replayed');
    const several = opts.targets.length > 1;
    if (several) {
      const nodes = opts.targets.map((t) => t.node);
      this.replicas = new Replicas({ queue: this.queue, dir: opts.dir, nodes, maxLagBytes: opts.maxLagBytes ?? opts.maxBytes, batchBytes, batchSamples, log: opts.log });
    } else if (new CursorFile(opts.dir).remove()) {
      opts.log?.info({}, 'spool: one InfluxDB node now; the per-node positions of an earlier run are dropped (it resumes from the oldest spooled sample)');
    }
    for (const t of opts.targets) {
      const source: ReplaySource = this.replicas?.source(t.node) ?? {
        read: () => (this.queue.units > 0 ? this.queue.read(1000, batchBytes, batchSamples) : []),
        delivered: (records) => this.queue.ackTo(records.at(-1)!.end),
        remaining: () => this.queue.units,
      };
      const { write, ready, onWriteError, onRefused, onCaughtUp } = t;
      this.replayers.push(new Replayer({ node: several ? t.node : undefined, source, write, ready, onWriteError, onRefused, onCaughtUp, log: opts.log, minRetryMs: opts.minRetryMs, maxRetryMs: opts.maxRetryMs }));
    }
  }

  /** True while anything is spooled or being spooled: new samples must queue behind it to keep order. */
  get active(): boolean {
    return this.queue.units > 0 || this.pending.length > 0;
  }

  /**
   * Samples and bytes held for the node furthest behind; full when the budget is spent and no room can
   * be made (with several nodes a full spool still takes samples while an out-of-sync node gives way).
   */
  stats(): { samples: number; bytes: number; full: boolean } {
    let pendingSamples = 0;
    for (const p of this.pending) pendingSamples += p.weight;
    const spent = this.queue.diskBytes + this.pendingBytes >= this.opts.maxBytes;
    return { samples: this.queue.units + pendingSamples, bytes: this.queue.bytes + this.pendingBytes, full: spent && !(this.replicas?.canMakeRoom() ?? false) };
  }

  /** Each node's lag and state, in the order of the targets. */
  nodes(): NodeStatus[] {
    const pending = this.pending.reduce((n, p) => n + p.weight, 0);
    return this.opts.targets.map((t, i) => {
      const r = this.replayers[i];
      const lag: NodeLag = this.replicas?.lag(t.node) ?? { lagSamples: this.queue.units, lagBytes: this.queue.bytes, outOfSync: false, skippedSamples: 0 };
      return {
        node: t.node,
        ...lag,
        lagSamples: lag.lagSamples + pending,
        failing: r.failing,
        lastError: r.lastError,
        lastErrorAt: r.lastErrorAt,
        lastWriteAt: r.lastWriteAt,
        replayedSamples: r.replayedSamples,
      };
    });
  }

  /** Durable when it resolves. Throws SpoolFullError past the budget (the agent keeps the samples). */
  append(lines: string, samples: number): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('spool closed'));
    const data = Buffer.from(lines, 'utf8');
    const over = () => this.queue.diskBytes + this.pendingBytes + data.length > this.opts.maxBytes;
    if (over() && this.replicas) this.replicas.makeRoom(over);
    if (over()) return Promise.reject(new SpoolFullError(`spool full (${this.opts.maxBytes} bytes)`));
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
    this.replicas?.watchLag();
    for (const r of this.replayers) r.wake();
  }

  /** Stop replaying (in-flight writes are waited for) and release the directory. */
  async close(): Promise<void> {
    if (this.stopped) return;
    if (this.flushScheduled) this.flush();
    this.stopped = true;
    await Promise.all(this.replayers.map((r) => r.stop()));
    this.replicas?.save();
    this.queue.close();
  }

  get isReplaying(): boolean {
    return this.replayers.some((r) => r.replaying);
  }

  get replayedSamples(): number {
    return this.replayers.reduce((n, r) => n + r.replayedSamples, 0);
  }
}
