// One run over the logs of the host: the configured files, the journal and the Windows Security log,
// each from its saved position, every event into the detector; what could not be read becomes an
// error naming the log and what to do about it.
import { existsSync } from 'node:fs';
import { parseMessage, unwrapRepeated, type AuthEvent } from './events.ts';
import type { Detector } from './detect.ts';
import { groupName, readLogFile, type ReadLimits } from './files.ts';
import { journalPresent, readJournal } from './journal.ts';
import type { Positions } from './state.ts';
import { parseSyslogLine, YearResolver } from './syslog.ts';
import { parseWindowsOutput, runWindowsScript, windowsEvent } from './windows.ts';

export interface SourcePlan {
  files: string[];
  journal: boolean;
  journalDirectory?: string;
  windows: boolean;
  /** Why nothing can be read (no journal, no file), when that is so. */
  missing?: string;
}

export const DEFAULT_FILES = ['/var/log/auth.log', '/var/log/secure'];

/** What to read: the configured files and journal, or on Linux the journal when present, else the first default file. */
export function planSources(cfg: { logFiles?: string[]; journal?: boolean; journalDirectory?: string }, platform = process.platform): SourcePlan {
  if (platform === 'win32') return { files: cfg.logFiles ?? [], journal: false, windows: true };
  if (cfg.journal === true) {
    const plan: SourcePlan = { files: cfg.logFiles ?? [], journal: true, journalDirectory: cfg.journalDirectory, windows: false };
    if (!journalPresent(cfg.journalDirectory)) plan.missing = `journal: true but there is no systemd journal here (${cfg.journalDirectory ?? '/run/log/journal, /var/log/journal'}); set journal: false and list the log in logFiles`;
    return plan;
  }
  if (cfg.logFiles) return { files: cfg.logFiles, journal: false, windows: false };
  if (cfg.journal === undefined && journalPresent(cfg.journalDirectory)) return { files: [], journal: true, journalDirectory: cfg.journalDirectory, windows: false };
  const file = DEFAULT_FILES.find((f) => existsSync(f));
  if (file) return { files: [file], journal: false, windows: false };
  return { files: [], journal: false, windows: false, missing: `no authentication log found: no systemd journal, no ${DEFAULT_FILES.join(', no ')}; set logFiles` };
}

export interface ReadOutcome {
  lines: number;
  truncatedLines: number;
  gap: boolean;
  more: boolean;
  errors: string[];
}

export interface ReadContext {
  detector: Detector;
  adminGroups: ReadonlySet<string>;
  limits: ReadLimits;
  budget: { left: number };
  now: number;
  backfillMs: number;
  signal: AbortSignal;
  timeoutMs: number;
}

function permissionHint(file: string, code: string, gid: number | undefined): string {
  if (code === 'EACCES' || code === 'EPERM') {
    const group = groupName(gid) ?? 'adm';
    return `cannot read ${file}: permission denied; add the agent's user to the group ${group} (usermod -aG ${group} canhgac) and restart the agent`;
  }
  if (code === 'ENOENT') return `cannot read ${file}: it does not exist`;
  return `cannot read ${file}: ${code}`;
}

/** A log message into the detector, unless it is older than the first run's backfill. */
function feed(rc: ReadContext, program: string, message: string, time: number, skipBefore: number): void {
  const { msg, times } = unwrapRepeated(message);
  const e: AuthEvent | undefined = parseMessage(program, msg, time, rc.adminGroups);
  if (!e || time < skipBefore) return;
  if (times > 1) e.repeat = (e.repeat ?? 1) * times;
  rc.detector.event(e);
}

