/**
 * The province's intrusion signals from the auth_events check: each finding (agent, kind, service,
 * source, first seen) with its latest count, users and whether it is still going, for the console's agency
 * page and the overview's count of attacking sources. Bounded per agent; ended findings are forgotten.
 */
import { sql } from 'kysely';
import type { StateSql } from './sql/connect.ts';
import { textOrder, withValues, type Q } from './sql/query.ts';

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
export async function recordAuthFinding(q: Q, f: AuthFindingSeen, now: number): Promise<void> {
  const key = sql`agent = ${f.agent} AND kind = ${f.kind} AND service = ${f.service} AND source = ${f.source} AND first_seen = ${f.firstSeen}`;
  const prior = (await sql<{ sample_time: number }>`SELECT sample_time FROM auth_findings WHERE ${key}`.execute(q)).rows[0];
  if (prior && prior.sample_time >= f.time) return;
  if (f.count === 0) {
    if (prior) await sql`UPDATE auth_findings SET active = 0, sample_time = ${f.time}, updated_at = ${now} WHERE ${key}`.execute(q);
    return;
  }
  if (!prior) await makeRoom(q, f.agent);
  // The later of the two last_seen as CASE (SQLite's two-argument max() is GREATEST() on PostgreSQL).
  await sql`INSERT INTO auth_findings (agent, agency, host, kind, service, source, users, count, first_seen, last_seen, detail, active, sample_time, updated_at)
    VALUES (${f.agent}, ${f.agency}, ${f.host ?? null}, ${f.kind}, ${f.service}, ${f.source}, ${f.users}, ${f.count}, ${f.firstSeen}, ${f.lastSeen},
      ${f.detail ?? null}, 1, ${f.time}, ${now})
    ON CONFLICT (agent, kind, service, source, first_seen) DO UPDATE SET agency = excluded.agency, host = excluded.host, users = excluded.users,
      count = excluded.count,
      last_seen = CASE WHEN auth_findings.last_seen >= excluded.last_seen THEN auth_findings.last_seen ELSE excluded.last_seen END,
      detail = excluded.detail, active = 1, sample_time = excluded.sample_time, updated_at = excluded.updated_at`.execute(q);
}

async function makeRoom(q: Q, agent: string): Promise<void> {
  const n = Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM auth_findings WHERE agent = ${agent}`.execute(q)).rows[0].n);
  if (n < MAX_AUTH_FINDINGS_PER_AGENT) return;
  // By the key (PostgreSQL has no rowid): ended findings first, then the oldest.
  await sql`DELETE FROM auth_findings WHERE (agent, kind, service, source, first_seen) IN
    (SELECT agent, kind, service, source, first_seen FROM auth_findings WHERE agent = ${agent} ORDER BY active, last_seen LIMIT ${n - MAX_AUTH_FINDINGS_PER_AGENT + 1})`.execute(q);
}

export async function purgeAuthFindings(q: Q, olderThanMs: number, now: number): Promise<void> {
  await sql`DELETE FROM auth_findings WHERE active = 0 AND last_seen < ${now - olderThanMs}`.execute(q);
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
export async function latestAuthFindings(state: StateSql, agency: string, limit: number): Promise<{ rows: AuthFindingRow[]; total: number }> {
  const n = Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM auth_findings WHERE agency = ${agency}`.execute(state.db)).rows[0].n);
  const rows = (await sql<Record<string, unknown>>`SELECT * FROM auth_findings WHERE agency = ${agency} ORDER BY last_seen DESC LIMIT ${limit}`.execute(state.db)).rows;
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
export async function attackingSources(state: StateSql, since: number, agency?: string): Promise<number> {
  const inAgency = agency ? sql`AND agency = ${agency}` : sql``;
  const r = await sql<{ n: number }>`SELECT COUNT(DISTINCT source) AS n FROM auth_findings
    WHERE last_seen >= ${since} AND kind IN (${sql.join(ATTACK_KINDS.map((k) => sql`${k}`))}) ${inAgency}`.execute(state.db);
  return Number(r.rows[0].n);
}

/** The monthly report's figure: findings that began in [start, end), by agency and kind, with their distinct sources. */
export const AUTH_FINDINGS_COUNT_SQL =
  'SELECT agency, kind, COUNT(*) AS findings, COUNT(DISTINCT source) AS sources FROM auth_findings WHERE first_seen >= ? AND first_seen < ? GROUP BY agency, kind ORDER BY agency, kind';

export async function countAuthFindings(state: StateSql, start: number, end: number): Promise<{ agency: string; kind: string; findings: number; sources: number }[]> {
  // Ordered again outside, in SQLite's text order on both engines.
  const r = await sql<{ agency: string; kind: string; findings: number; sources: number }>`SELECT * FROM (${withValues(AUTH_FINDINGS_COUNT_SQL, [start, end])}) counted
    ORDER BY ${textOrder(state.driver, 'agency')}, ${textOrder(state.driver, 'kind')}`.execute(state.db);
  return r.rows.map((x) => ({ agency: x.agency, kind: x.kind, findings: Number(x.findings), sources: Number(x.sources) }));
}
