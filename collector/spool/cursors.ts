// The spool's read position of each InfluxDB node (dataDir/spool/cursors.json), persisted so that a
// restarted collector resumes every node where it was, with the marks of a node that had to skip samples.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { LogPosition } from '../../lib/segment-log.ts';

export interface NodeCursor {
  /** Everything before this position was written to the node (or kept in the dead letter). */
  pos: LogPosition;
  /** When the node last had nothing left to write (ms since epoch), if known. */
  caughtUpAt?: number;
  /** Samples this node will never get from the spool: it was too far behind when the spool was full. */
  skipped: number;
  /** Samples that reached the collector from `gapSince` to `gapUntil` may be missing on this node. */
  gapSince?: number;
  gapUntil?: number;
}

const FILE = 'cursors.json';
/** More entries than this in the file are ignored (influx.urls has at most 8; the file is ours, but a bound costs nothing). */
const MAX_ENTRIES = 64;

/**
 * The cursors of the configured nodes. Written (write, fsync, rename) on every change: the position
 * before the spool's own head (state.json, the slowest node) so a crash can only replay, never skip.
 * A node missing from the file starts at the spool's head; an entry for a node no longer configured
 * is dropped (and reported by `load`).
 */
export class CursorFile {
  private readonly file: string;

  constructor(dir: string) {
    this.file = join(dir, FILE);
  }

  /** The stored cursors of `nodes` (absent: unknown), and the nodes in the file that are not configured any more. */
  load(nodes: readonly string[], warn: (msg: string, fields: object) => void): { cursors: Map<string, NodeCursor>; forgotten: string[] } {
    const cursors = new Map<string, NodeCursor>();
    const forgotten: string[] = [];
    try {
      for (const [node, c] of this.readAll()) {
        if (nodes.includes(node)) cursors.set(node, c);
        else forgotten.push(node);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') warn('spool: node cursors unreadable; every node starts from the oldest spooled sample', { file: this.file, error: (err as Error).message });
    }
    return { cursors, forgotten };
  }

  /** Every valid entry of the file (throws when it cannot be read or parsed: ENOENT when there is none). */
  readAll(): Map<string, NodeCursor> {
    const raw: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
    const entries = raw && typeof raw === 'object' && !Array.isArray(raw) ? Object.entries((raw as { nodes?: unknown }).nodes ?? {}).slice(0, MAX_ENTRIES) : [];
    const out = new Map<string, NodeCursor>();
    for (const [node, value] of entries) {
      const c = parseCursor(value);
      if (c) out.set(node, c);
    }
    return out;
  }

  save(cursors: ReadonlyMap<string, NodeCursor>): void {
    const nodes: Record<string, object> = {};
    for (const [node, c] of cursors) nodes[node] = { ...c.pos, caughtUpAt: c.caughtUpAt, skipped: c.skipped, gapSince: c.gapSince, gapUntil: c.gapUntil };
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify({ nodes }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
  }

  /** A one-node spool keeps its position in the spool's own head: cursors of an earlier several-node run are stale then. */
  remove(): boolean {
    try {
      unlinkSync(this.file);
      return true;
    } catch {
      return false;
    }
  }
}

function parseCursor(v: unknown): NodeCursor | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const n = (x: unknown) => (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? x : undefined);
  const seq = n(o.seq);
  const offset = n(o.offset);
  const units = n(o.units);
  if (seq === undefined || offset === undefined || units === undefined) return undefined;
  return { pos: { seq, offset, units }, caughtUpAt: n(o.caughtUpAt), skipped: n(o.skipped) ?? 0, gapSince: n(o.gapSince), gapUntil: n(o.gapUntil) };
}
