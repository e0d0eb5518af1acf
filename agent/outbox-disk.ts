// The outbox `run` uses: samples survive a restart or a long collector outage on disk, in a bounded
// SegmentLog, so nothing measured is lost before the collector acknowledges it.
import type { WireSample } from '../protocol/index.ts';
import { SegmentLog, type LogRecord } from '../lib/segment-log.ts';
import type { Logger } from './log.ts';
import type { Outbox, OutboxStats } from './outbox.ts';

export interface DiskOutboxOptions {
  dir: string;
  /** Disk budget; past it the oldest samples are dropped (a segment at a time) and counted. */
  maxBytes: number;
  /** Samples older than this are dropped (and counted) instead of sent: the collector would refuse them. */
  maxAgeMs: number;
  log?: Logger;
  segmentBytes?: number;
  now?: () => number;
}

/**
 * The agent's durable outbox: every sample is one JSON record in a SegmentLog (append-only segment
 * files, length + CRC framing, fdatasync per append batch, head persisted per acknowledgement).
 * Nothing is held in memory but the positions of the last peek, so memory stays flat whatever the backlog.
 */
export class DiskOutbox implements Outbox {
  private readonly queue: SegmentLog;
  private lastPeek: LogRecord[] = [];
  private readonly now: () => number;
  /** Samples lost to a failing disk (full, read-only): the checks keep running. */
  private unwritable = 0;

  constructor(private readonly opts: DiskOutboxOptions) {
    this.now = opts.now ?? Date.now;
    this.queue = new SegmentLog({
      dir: opts.dir,
      maxBytes: opts.maxBytes,
      segmentBytes: opts.segmentBytes,
      warn: (m, f) => opts.log?.warn(`outbox: ${m}`, f),
    });
  }

  append(samples: WireSample[]): void {
    if (samples.length === 0) return;
    try {
      const dropped = this.queue.append(samples.map((s) => ({ data: Buffer.from(JSON.stringify(s)) })));
      if (dropped > 0) this.opts.log?.warn('outbox full: oldest samples dropped', { dropped, maxBytes: this.opts.maxBytes });
    } catch (err) {
      this.unwritable += samples.length;
      this.opts.log?.error('outbox: cannot write samples to disk; they are lost', { dir: this.opts.dir, count: samples.length, error: err });
    }
  }

  peek(maxSamples: number, maxBytes: number): WireSample[] {
    return this.peekRecords(maxSamples, maxBytes).map((r) => JSON.parse(r.data.toString('utf8')) as WireSample);
  }

  peekJson(maxSamples: number, maxBytes: number): Buffer[] {
    return this.peekRecords(maxSamples, maxBytes).map((r) => r.data);
  }

  private peekRecords(maxSamples: number, maxBytes: number): LogRecord[] {
    for (let guard = 0; guard < 1000; guard++) {
      const records = this.queue.read(maxSamples, maxBytes);
      // Too old for the collector's window: drop the leading stale ones here, counted, and look again.
      const oldest = this.now() - this.opts.maxAgeMs;
      let stale = 0;
      while (stale < records.length && timeOf(records[stale]) < oldest) stale++;
      if (stale === 0) {
        this.lastPeek = records;
        return records;
      }
      this.queue.drop(records[stale - 1].end, stale);
      this.opts.log?.warn('outbox: samples older than outbox.maxAge dropped', { dropped: stale });
    }
    this.lastPeek = [];
    return [];
  }

  ack(count: number): void {
    if (count <= 0 || this.lastPeek.length === 0) return;
    this.queue.ackTo(this.lastPeek[Math.min(count, this.lastPeek.length) - 1].end);
    this.lastPeek = this.lastPeek.slice(count);
  }

  stats(): OutboxStats {
    return { samples: this.queue.units, bytes: this.queue.bytes, dropped: this.queue.dropped + this.unwritable };
  }

  close(): void {
    this.queue.close();
  }
}

function timeOf(record: LogRecord): number {
  return Date.parse((JSON.parse(record.data.toString('utf8')) as WireSample).time);
}
