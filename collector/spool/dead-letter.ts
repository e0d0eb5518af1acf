// The dead letter (dataDir/deadletter/): writes InfluxDB refused outright (400, such as a partial write
// past max-values-per-tag), kept on disk with the reason and a count so that nothing is lost unseen.
import { closeSync, fdatasyncSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface DeadLetterOptions {
  dir: string;
  /** Disk budget: past it the oldest file is deleted (and its samples counted as dropped). */
  maxBytes: number;
}

export interface DeadLetterEntry {
  /** Samples in the write. */
  samples: number;
  /** Of those, how many InfluxDB said it dropped (a partial write stored the rest). */
  refused: number;
  reason: string;
  /** The node that refused it, when there are several (influx.urls). */
  node?: string;
  now?: number;
}

export interface DeadLetterStats {
  /** Refused writes kept since start. */
  writes: number;
  /** Samples InfluxDB refused in them since start. */
  refused: number;
  /** Bytes in dataDir/deadletter now. */
  bytes: number;
  files: number;
  /** Files deleted to stay within the budget since start, and when the last write was kept. */
  droppedFiles: number;
  lastAt?: number;
}

const FILE = /^(\d{13})-(\d{6})\.lp$/;

/**
 * Each refused write is appended, with a `#` comment line giving the time, the counts, the node that
 * refused it (with several influx.urls) and InfluxDB's answer, to a file of line protocol that an operator can post to /write again once InfluxDB's limit is
 * raised (InfluxDB skips the comment lines; points it already has are overwritten with the same values).
 * A file holds up to 1/8 of the budget; past the budget the oldest file goes. Appends are fdatasync'ed:
 * the agent is answered only after its refused samples are on disk here.
 */
export class DeadLetter {
  private readonly fileBytes: number;
  private files: { name: string; bytes: number }[] = [];
  private seq = 0;
  private readonly counters = { writes: 0, refused: 0, droppedFiles: 0, lastAt: undefined as number | undefined };

  constructor(private readonly opts: DeadLetterOptions) {
    this.fileBytes = Math.max(8192, Math.floor(opts.maxBytes / 8));
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    this.files = readdirSync(opts.dir)
      .filter((f) => FILE.test(f))
      .sort()
      .map((name) => ({ name, bytes: statSync(join(opts.dir, name)).size }));
    this.seq = this.files.length > 0 ? Number(FILE.exec(this.files.at(-1)!.name)![2]) + 1 : 0;
  }

  /** Keeps one refused write. Throws when the disk does (the caller must then not acknowledge it). */
  add(parts: readonly (string | Buffer)[], entry: DeadLetterEntry): void {
    const now = entry.now ?? Date.now();
    const reason = entry.reason.replace(/[\r\n]+/g, ' ').slice(0, 1000);
    const body = Buffer.concat(parts.flatMap((p) => [Buffer.isBuffer(p) ? p : Buffer.from(p, 'utf8'), Buffer.from('\n')]));
    const node = entry.node ? ` node=${entry.node.replace(/\s+/g, '')}` : '';
    const header = `# ${new Date(now).toISOString()} samples=${entry.samples} refused=${entry.refused}${node} reason: ${reason}\n`;
    // A write larger than the whole budget keeps only its header: the count is what must not be lost.
    const data = header.length + body.length > this.opts.maxBytes ? Buffer.from(`${header}# (${body.length} bytes of line protocol not kept: larger than spool.deadLetterMaxBytes)\n`) : Buffer.concat([Buffer.from(header), body]);
    let last = this.files.at(-1);
    if (!last || last.bytes + data.length > this.fileBytes) {
      last = { name: `${String(now).padStart(13, '0')}-${String(this.seq++ % 1_000_000).padStart(6, '0')}.lp`, bytes: 0 };
      this.files.push(last);
    }
    const fd = openSync(join(this.opts.dir, last.name), 'a', 0o600);
    try {
      writeSync(fd, data);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    last.bytes += data.length;
    this.counters.writes++;
    this.counters.refused += entry.refused;
    this.counters.lastAt = now;
    this.trim();
  }

  private trim(): void {
    let total = this.files.reduce((n, f) => n + f.bytes, 0);
    while (total > this.opts.maxBytes && this.files.length > 1) {
      const oldest = this.files.shift()!;
      unlinkSync(join(this.opts.dir, oldest.name));
      total -= oldest.bytes;
      this.counters.droppedFiles++;
    }
  }

  stats(): DeadLetterStats {
    return { ...this.counters, bytes: this.files.reduce((n, f) => n + f.bytes, 0), files: this.files.length };
  }
}
