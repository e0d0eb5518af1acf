// Reading the systemd journal's auth and authpriv entries after a saved cursor (`journalctl -o json
// --after-cursor`), at most a budget of entries a run, and telling a vacuumed journal (the cursor's
// entry and those after it gone) from a quiet one: the oldest entry left is newer than the cursor.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

export interface JournalEntry {
  time: number;
  program: string;
  msg: string;
}

export interface JournalReadResult {
  cursor?: string;
  lines: number;
  truncatedLines: number;
  gap: boolean;
  more: boolean;
  error?: string;
}

/** Is there a journal to read: journald runs here (or did), or the configured directory has files. */
export function journalPresent(directory?: string): boolean {
  const dirs = directory ? [directory] : ['/run/log/journal', '/var/log/journal'];
  for (const d of dirs) {
    try {
      if (readdirSync(d).length > 0) return true;
    } catch {
      /* absent */
    }
  }
  return !directory && existsSync('/run/systemd/journal/socket');
}

const MAX_ENTRY_CHARS = 65_536;

/** Microseconds of the `t=` part of a journal cursor, as milliseconds. */
export function cursorTime(cursor: string): number | undefined {
  for (const part of cursor.split(';')) {
    if (part.startsWith('t=')) {
      const v = Number.parseInt(part.slice(2), 16);
      return Number.isFinite(v) ? v / 1000 : undefined;
    }
  }
  return undefined;
}

function messageOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  // journalctl prints a message that is not valid UTF-8 as an array of bytes.
  if (Array.isArray(v) && v.length <= MAX_ENTRY_CHARS) return Buffer.from(v.filter((b) => typeof b === 'number')).toString('utf8');
  return undefined;
}

/** Lines of a child's stdout, stopping it once `onLine` returns false; resolves with its exit code and stderr. */
function streamLines(args: string[], signal: AbortSignal, onLine: (line: string) => boolean): Promise<{ code: number | null; stderr: string; stopped: boolean }> {
  return new Promise((resolve) => {
    const child = spawn('journalctl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let rest = '';
    let stderr = '';
    let stopped = false;
    const stop = () => {
      stopped = true;
      child.kill('SIGTERM');
    };
    signal.addEventListener('abort', stop, { once: true });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (stopped) return;
      rest += chunk;
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        if (!onLine(line)) {
          stop();
          return;
        }
      }
      if (rest.length > MAX_ENTRY_CHARS * 4) rest = ''; // one absurd entry: dropped, never buffered without end
    });
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on('error', (err) => {
      stderr += err.message;
    });
    child.on('close', (code) => {
      signal.removeEventListener('abort', stop);
      resolve({ code, stderr: stderr.trim(), stopped });
    });
  });
}

/** Time of the oldest entry the journal still has (undefined when empty or unreadable). */
async function headTime(base: string[], signal: AbortSignal): Promise<number | undefined> {
  let t: number | undefined;
  await streamLines([...base, '-o', 'json', '--output-fields=__REALTIME_TIMESTAMP'], signal, (line) => {
    try {
      t = Number((JSON.parse(line) as { __REALTIME_TIMESTAMP?: string }).__REALTIME_TIMESTAMP) / 1000;
    } catch {
      /* not an entry */
    }
    return false;
  });
  return t !== undefined && Number.isFinite(t) ? t : undefined;
}

/**
 * Entries after `cursor` (or since `sinceMs` on the first run) of the auth and authpriv facilities, at
 * most `budget.left`; `cursor` of the result is the last entry handed to `onEntry`.
 */
export async function readJournal(
  opts: { cursor?: string; sinceMs: number; directory?: string; signal: AbortSignal; budget: { left: number } },
  onEntry: (e: JournalEntry) => void,
): Promise<JournalReadResult> {
  const base = ['--no-pager', '-q', ...(opts.directory ? ['-D', opts.directory] : [])];
  let gap = false;
  if (opts.cursor) {
    const head = await headTime(base, opts.signal);
    const at = cursorTime(opts.cursor);
    if (head !== undefined && at !== undefined && head > at) gap = true;
  }
  // When the cursor's entry is gone, --after-cursor would still skip the first entry found: start at it instead.
  const from = !opts.cursor ? `--since=@${Math.floor(opts.sinceMs / 1000)}` : gap ? `--cursor=${opts.cursor}` : `--after-cursor=${opts.cursor}`;
  const args = [...base, '-o', 'json', from, 'SYSLOG_FACILITY=4', 'SYSLOG_FACILITY=10'];
  let cursor = opts.cursor;
  let lines = 0;
  let truncated = 0;
  const r = await streamLines(args, opts.signal, (line) => {
    if (opts.budget.left <= 0) return false;
    if (line.length > MAX_ENTRY_CHARS) {
      truncated++;
      return true; // its cursor is unknown; the next entry's moves past it
    }
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return true;
    }
    if (typeof o.__CURSOR !== 'string') return true;
    lines++;
    opts.budget.left--;
    cursor = o.__CURSOR;
    const msg = messageOf(o.MESSAGE);
    const time = Number(o.__REALTIME_TIMESTAMP) / 1000;
    const program = typeof o.SYSLOG_IDENTIFIER === 'string' ? o.SYSLOG_IDENTIFIER : typeof o._COMM === 'string' ? o._COMM : '';
    if (msg !== undefined && Number.isFinite(time)) onEntry({ time, program, msg });
    return true;
  });
  const failed = !r.stopped && r.code !== 0;
  return { cursor, lines, truncatedLines: truncated, gap, more: opts.budget.left <= 0, error: failed ? r.stderr || `journalctl exited with ${r.code}` : undefined };
}
