// Reading a log file from where the last run stopped: inode and byte offset, the rest of the rotated
// file (`.1`, `.0` or a dateext name) before the new one, truncation, and a gap when the rotated file is
// gone. Only whole lines are consumed, so an offset never splits a line.
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface FilePosition {
  inode: number;
  offset: number;
  /** The file's first bytes (base64, at most 64): a new file that got a freed inode number is not the old one. */
  head?: string;
}

const HEAD_BYTES = 64;

/** The first bytes of a file, base64 (fewer when the file is shorter). */
function headOf(path: string, length = HEAD_BYTES): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, 0);
    return buf.subarray(0, n).toString('base64');
  } finally {
    closeSync(fd);
  }
}

/** Is the file at `path` still the one the cursor was taken on: same inode and the same first bytes. */
function sameFile(path: string, st: Stats, cursor: FilePosition): boolean {
  if (cursor.inode !== st.ino) return false;
  if (!cursor.head) return true;
  const length = Buffer.from(cursor.head, 'base64').length;
  return headOf(path, length) === cursor.head;
}

/** Where a file was left: the current file, and the one it was rotated to while rsyslog may still finish it. */
export interface FileCursor extends FilePosition {
  prev?: FilePosition;
}

export interface ReadLimits {
  /** Stop after this many lines in the run (the rest is read next run). */
  maxLines: number;
  /** Longer lines are cut to this many characters before parsing. */
  maxLineChars: number;
}

/** A line, the modification time of its file (the reference for syslog's missing year). */
export type LineSink = (line: string, fileMtimeMs: number) => void;

export interface FileReadResult {
  cursor?: FileCursor;
  lines: number;
  truncatedLines: number;
  /** Lines were lost: the file rotated away past the cursor and cannot be found. */
  gap: boolean;
  /** The file got shorter under the same inode: emptied in place (or logrotate's copytruncate). */
  shrunk: boolean;
  /** The line budget ran out: more to read next run. */
  more: boolean;
  error?: { file: string; code: string; gid?: number };
}

const CHUNK = 1 << 20;

/** Read `path` from `pos` to the end (whole lines only) or until the budget is spent; the new offset. */
function readFrom(path: string, pos: FilePosition, st: Stats, budget: { left: number }, limits: ReadLimits, sink: LineSink, counts: { lines: number; truncated: number }): number {
  let offset = pos.offset;
  if (st.size <= offset || budget.left <= 0) return offset;
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  const mtime = st.mtimeMs;
  try {
    let skipping = false; // inside a line longer than a chunk: drop bytes up to its newline
    while (budget.left > 0) {
      const n = readSync(fd, buf, 0, CHUNK, offset);
      if (n <= 0) break;
      let start = 0;
      if (skipping) {
        const nl = buf.indexOf(10, 0);
        if (nl < 0 || nl >= n) {
          offset += n;
          continue;
        }
        skipping = false;
        start = nl + 1;
      }
      const last = buf.lastIndexOf(10, n - 1);
      if (last < start) {
        if (n < CHUNK || start > 0) {
          offset += start;
          if (n < CHUNK) break; // an unfinished last line: read when it is complete
          continue;
        }
        // One line longer than a whole chunk: parse its head, skip the rest.
        counts.truncated++;
        counts.lines++;
        budget.left--;
        sink(buf.toString('utf8', 0, limits.maxLineChars), mtime);
        offset += n;
        skipping = true;
        continue;
      }
      // Each line decoded on its own: small strings the young generation frees at once, where one string per
      // chunk would sit in the large-object space until a full collection (the RSS would climb with the file).
      let at = start;
      while (at <= last && budget.left > 0) {
        const nl = buf.indexOf(10, at);
        let end = nl > 0 && buf[nl - 1] === 13 ? nl - 1 : nl;
        if (end - at > limits.maxLineChars) {
          end = at + limits.maxLineChars;
          counts.truncated++;
        }
        counts.lines++;
        budget.left--;
        sink(buf.toString('utf8', at, end), mtime);
        at = nl + 1;
      }
      offset += at;
      if (n < CHUNK && at > last) break;
    }
  } finally {
    closeSync(fd);
  }
  return offset;
}

/** Where a rotated file with this inode is now: `.1`, `.0`, or the newest dateext names (`secure-20261201`). */
function findRotated(path: string, inode: number): { path: string; st: Stats } | undefined {
  const candidates = [`${path}.1`, `${path}.0`];
  try {
    const base = basename(path);
    const dated = readdirSync(dirname(path))
      .filter((n) => n.startsWith(`${base}-`) && !n.endsWith('.gz') && !n.endsWith('.xz') && !n.endsWith('.zst'))
      .sort()
      .slice(-3)
      .map((n) => join(dirname(path), n));
    candidates.push(...dated);
  } catch {
    /* an unreadable directory: only the fixed names */
  }
  for (const c of candidates) {
    try {
      const st = statSync(c);
      if (st.ino === inode) return { path: c, st };
    } catch {
      /* not there */
    }
  }
  return undefined;
}

/**
 * One run over one configured file. `cursor` undefined: the first run, which reads the current file from
 * its start (the caller skips events older than its backfill).
 */
export function readLogFile(path: string, cursor: FileCursor | undefined, limits: ReadLimits, budget: { left: number }, sink: LineSink): FileReadResult {
  const counts = { lines: 0, truncated: 0 };
  const result = (r: Partial<FileReadResult>): FileReadResult => ({ lines: counts.lines, truncatedLines: counts.truncated, gap: false, shrunk: false, more: budget.left <= 0, ...r });
  let st: Stats;
  try {
    st = statSync(path);
    // A permission problem shows at open, not at stat.
    closeSync(openSync(path, 'r'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    let gid: number | undefined;
    try {
      gid = statSync(path).gid;
    } catch {
      /* missing */
    }
    return result({ cursor, error: { file: path, code, gid } });
  }
  let prev = cursor?.prev;
  let gap = false;
  let shrunk = false;
  // The file rotated away last run: rsyslog may have written to it until it was told to reopen.
  if (prev) {
    const old = findRotated(path, prev.inode);
    if (old) prev = { inode: prev.inode, offset: readFrom(old.path, prev, old.st, budget, limits, sink, counts) };
    else prev = undefined;
  }
  let pos: FilePosition = { inode: st.ino, offset: 0 };
  if (cursor && cursor.inode === st.ino && st.size < cursor.offset) {
    shrunk = true;
  } else if (cursor && sameFile(path, st, cursor)) {
    pos.offset = cursor.offset;
  } else if (cursor) {
    const old = findRotated(path, cursor.inode);
    if (old) prev = { inode: cursor.inode, offset: readFrom(old.path, cursor, old.st, budget, limits, sink, counts) };
    else gap = true;
  }
  if (budget.left > 0) pos = { inode: st.ino, offset: readFrom(path, pos, st, budget, limits, sink, counts) };
  if (pos.offset > 0) pos.head = cursor && sameFile(path, st, cursor) && cursor.head && Buffer.from(cursor.head, 'base64').length >= Math.min(HEAD_BYTES, pos.offset) ? cursor.head : headOf(path, Math.min(HEAD_BYTES, pos.offset));
  const next: FileCursor = prev ? { ...pos, prev } : pos;
  return result({ cursor: next, gap, shrunk });
}

/** The name of a group id, for "add the agent's user to the group adm". */
export function groupName(gid: number | undefined): string | undefined {
  if (gid === undefined) return undefined;
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (Number(id) === gid) return name;
    }
  } catch {
    /* no /etc/group */
  }
  return String(gid);
}
