// The durable on-disk FIFO under the agent's outbox and the collector's spool: an implementation
// both sides use, so it lives beside protocol/ (the contract), not in it.
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

/*
 * Layout: `<dir>/<16-digit seq>.seg` append-only segment files, `<dir>/state.json` (the acknowledged
 * head and the dropped counter), `<dir>/lock` (pid of the owner). A record is framed as
 * `u32 length | u32 weight | u32 crc32(weight + data) | data`; the weight is what the record counts
 * for (1 for a sample, n for a batch of n samples).
 *
 * Durability: every `append` is written with one write and fdatasync'ed before it returns; the head
 * is persisted (write, fsync, rename) on every `ackTo`. A crash can lose nothing appended and can
 * only replay records acknowledged after the last persisted head (at-least-once).
 * A torn or corrupt record (power loss mid-write) ends its segment: it is cut off on open, never a
 * crash loop.
 */

const HEADER = 12;
const MAX_RECORD = 256 * 1024 * 1024;
const SEGMENT_RE = /^(\d{16})\.seg$/;

export interface LogPosition {
  seq: number;
  offset: number;
  /** Weight consumed in this segment up to `offset`. */
  units: number;
}

export interface LogRecord {
  data: Buffer;
  weight: number;
  /** The position just after this record: pass to `ackTo` once it is delivered. */
  end: LogPosition;
}

export interface SegmentLogOptions {
  dir: string;
  /** Disk budget: when appends go past it, the oldest segments are dropped (and counted). */
  maxBytes: number;
  /** Size at which a new segment starts; dropping happens a segment at a time. */
  segmentBytes?: number;
  warn?: (message: string, fields?: Record<string, unknown>) => void;
}

interface Segment {
  seq: number;
  size: number;
  units: number;
}

interface State {
  seq: number;
  offset: number;
  units: number;
  dropped: number;
}

export class SegmentLogBusyError extends Error {}

/** Order of two positions of one log: negative when `a` comes first. */
export function comparePositions(a: LogPosition, b: LogPosition): number {
  return a.seq !== b.seq ? a.seq - b.seq : a.offset - b.offset;
}

export class SegmentLog {
  readonly dir: string;
  private readonly segments: Segment[] = [];
  private head: LogPosition;
  private droppedUnits: number;
  private writeFd: number | undefined;
  private readonly segmentBytes: number;
  private readonly lockFile: string;
  private closed = false;

  constructor(private readonly opts: SegmentLogOptions) {
    this.dir = opts.dir;
    this.segmentBytes = opts.segmentBytes ?? Math.max(16 * 1024, Math.min(8 * 1024 * 1024, Math.floor(opts.maxBytes / 16)));
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.lockFile = join(this.dir, 'lock');
    takeLock(this.lockFile);
    const state = this.readState();
    this.droppedUnits = state.dropped;
    const seqs = readdirSync(this.dir)
      .map((f) => SEGMENT_RE.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    seqs.forEach((seq, i) => this.segments.push(this.scan(seq, i === seqs.length - 1)));
    this.head = { seq: state.seq, offset: state.offset, units: state.units };
    const first = this.segments[0];
    if (!first) this.head = { seq: state.seq, offset: 0, units: 0 };
    else if (this.head.seq < first.seq || !this.segments.some((s) => s.seq === this.head.seq)) this.head = { seq: first.seq, offset: 0, units: 0 };
    else {
      const seg = this.segments.find((s) => s.seq === this.head.seq)!;
      if (this.head.offset > seg.size) this.head = { seq: seg.seq, offset: seg.size, units: seg.units };
    }
    // Segments before the head are fully delivered (a crash came between state write and unlink).
    while (this.segments.length > 0 && this.segments[0].seq < this.head.seq) this.unlinkSegment(this.segments.shift()!);
  }

  /** Weight not yet acknowledged. */
  get units(): number {
    let n = 0;
    for (const s of this.segments) n += s.units;
    return n - (this.segments[0]?.seq === this.head.seq ? this.head.units : 0);
  }

  /** Bytes not yet acknowledged (framing included). */
  get bytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n - (this.segments[0]?.seq === this.head.seq ? this.head.offset : 0);
  }

