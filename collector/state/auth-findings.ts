/**
 * The province's intrusion signals from the auth_events check: each finding (agent, kind, service,
 * source, first seen) with its latest count, users and whether it is still going, for the console's agency
 * page and the overview's count of attacking sources. Bounded per agent; ended findings are forgotten.
 */
import { prepared, type DB } from './db.ts';

/** Findings kept per agent (an agent cannot fill the state with invented sources); ended and oldest go first. */
export const MAX_AUTH_FINDINGS_PER_AGENT = 2000;
/** Ended findings are forgotten after this. */
export const FORGET_AUTH_AFTER_MS = 90 * 86_400_000;
/** Kinds whose source is an attacker's address: the overview counts these. */
export const ATTACK_KINDS = ['brute_force', 'password_spraying', 'success_after_failures'] as const;

export interface AuthFindingSeen {
  agent: string;
  agency: string;
  host?: string;
  kind: string;
  service: string;
  source: string;
  users: string;
  count: number;
  /** first_seen_seconds of the finding, ms: with kind, service and source, its identity. */
  firstSeen: number;
  lastSeen: number;
  detail?: string;
  /** Sample time, ms: a resend of an older sample changes nothing. */
  time: number;
}

/** One auth_finding sample: count > 0 opens or updates the finding, count 0 ends it. */
export function recordAuthFinding(db: DB, f: AuthFindingSeen, now: number): void {
  const key = [f.agent, f.kind, f.service, f.source, f.firstSeen] as const;
  const prior = prepared(db, 'SELECT sample_time FROM auth_findings WHERE agent = ? AND kind = ? AND service = ? AND source = ? AND first_seen = ?').get(...key) as { sample_time: number } | undefined;
  if (prior && prior.sample_time >= f.time) return;
  if (f.count === 0) {
    if (prior) prepared(db, 'UPDATE auth_findings SET active = 0, sample_time = ?, updated_at = ? WHERE agent = ? AND kind = ? AND service = ? AND source = ? AND first_seen = ?').run(f.time, now, ...key);
    return;
  }
  if (!prior) makeRoom(db, f.agent);
  prepared(
    db,
    `INSERT INTO auth_findings (agent, agency, host, kind, service, source, users, count, first_seen, last_seen, detail, active, sample_time, updated_at)
     VALUES (@agent, @agency, @host, @kind, @service, @source, @users, @count, @firstSeen, @lastSeen, @detail, 1, @time, @now)
     ON CONFLICT(agent, kind, service, source, first_seen) DO UPDATE SET agency = excluded.agency, host = excluded.host, users = excluded.users,
       count = excluded.count, last_seen = MAX(last_seen, excluded.last_seen), detail = excluded.detail, active = 1, sample_time = excluded.sample_time, updated_at = excluded.updated_at`,
  ).run({ ...f, host: f.host ?? null, detail: f.detail ?? null, now });
}

function makeRoom(db: DB, agent: string): void {
  const { n } = prepared(db, 'SELECT COUNT(*) AS n FROM auth_findings WHERE agent = ?').get(agent) as { n: number };
  if (n < MAX_AUTH_FINDINGS_PER_AGENT) return;
  prepared(db, 'DELETE FROM auth_findings WHERE rowid IN (SELECT rowid FROM auth_findings WHERE agent = ? ORDER BY active, last_seen LIMIT ?)').run(agent, n - MAX_AUTH_FINDINGS_PER_AGENT + 1);
}

export function purgeAuthFindings(db: DB, olderThanMs: number, now: number): void {
  db.prepare('DELETE FROM auth_findings WHERE active = 0 AND last_seen < ?').run(now - olderThanMs);
}

export interface AuthFindingRow {
  agent: string;
  host?: string;
  kind: string;
  service: string;
  source: string;
  users: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  detail?: string;
  active: boolean;
}

/** An agency's latest findings, the newest first. */
export function latestAuthFindings(db: DB, agency: string, limit: number): { rows: AuthFindingRow[]; total: number } {
  const { n } = prepared(db, 'SELECT COUNT(*) AS n FROM auth_findings WHERE agency = ?').get(agency) as { n: number };
  const rows = prepared(db, 'SELECT * FROM auth_findings WHERE agency = ? ORDER BY last_seen DESC LIMIT ?').all(agency, limit) as Record<string, unknown>[];
  return {
    total: n,
    rows: rows.map((r) => ({
      agent: String(r.agent),
      host: r.host === null ? undefined : String(r.host),
      kind: String(r.kind),
      service: String(r.service),
      source: String(r.source),
      users: String(r.users),
      count: Number(r.count),
      firstSeen: Number(r.first_seen),
      lastSeen: Number(r.last_seen),
      detail: r.detail === null ? undefined : String(r.detail),
      active: r.active === 1,
    })),
  };
}

/** Distinct source addresses that attacked any host of the province (or of one agency) since `since`. */
export function attackingSources(db: DB, since: number, agency?: string): number {
  const kinds = ATTACK_KINDS.map(() => '?').join(', ');
  const sql = `SELECT COUNT(DISTINCT source) AS n FROM auth_findings WHERE last_seen >= ? AND kind IN (${kinds})${agency ? ' AND agency = ?' : ''}`;
  const { n } = prepared(db, sql).get(since, ...ATTACK_KINDS, ...(agency ? [agency] : [])) as { n: number };
  return n;
}

/** The monthly report's figure: findings that began in [start, end), by agency and kind, with their distinct sources. */
export const AUTH_FINDINGS_COUNT_SQL =
  'SELECT agency, kind, COUNT(*) AS findings, COUNT(DISTINCT source) AS sources FROM auth_findings WHERE first_seen >= ? AND first_seen < ? GROUP BY agency, kind ORDER BY agency, kind';

export function countAuthFindings(db: DB, start: number, end: number): { agency: string; kind: string; findings: number; sources: number }[] {
  return db.prepare(AUTH_FINDINGS_COUNT_SQL).all(start, end) as { agency: string; kind: string; findings: number; sources: number }[];
}