function readFiles(plan: SourcePlan, prev: Positions, next: Positions, rc: ReadContext, out: ReadOutcome): void {
  for (const file of plan.files) {
    if (rc.signal.aborted || rc.budget.left <= 0) {
      out.more = true;
      break;
    }
    const cursor = prev.files[file];
    const skipBefore = cursor ? -Infinity : rc.now - rc.backfillMs;
    const resolvers = new Map<number, YearResolver>();
    const r = readLogFile(file, cursor, rc.limits, rc.budget, (line, mtime) => {
      let years = resolvers.get(mtime);
      if (!years) resolvers.set(mtime, (years = new YearResolver(Math.max(mtime, 0))));
      const p = parseSyslogLine(line, years);
      if (p) feed(rc, p.program, p.msg, p.time, skipBefore);
    });
    out.lines += r.lines;
    out.truncatedLines += r.truncatedLines;
    out.gap ||= r.gap;
    out.more ||= r.more;
    if (r.error) out.errors.push(permissionHint(r.error.file, r.error.code, r.error.gid));
    if (r.cursor) next.files[file] = r.cursor;
    if (r.shrunk) rc.detector.event({ time: rc.now, kind: 'log_cleared', service: 'syslog', source: 'local', detail: `${file} was emptied in place` });
  }
}

async function readJournalSource(plan: SourcePlan, prev: Positions, next: Positions, rc: ReadContext, out: ReadOutcome): Promise<void> {
  const skipBefore = prev.journal ? -Infinity : rc.now - rc.backfillMs;
  const r = await readJournal({ cursor: prev.journal?.cursor, sinceMs: rc.now - rc.backfillMs, directory: plan.journalDirectory, signal: rc.signal, budget: rc.budget }, (e) => feed(rc, e.program, e.msg, e.time, skipBefore));
  out.lines += r.lines;
  out.truncatedLines += r.truncatedLines;
  out.gap ||= r.gap;
  out.more ||= r.more;
  if (r.cursor) next.journal = { cursor: r.cursor };
  if (r.error) {
    const denied = /insufficient permissions|permission denied/i.test(r.error);
    out.errors.push(
      denied
        ? `cannot read the systemd journal: permission denied; add the agent's user to the group systemd-journal (usermod -aG systemd-journal canhgac) and restart the agent`
        : /ENOENT/.test(r.error)
          ? 'cannot read the systemd journal: journalctl is not installed; set journal: false and list the log in logFiles'
          : `cannot read the systemd journal: ${r.error.slice(0, 300)}`,
    );
  }
}

async function readWindows(prev: Positions, next: Positions, rc: ReadContext, out: ReadOutcome): Promise<void> {
  const after = prev.windows?.record ?? 0;
  let text: string;
  try {
    text = await runWindowsScript({ after, max: Math.max(1, Math.min(rc.budget.left, 50_000)), sinceMs: rc.backfillMs }, rc.timeoutMs);
  } catch (err) {
    const m = (err as Error).message;
    out.errors.push(/denied|privilege/i.test(m) ? `cannot read the Security event log: ${m}; run the agent service as LocalSystem or add its account to the Event Log Readers group` : `cannot read the Security event log: ${m.slice(0, 300)}`);
    return;
  }
  const batch = parseWindowsOutput(text);
  if (after > 0 && batch.oldest !== undefined && batch.oldest > after + 1) out.gap = true;
  let last = after;
  for (const r of batch.records) {
    out.lines++;
    rc.budget.left--;
    last = Math.max(last, r.record);
    const e = windowsEvent(r);
    if (e) rc.detector.event(e);
  }
  next.windows = { record: last };
  out.more ||= rc.budget.left <= 0;
}

/** Every planned log once; `next` receives the new positions. */
export async function readAll(plan: SourcePlan, prev: Positions, next: Positions, rc: ReadContext): Promise<ReadOutcome> {
  const out: ReadOutcome = { lines: 0, truncatedLines: 0, gap: false, more: false, errors: [] };
  if (plan.missing) out.errors.push(plan.missing);
  readFiles(plan, prev, next, rc, out);
  if (plan.journal && !plan.missing && !rc.signal.aborted) await readJournalSource(plan, prev, next, rc, out);
  if (plan.windows && !rc.signal.aborted) await readWindows(prev, next, rc, out);
  return out;
}