  /** Bytes on disk, acknowledged or not: what the budget is measured against. */
  get diskBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  /** Weight dropped because of the budget (or by `drop`), persisted across restarts. */
  get dropped(): number {
    return this.droppedUnits;
  }

  /**
   * Append records (written and fdatasync'ed before returning). Returns the weight that was dropped
   * from the oldest end to stay within the budget.
   */
  append(records: { data: Buffer; weight?: number }[]): number {
    if (records.length === 0) return 0;
    let total = 0;
    for (const r of records) total += HEADER + r.data.length;
    const buf = Buffer.allocUnsafe(total);
    let at = 0;
    let units = 0;
    for (const r of records) {
      const weight = r.weight ?? 1;
      buf.writeUInt32LE(r.data.length, at);
      buf.writeUInt32LE(weight, at + 4);
      r.data.copy(buf, at + HEADER);
      buf.writeUInt32LE(crc32(r.data, crc32(buf.subarray(at + 4, at + 8))), at + 8);
      at += HEADER + r.data.length;
      units += weight;
    }
    const last = this.writableSegment();
    let written = 0;
    while (written < buf.length) written += writeSync(this.writeFd!, buf, written, buf.length - written);
    fdatasyncSync(this.writeFd!);
    last.size += buf.length;
    last.units += units;
    return this.enforceBudget();
  }

  /** Up to `maxRecords` records (and `maxUnits` of weight) from the head, stopping before `maxBytes` of data (at least one record). */
  read(maxRecords: number, maxBytes: number, maxUnits = Number.MAX_SAFE_INTEGER): LogRecord[] {
    return this.readFrom(this.head, maxRecords, maxBytes, maxUnits);
  }

  /**
   * As `read`, from a reader's own position (one of several readers of the same log, each with its
   * position kept by the caller; `clamp` it first). Nothing is acknowledged.
   */
  readFrom(from: LogPosition, maxRecords: number, maxBytes: number, maxUnits = Number.MAX_SAFE_INTEGER): LogRecord[] {
    const out: LogRecord[] = [];
    let bytes = 0;
    let weightRead = 0;
    let i = this.segments.findIndex((s) => s.seq === from.seq);
    let offset = from.offset;
    let units = from.units;
    for (; i >= 0 && i < this.segments.length; i++, offset = 0, units = 0) {
      const seg = this.segments[i];
      if (offset >= seg.size) continue;
      const reader = new ChunkReader(openSync(this.segmentPath(seg.seq), 'r'), seg.size, Math.max(64 * 1024, Math.min(4 * 1024 * 1024, maxBytes + 4096)));
      try {
        while (offset < seg.size) {
          if (out.length >= maxRecords || (out.length > 0 && bytes >= maxBytes)) return out;
          const header = offset + HEADER <= seg.size ? reader.bytes(offset, HEADER) : undefined;
          const len = header?.readUInt32LE(0) ?? 0;
          if (!header || len > MAX_RECORD || offset + HEADER + len > seg.size) {
            this.corrupt(seg, offset);
            break;
          }
          if (out.length > 0 && bytes + len > maxBytes) return out;
          const weight = header.readUInt32LE(4);
          if (out.length > 0 && weightRead + weight > maxUnits) return out;
          const crc = header.readUInt32LE(8);
          const data = Buffer.from(reader.bytes(offset + HEADER, len));
          if (crc32(data, crc32(header.subarray(4, 8))) !== crc) {
            this.corrupt(seg, offset);
            break;
          }
          offset += HEADER + len;
          units += weight;
          bytes += len;
          weightRead += weight;
          out.push({ data, weight, end: { seq: seg.seq, offset, units } });
        }
      } finally {
        reader.close();
      }
    }
    return out;
  }

