// Several InfluxDB nodes reading one spool: a position per node, segments deleted once every node has
// passed them, and the deliberate way out when one node is so far behind that the spool fills up.
import { comparePositions, type LogPosition, type LogRecord, type SegmentLog } from '../../lib/segment-log.ts';
import { CursorFile, type NodeCursor } from './cursors.ts';
import type { ReplaySource, SpoolLog } from './replayer.ts';

export interface ReplicasOptions {
  queue: SegmentLog;
  dir: string;
  nodes: readonly string[];
  /** A node more than this many bytes behind is out of sync: when the spool is full it gives up its oldest samples. */
  maxLagBytes: number;
  batchSamples: number;
  batchBytes: number;
  log?: SpoolLog;
}

/** What one node still lacks, and whether it has a gap. */
export interface NodeLag {
  lagSamples: number;
  lagBytes: number;
  /** Over `maxLagBytes` behind, or samples skipped (a gap until an operator fills it). */
  outOfSync: boolean;
  skippedSamples: number;
  gapSince?: number;
  gapUntil?: number;
  caughtUpAt?: number;
}

interface InFlight {
  from: LogPosition;
  records: LogRecord[];
  /** Samples of this batch counted as skipped since it was read: they may still reach the node. */
  overlap: number;
}

/**
 * The positions of every configured node in one SegmentLog. The log's own head (state.json) is the
 * slowest node's position, so segments go only when every node has passed them; each node's position
 * is saved in cursors.json before the head moves.
 *
 * The choice when the spool is full because a node is far behind: a node more than `maxLagBytes`
 * behind gives up its oldest segment (its samples are counted as skipped, with the time window, kept
 * across restarts and shown in /readyz and collector_status) so that ingest goes on for the nodes that
 * keep up. Only while at least one node is within `maxLagBytes`: when every node is that far behind
 * (InfluxDB down everywhere), nothing is given up and ingest answers 503, as with one node.
 */
export class Replicas {
  private readonly cursors = new Map<string, NodeCursor>();
  private readonly inFlight = new Map<string, InFlight>();
  private readonly file: CursorFile;
  private readonly overLag = new Set<string>();
  private saveTimer?: NodeJS.Timeout;

  constructor(private readonly o: ReplicasOptions) {
    this.file = new CursorFile(o.dir);
    const stored = this.file.load(o.nodes, (msg, f) => o.log?.warn(f, msg));
    if (stored.forgotten.length > 0) o.log?.warn({ nodes: stored.forgotten }, 'spool: positions of InfluxDB nodes no longer in influx.urls are forgotten');
    const head = o.queue.headPosition;
    for (const node of o.nodes) {
      const c = stored.cursors.get(node) ?? { pos: head, skipped: 0 };
      c.pos = o.queue.clamp(c.pos);
      if (o.queue.since(c.pos).units === 0) c.caughtUpAt = Date.now();
      if (!stored.cursors.has(node) && o.queue.units > 0) o.log?.info({ node, samples: o.queue.units }, 'spool: new InfluxDB node starts from the oldest spooled sample');
      this.cursors.set(node, c);
    }
    this.file.save(this.cursors);
  }

  source(node: string): ReplaySource {
    const c = this.cursors.get(node)!;
    return {
      read: () => {
        // An empty log's first segment comes after the position it had (the head moves to it).
        c.pos = this.o.queue.clamp(c.pos);
        const records = this.o.queue.readFrom(c.pos, 1000, this.o.batchBytes, this.o.batchSamples);
        if (records.length > 0) this.inFlight.set(node, { from: c.pos, records, overlap: 0 });
        return records;
      },
      delivered: (records) => this.delivered(node, c, records),
      remaining: () => this.o.queue.since(c.pos).units,
      caughtUpAt: () => c.caughtUpAt,
    };
  }

  private delivered(node: string, c: NodeCursor, records: LogRecord[]): void {
    const f = this.inFlight.get(node);
    this.inFlight.delete(node);
    // Skipped while the write was in flight, yet the node has them after all.
    if (f && f.records === records && f.overlap > 0) c.skipped = Math.max(0, c.skipped - f.overlap);
    const end = records.at(-1)!.end;
    if (comparePositions(end, c.pos) > 0) c.pos = end;
    if (this.o.queue.since(c.pos).units === 0) c.caughtUpAt = Date.now();
    // Saved a moment later, for every node at once: two fsyncs a batch per node kept the event loop busy.
    // A position saved late only means a batch written again after a crash (InfluxDB absorbs it): the
    // spool's head is the slowest position in memory, which every node had really passed.
    this.saveTimer ??= setTimeout(() => this.save(), SAVE_DELAY_MS);
  }

