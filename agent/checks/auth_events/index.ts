// The auth_events check: reads the host's authentication logs (journal, auth.log/secure, the Windows
// Security log) from a saved cursor and reports brute force, password spraying, logins after failures,
// new administrators and cleared logs; one auth_summary per run and one auth_finding per signal.
import { randomUUID } from 'node:crypto';
import { BlockList } from 'node:net';
import { hostname } from 'node:os';
import { parseDuration } from '../../../protocol/index.ts';
import { defineCheck, type CheckContext } from '../types.ts';
import { Detector, USERS_LISTED, type FindingOut, type Thresholds } from './detect.ts';
import { planSources, readAll, type ReadOutcome } from './sources.ts';
import { allowEntry, authEventsSpec, type AuthConfig } from './spec.ts';
import { DEFAULT_STATE_FILE, latestPending, loadState, positionsOf, saveState, takeStateLock, type AuthState, type PendingSample, type Positions } from './state.ts';

/** At most this many finding samples a run; the rest wait for the next run (counted in findings_dropped). */
export const MAX_FINDINGS_PER_RUN = 1000;

export const authEventsCheck = defineCheck({ ...authEventsSpec, run: runAuth });

function thresholdsOf(c: AuthConfig): Thresholds {
  return {
    bruteForce: { failures: c.bruteForce.failures, withinMs: parseDuration(c.bruteForce.within)! },
    spraying: { users: c.spraying.users, withinMs: parseDuration(c.spraying.within)! },
    successAfterFailures: { failures: c.successAfterFailures.failures, withinMs: parseDuration(c.successAfterFailures.within)! },
  };
}

function allowListOf(c: AuthConfig): BlockList | undefined {
  if (c.allowSources.length === 0) return undefined;
  const list = new BlockList();
  for (const s of c.allowSources) {
    const e = allowEntry(s)!;
    if (e.prefix === undefined) list.addAddress(e.address, e.family);
    else list.addSubnet(e.address, e.prefix, e.family);
  }
  return list;
}

async function runAuth(config: AuthConfig, ctx: CheckContext): Promise<void> {
  const stateFile = config.stateFile ?? DEFAULT_STATE_FILE;
  const lock = await takeStateLock(stateFile);
  let delivered = false;
  try {
    const { state, problem } = loadState(stateFile);
    if (problem) ctx.log.warn('auth_events state could not be read; every log starts again from its backfill', { file: stateFile, problem });
    const replay = state.pending?.samples ?? [];
    const prev = state.pending?.next ?? positionsOf(state);
    const { samples, next } = await measure(config, ctx, prev);
    const all = [...replay, ...samples];
    const id = randomUUID();
    // The samples and where they end are on disk before anyone sees them; committed once in the outbox.
    saveState(stateFile, { version: 1, ...positionsOf(state), pending: { id, samples: all, next } });
    latestPending.set(stateFile, id);
    for (const s of all) ctx.recorder.record(s.measurement, s.tags as never, s.fields as never, new Date(s.time));
    ctx.onDelivered?.(() => {
      delivered = true;
      try {
        if (latestPending.get(stateFile) === id) saveState(stateFile, { version: 1, ...next });
      } finally {
        lock.release();
      }
    });
  } finally {
    if (!delivered) lock.releaseLater();
  }
}

/** Read every log from `prev`, detect, and build this run's samples; `next` is where they end. */
async function measure(config: AuthConfig, ctx: CheckContext, prev: Positions): Promise<{ samples: PendingSample[]; next: Positions }> {
  const started = performance.now();
  const now = Date.now();
  const detector = new Detector(prev.detector, thresholdsOf(config), allowListOf(config), config.maxSources);
  const next: Positions = { files: { ...prev.files }, journal: prev.journal, windows: prev.windows, detector: prev.detector };
  const budget = { left: config.maxLinesPerRun };
  const stop = () => (budget.left = 0);
  ctx.signal.addEventListener('abort', stop, { once: true });
  let read: ReadOutcome;
  try {
    read = await readAll(planSources(config), prev, next, {
      detector,
      adminGroups: new Set(config.adminGroups),
      limits: { maxLines: config.maxLinesPerRun, maxLineChars: config.maxLineLength },
      budget,
      now,
      backfillMs: parseDuration(config.backfill)!,
      signal: ctx.signal,
      timeoutMs: config.timeoutMs,
    });
  } finally {
    ctx.signal.removeEventListener('abort', stop);
  }
  const { out, dropped } = detector.finish(now, MAX_FINDINGS_PER_RUN);
  next.detector = detector.snapshot();
  if (read.more) ctx.log.info('auth_events: more lines than maxLinesPerRun; the rest is read next run', { lines: read.lines });
  for (const e of read.errors) ctx.log.warn('auth_events: a log could not be read', { error: e });
  const host = hostname();
  const samples: PendingSample[] = out.map((f, i) => findingSample(f, host, now + 1 + i));
  samples.push(summarySample(detector, read, dropped, host, now, performance.now() - started));
  return { samples, next };
}

function findingSample(f: FindingOut, host: string, time: number): PendingSample {
  const ep = f.episode;
  return {
    measurement: 'auth_finding',
    tags: { kind: ep.kind, service: ep.service, host },
    fields: {
      source: ep.source,
      user: ep.users.slice(0, USERS_LISTED).join(', '),
      count: f.count,
      distinct_users: ep.distinctUsers,
      started: f.started ? 1 : 0,
      first_seen_seconds: Math.floor(ep.first / 1000),
      last_seen_seconds: Math.floor(ep.last / 1000),
      window_seconds: Math.round(ep.windowMs / 1000),
      detail: ep.detail,
    },
    time,
  };
}

function summarySample(d: Detector, read: ReadOutcome, findingsDropped: number, host: string, time: number, ms: number): PendingSample {
  const s = d.stats;
  return {
    measurement: 'auth_summary',
    tags: { host, result: read.errors.length > 0 ? 'error' : 'ok' },
    fields: {
      failures: s.failures,
      successes: s.successes,
      distinct_sources: s.sources.size,
      distinct_users: s.users.size,
      events_read: s.events,
      lines_read: read.lines,
      lockouts: s.lockouts,
      accounts_created: s.accountsCreated,
      admin_grants: s.adminGrants,
      password_changes: s.passwordChanges,
      gap: read.gap ? 1 : 0,
      lines_truncated: read.truncatedLines,
      sources_tracked: d.trackedSources,
      sources_dropped: s.sourcesDropped,
      findings_dropped: findingsDropped,
      read_ms: Math.round(ms * 10) / 10,
      error: read.errors.length > 0 ? read.errors.join('; ').slice(0, 1000) : undefined,
    },
    time,
  };
}

export type { AuthState };