  /** Everything up to `pos` was delivered: persist the new head and delete finished segments. */
  ackTo(pos: LogPosition): void {
    if (pos.seq < this.head.seq || (pos.seq === this.head.seq && pos.offset <= this.head.offset)) return;
    // The records were dropped from under an in-flight send: the head already moved past them.
    if (!this.segments.some((s) => s.seq === pos.seq)) return;
    this.head = { ...pos };
    this.releaseFinished();
    this.writeState();
  }

  /** The acknowledged head: where the slowest reader is. */
  get headPosition(): LogPosition {
    return { ...this.head };
  }

  /**
   * A reader's position made valid for this log: before the head (or in a segment gone since) it
   * becomes the head or the start of the next segment that exists; past a segment's end (a torn tail
   * cut off on open), that end.
   */
  clamp(pos: LogPosition): LogPosition {
    if (comparePositions(pos, this.head) <= 0) return { ...this.head };
    const seg = this.segments.find((s) => s.seq >= pos.seq);
    if (!seg) {
      const last = this.segments.at(-1);
      return last ? { seq: last.seq, offset: last.size, units: last.units } : { ...this.head };
    }
    if (seg.seq > pos.seq) return { seq: seg.seq, offset: 0, units: 0 };
    return pos.offset > seg.size ? { seq: seg.seq, offset: seg.size, units: seg.units } : { ...pos };
  }

  /** Weight and bytes (framing included) from a (clamped) position to the end: a reader's lag. */
  since(pos: LogPosition): { units: number; bytes: number } {
    let units = 0;
    let bytes = 0;
    for (const s of this.segments) {
      if (s.seq < pos.seq) continue;
      units += s.units - (s.seq === pos.seq ? pos.units : 0);
      bytes += s.size - (s.seq === pos.seq ? pos.offset : 0);
    }
    return { units, bytes };
  }

  /** The start of the segment after the oldest one, when there is one: where a reader lands if the oldest segment is given up. */
  afterOldestSegment(): LogPosition | undefined {
    const next = this.segments[1];
    return next ? { seq: next.seq, offset: 0, units: 0 } : undefined;
  }

