// The auth_events check: reads the host's authentication logs (journal, auth.log/secure, the Windows
// Security log) from a saved cursor and reports brute force, password spraying, logins after failures,
// new administrators and cleared logs; one auth_summary per run and one auth_finding per signal.
import { randomUUID } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { hostname } from 'node:os';
import { Type } from 'typebox';
import { durationIssue, joinPath, parseDuration, type ConfigIssue } from '../../../protocol/index.ts';
import { defineCheck, type CheckConfig, type CheckContext } from '../types.ts';
import { Detector, USERS_LISTED, type FindingOut, type Thresholds } from './detect.ts';
import { DEFAULT_ADMIN_GROUPS } from './events.ts';
import { planSources, readAll, type ReadOutcome } from './sources.ts';
import { DEFAULT_STATE_FILE, latestPending, loadState, positionsOf, saveState, takeStateLock, type AuthState, type PendingSample, type Positions } from './state.ts';

/** At most this many finding samples a run; the rest wait for the next run (counted in findings_dropped). */
export const MAX_FINDINGS_PER_RUN = 1000;

const Within = (def: string) => Type.String({ default: def, expected: 'a duration such as 10m' });

const schema = Type.Object({
  logFiles: Type.Optional(Type.Array(Type.String({ minLength: 1, expected: 'a path such as /var/log/auth.log' }), { minItems: 1, maxItems: 20, expected: 'a list of log files such as /var/log/auth.log' })),
  journal: Type.Optional(Type.Boolean({ expected: 'true or false' })),
  journalDirectory: Type.Optional(Type.String({ minLength: 1, expected: 'a directory of journal files' })),
  stateFile: Type.Optional(Type.String({ minLength: 1, expected: 'a path for the cursor and detection state' })),
  allowSources: Type.Array(Type.String({ minLength: 1, expected: 'an address or CIDR such as 10.0.0.5 or 10.0.0.0/24' }), { maxItems: 1000, default: [] }),
  bruteForce: Type.Object({ failures: Type.Integer({ minimum: 2, maximum: 100_000, default: 10 }), within: Within('10m') }, { additionalProperties: false, default: {} }),
  spraying: Type.Object({ users: Type.Integer({ minimum: 2, maximum: 1000, default: 5 }), within: Within('10m') }, { additionalProperties: false, default: {} }),
  successAfterFailures: Type.Object({ failures: Type.Integer({ minimum: 1, maximum: 100_000, default: 5 }), within: Within('30m') }, { additionalProperties: false, default: {} }),
  adminGroups: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50, default: DEFAULT_ADMIN_GROUPS, expected: 'a list of group names such as sudo, wheel' }),
  backfill: Type.String({ default: '1h', expected: 'a duration such as 1h' }),
  maxSources: Type.Integer({ minimum: 100, maximum: 1_000_000, default: 10_000 }),
  maxLinesPerRun: Type.Integer({ minimum: 1000, maximum: 100_000_000, default: 2_000_000 }),
  maxLineLength: Type.Integer({ minimum: 256, maximum: 65_536, default: 8192 }),
});

type AuthConfig = CheckConfig<typeof schema>;

export const authEventsCheck = defineCheck({
  type: 'auth_events',
  summary: 'Intrusion signals from the authentication logs: brute force, password spraying, logins after failures, new administrators, cleared logs',
  schema,
  defaults: { interval: '1m', timeout: '50s' },
  measurements: ['auth_summary', 'auth_finding'],
  validate: validateAuth,
  run: runAuth,
});

/** An address or CIDR as BlockList takes it; undefined when it is not one. */
function allowEntry(s: string): { address: string; prefix?: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address, bits, extra] = s.split('/');
  const v = isIP(address);
  if (!v || extra !== undefined) return undefined;
  const family = v === 4 ? 'ipv4' : 'ipv6';
  if (bits === undefined) return { address, family };
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > (v === 4 ? 32 : 128)) return undefined;
  return { address, prefix: Number(bits), family };
}

function validateAuth(config: AuthConfig, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  config.allowSources.forEach((s, i) => {
    if (!allowEntry(s)) issues.push({ path: joinPath(joinPath(path, 'allowSources'), i), message: `expected an address or CIDR such as 10.0.0.5 or 10.0.0.0/24, got ${JSON.stringify(s)}` });
  });
  for (const key of ['bruteForce', 'spraying', 'successAfterFailures'] as const) {
    const issue = durationIssue(config[key].within, joinPath(joinPath(path, key), 'within'), { minMs: 1000, maxMs: 7 * 86_400_000 });
    if (issue) issues.push(issue);
  }
  const backfill = durationIssue(config.backfill, joinPath(path, 'backfill'), { minMs: 0, maxMs: 366 * 86_400_000 });
  if (backfill) issues.push(backfill);
  if (config.intervalMs < 5000) issues.push({ path: joinPath(path, 'interval'), message: `must be at least 5s for auth_events, got ${JSON.stringify(config.interval)}` });
  if (config.journal === false && config.journalDirectory) issues.push({ path: joinPath(path, 'journalDirectory'), message: 'is set but journal is false; remove one of them' });
  return issues;
}

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