  /** Positions to cursors.json, then the spool's head to the slowest of them (deleting what every node passed). */
  save(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.file.save(this.cursors);
    this.o.queue.ackTo(this.min());
  }

  private min(): LogPosition {
    let min: LogPosition | undefined;
    for (const c of this.cursors.values()) if (!min || comparePositions(c.pos, min) < 0) min = c.pos;
    return min!;
  }

  lag(node: string): NodeLag {
    const c = this.cursors.get(node)!;
    const { units, bytes } = this.o.queue.since(c.pos);
    return {
      lagSamples: units,
      lagBytes: bytes,
      outOfSync: bytes > this.o.maxLagBytes || c.skipped > 0,
      skippedSamples: c.skipped,
      gapSince: c.gapSince,
      gapUntil: c.gapUntil,
      caughtUpAt: c.caughtUpAt,
    };
  }

  /** Logs a node going past `maxLagBytes` (and coming back within it) once, when it happens. */
  watchLag(): void {
    for (const [node, c] of this.cursors) {
      const bytes = this.o.queue.since(c.pos).bytes;
      if (bytes > this.o.maxLagBytes && !this.overLag.has(node)) {
        this.overLag.add(node);
        this.o.log?.error({ node, lagBytes: bytes, maxLagBytes: this.o.maxLagBytes }, 'spool: InfluxDB node is more than influx.maxLagBytes behind: out of sync; once the spool is full it gives up its oldest samples so the other nodes go on');
      } else if (bytes <= this.o.maxLagBytes && this.overLag.delete(node)) {
        this.o.log?.info({ node, lagBytes: bytes, skippedSamples: c.skipped }, 'spool: InfluxDB node is back within influx.maxLagBytes');
      }
    }
  }

  /**
   * Called when an append would go over the spool's budget: nodes more than `maxLagBytes` behind give
   * up the oldest segment, one segment at a time, while `over()` holds and a node within
   * `maxLagBytes` keeps the spool worth having. Returns the samples given up (per node, summed).
   */
  makeRoom(over: () => boolean, now = Date.now()): number {
    let given = 0;
    // Segments every node has passed may still be waiting for the delayed save.
    if (this.saveTimer) this.save();
    while (over()) {
      const giving = this.givers();
      if (!giving) break;
      const { next, holders } = giving;
      const after = this.o.queue.since(next).units;
      for (const { node, c, lag } of holders) {
        const units = lag.units - after;
        this.noteOverlap(node, next, after);
        c.skipped += units;
        c.gapSince ??= c.caughtUpAt;
        c.gapUntil = now;
        c.pos = next;
        given += units;
        this.o.log?.error(
          { node, skippedSamples: units, skippedTotal: c.skipped, gapSince: iso(c.gapSince), gapUntil: iso(now) },
          'spool: full with this InfluxDB node out of sync: its oldest spooled samples are given up (the other nodes have them); fill the gap from a node that has it (see the operations guide)',
        );
      }
      this.file.save(this.cursors);
      this.o.queue.ackTo(this.min());
    }
    return given;
  }

  /** Whether the oldest segment can be given up now (so a full spool still takes samples). */
  canMakeRoom(): boolean {
    return this.givers() !== undefined;
  }

  /** The nodes that would give up the oldest segment, all out of sync, while another node is within `maxLagBytes`. */
  private givers(): { next: LogPosition; holders: { node: string; c: NodeCursor; lag: { units: number } }[] } | undefined {
    const next = this.o.queue.afterOldestSegment();
    if (!next) return undefined;
    const nodes = [...this.cursors.entries()].map(([node, c]) => ({ node, c, lag: this.o.queue.since(c.pos) }));
    if (!nodes.some((n) => n.lag.bytes <= this.o.maxLagBytes)) return undefined;
    const holders = nodes.filter((n) => comparePositions(n.c.pos, next) < 0);
    if (holders.length === 0 || holders.some((n) => n.lag.bytes <= this.o.maxLagBytes)) return undefined;
    return { next, holders };
  }

  /** A batch being written to `node` from before `next` may still arrive: remember how much of it is being counted as skipped. */
  private noteOverlap(node: string, next: LogPosition, unitsAfterNext: number): void {
    const f = this.inFlight.get(node);
    if (!f || comparePositions(f.from, next) >= 0) return;
    const end = f.records.at(-1)!.end;
    f.overlap += comparePositions(end, next) <= 0 ? f.records.reduce((n, r) => n + r.weight, 0) : this.o.queue.since(f.from).units - unitsAfterNext;
  }
}

const SAVE_DELAY_MS = 200;

const iso = (ms: number | undefined) => (ms === undefined ? 'unknown' : new Date(ms).toISOString());