  /** Count weight as dropped (e.g. too old to deliver) after acknowledging it. */
  drop(pos: LogPosition, weight: number): void {
    this.droppedUnits += weight;
    this.ackTo(pos);
    this.writeState();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.writeFd !== undefined) closeSync(this.writeFd);
    this.writeFd = undefined;
    try {
      unlinkSync(this.lockFile);
    } catch {
      /* already gone */
    }
  }

  private segmentPath(seq: number): string {
    return join(this.dir, `${String(seq).padStart(16, '0')}.seg`);
  }

  private writableSegment(): Segment {
    let last = this.segments.at(-1);
    if (!last || last.size >= this.segmentBytes) {
      if (this.writeFd !== undefined) closeSync(this.writeFd);
      this.writeFd = undefined;
      last = { seq: (last?.seq ?? this.head.seq) + 1, size: 0, units: 0 };
      this.segments.push(last);
      if (this.segments.length === 1) this.head = { seq: last.seq, offset: 0, units: 0 };
      this.releaseFinished();
    }
    if (this.writeFd === undefined) {
      this.writeFd = openSync(this.segmentPath(last.seq), 'a', 0o600);
      if (last.size === 0) fsyncDir(this.dir);
    }
    return last;
  }

  private enforceBudget(): number {
    let dropped = 0;
    while (this.diskBytes > this.opts.maxBytes && this.segments.length > 1) {
      const seg = this.segments.shift()!;
      const lost = seg.units - (seg.seq === this.head.seq ? this.head.units : 0);
      dropped += lost;
      this.unlinkSegment(seg);
      if (this.head.seq <= seg.seq) this.head = { seq: this.segments[0].seq, offset: 0, units: 0 };
    }
    if (dropped > 0) {
      this.droppedUnits += dropped;
      this.writeState();
    }
    return dropped;
  }

  /** Delete segments the head has passed, except the one being written. */
  private releaseFinished(): void {
    while (this.segments.length > 1) {
      const first = this.segments[0];
      if (first.seq === this.head.seq && this.head.offset < first.size) break;
      if (first.seq > this.head.seq) break;
      this.segments.shift();
      this.unlinkSegment(first);
      // A head further on (a batch that ended past the segment's end) stays where it is: resetting it to
      // the next segment's start would deliver that segment's first records again.
      if (first.seq === this.head.seq) this.head = { seq: this.segments[0].seq, offset: 0, units: 0 };
    }
  }

  private unlinkSegment(seg: Segment): void {
    try {
      unlinkSync(this.segmentPath(seg.seq));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  /** Valid records of one segment; a torn tail of the last segment is cut off so appends continue cleanly. */
  private scan(seq: number, last: boolean): Segment {
    const file = this.segmentPath(seq);
    const buf = readFileSync(file);
    let at = 0;
    let units = 0;
    while (at + HEADER <= buf.length) {
      const len = buf.readUInt32LE(at);
      if (len > MAX_RECORD || at + HEADER + len > buf.length) break;
      const crc = crc32(buf.subarray(at + HEADER, at + HEADER + len), crc32(buf.subarray(at + 4, at + 8)));
      if (crc !== buf.readUInt32LE(at + 8)) break;
      units += buf.readUInt32LE(at + 4);
      at += HEADER + len;
    }
    if (at < buf.length) {
      this.opts.warn?.('queue file ends with a torn or corrupt record; it is skipped', { file, validBytes: at, fileBytes: buf.length });
      if (last) {
        const fd = openSync(file, 'r+');
        try {
          ftruncateSync(fd, at);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
    }
    return { seq, size: at, units };
  }

  private corrupt(seg: Segment, offset: number): void {
    this.opts.warn?.('queue record failed its checksum; the rest of the segment is skipped', { segment: seg.seq, offset });
    seg.size = offset;
  }

  private readState(): State {
    try {
      const s = JSON.parse(readFileSync(join(this.dir, 'state.json'), 'utf8')) as Partial<State>;
      const n = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);
      return { seq: n(s.seq), offset: n(s.offset), units: n(s.units), dropped: n(s.dropped) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.warn?.('queue state unreadable; starting from the oldest record', { error: (err as Error).message });
      return { seq: 0, offset: 0, units: 0, dropped: 0 };
    }
  }

  private writeState(): void {
    const file = join(this.dir, 'state.json');
    const tmp = `${file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify({ ...this.head, dropped: this.droppedUnits }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  }
}

/** Sequential reads of one segment in large chunks (few syscalls per batch). */
class ChunkReader {
  private buf = Buffer.alloc(0);
  private start = 0;

  constructor(
    private readonly fd: number,
    private readonly end: number,
    private readonly chunk: number,
  ) {}

  /** A view valid until the next call. */
  bytes(offset: number, len: number): Buffer {
    if (offset < this.start || offset + len > this.start + this.buf.length) {
      const size = Math.min(this.end - offset, Math.max(len, this.chunk));
      this.buf = Buffer.allocUnsafe(size);
      readFully(this.fd, this.buf, offset);
      this.start = offset;
    }
    return this.buf.subarray(offset - this.start, offset - this.start + len);
  }

  close(): void {
    closeSync(this.fd);
  }
}

function readFully(fd: number, buf: Buffer, position: number): void {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, position + got);
    if (n === 0) throw new Error(`unexpected end of queue file at ${position + got}`);
    got += n;
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not supported on every platform (Windows) */
  }
}

/** One process per queue directory: two writers would interleave frames. A lock left by a dead process is taken over. */
function takeLock(file: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new SegmentLogBusyError(`queue directory ${file.replace(/[/\\]lock$/, '')} is in use by process ${pid}`);
      }
      unlinkSync(file);
    }
  }
  throw new SegmentLogBusyError(`cannot lock ${file}`);
}

/** The live process holding a queue directory, if any (a tool must not edit a queue its owner runs). */
export function lockHolder(dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'lock'), 'utf8').trim());
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
