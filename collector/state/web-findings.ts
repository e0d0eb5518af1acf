/**
 * The province's web integrity inventory: the last crawl of every watched site per agent, and every
 * finding with its evidence, when it was first and last seen, and whether the site's last crawl still
 * found it. Bounded per agent; findings gone for a long time are forgotten.
 */
import { sql } from 'kysely';
import type { StateSql } from './sql/connect.ts';
import { textOrder, withValues, type Q } from './sql/query.ts';

/** Findings kept per agent (an agent cannot fill the state with invented URLs); the oldest gone ones go first. */
export const MAX_FINDINGS_PER_AGENT = 5000;
/** Findings no longer present are forgotten after this (the monthly report reads the month before). */
export const FORGET_GONE_AFTER_MS = 400 * 86_400_000;

export interface SiteRun {
  agent: string;
  agency: string;
  site: string;
  name?: string;
  /** Sample time of the crawl, ms. */
  time: number;
  up: boolean;
  result: string;
  pagesCrawled: number;
  pagesFlagged: number;
  defaced: boolean;
  homeSimilarity?: number;
  error?: string;
}

export interface FindingSeen {
  agent: string;
  agency: string;
  site: string;
  name?: string;
  kind: string;
  url: string;
  evidence: string;
  count: number;
  time: number;
}

/** What makes two findings the same: the page, except for a new script domain (the domain). */
export function subjectOf(kind: string, url: string, evidence: string): string {
  return kind === 'new_script_domain' ? evidence.split(' ')[0] : url;
}

/** A site's crawl: findings its run did not (re)find are no longer present. Older crawls change nothing. */
export async function recordSiteRun(q: Q, r: SiteRun, now: number): Promise<void> {
  const prior = await sql<{ last_run: number }>`SELECT last_run FROM web_sites WHERE agent = ${r.agent} AND site = ${r.site}`.execute(q);
  if (prior.rows.length > 0 && prior.rows[0].last_run > r.time) return;
  await sql`INSERT INTO web_sites (agent, agency, site, name, last_run, up, result, pages_crawled, pages_flagged, defaced, home_similarity, error, updated_at)
    VALUES (${r.agent}, ${r.agency}, ${r.site}, ${r.name ?? null}, ${r.time}, ${r.up ? 1 : 0}, ${r.result}, ${r.pagesCrawled}, ${r.pagesFlagged},
      ${r.defaced ? 1 : 0}, ${r.homeSimilarity ?? null}, ${r.error ?? null}, ${now})
    ON CONFLICT (agent, site) DO UPDATE SET agency = excluded.agency, name = excluded.name, last_run = excluded.last_run, up = excluded.up,
      result = excluded.result, pages_crawled = excluded.pages_crawled, pages_flagged = excluded.pages_flagged, defaced = excluded.defaced,
      home_similarity = excluded.home_similarity, error = excluded.error, updated_at = excluded.updated_at`.execute(q);
  // A site that did not answer says nothing about its pages: its findings stay as they were.
  if (r.up) {
    await sql`UPDATE web_findings SET present = CASE WHEN last_seen >= ${r.time} THEN 1 ELSE 0 END, updated_at = ${now}
      WHERE agent = ${r.agent} AND site = ${r.site} AND present = 1 AND last_seen < ${r.time}`.execute(q);
  }
}

/** One finding of a crawl (a resend of an older one changes nothing). */
export async function recordFinding(q: Q, f: FindingSeen, now: number): Promise<void> {
  const subject = subjectOf(f.kind, f.url, f.evidence);
  const prior = await sql<{ last_seen: number }>`SELECT last_seen FROM web_findings
    WHERE agent = ${f.agent} AND site = ${f.site} AND kind = ${f.kind} AND subject = ${subject}`.execute(q);
  if (prior.rows.length > 0 && prior.rows[0].last_seen > f.time) return;
  if (prior.rows.length === 0) await makeRoom(q, f.agent);
  const run = (await sql<{ last_run: number }>`SELECT last_run FROM web_sites WHERE agent = ${f.agent} AND site = ${f.site}`.execute(q)).rows[0];
  const present = !run || f.time >= run.last_run ? 1 : 0;
  await sql`INSERT INTO web_findings (agent, agency, site, name, kind, subject, url, evidence, count, first_seen, last_seen, present, updated_at)
    VALUES (${f.agent}, ${f.agency}, ${f.site}, ${f.name ?? null}, ${f.kind}, ${subject}, ${f.url}, ${f.evidence}, ${f.count}, ${f.time}, ${f.time}, ${present}, ${now})
    ON CONFLICT (agent, site, kind, subject) DO UPDATE SET agency = excluded.agency, name = excluded.name, url = excluded.url,
      evidence = excluded.evidence, count = excluded.count, last_seen = excluded.last_seen, present = excluded.present, updated_at = excluded.updated_at`.execute(q);
}

async function makeRoom(q: Q, agent: string): Promise<void> {
  const n = Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM web_findings WHERE agent = ${agent}`.execute(q)).rows[0].n);
  if (n < MAX_FINDINGS_PER_AGENT) return;
  // By the key (PostgreSQL has no rowid): gone findings first, then the oldest.
  await sql`DELETE FROM web_findings WHERE (agent, site, kind, subject) IN
    (SELECT agent, site, kind, subject FROM web_findings WHERE agent = ${agent} ORDER BY present, last_seen LIMIT ${n - MAX_FINDINGS_PER_AGENT + 1})`.execute(q);
}

/** Findings gone for longer than `olderThanMs`, and sites nobody crawled for as long, are forgotten. */
export async function purgeWebFindings(q: Q, olderThanMs: number, now: number): Promise<void> {
  await sql`DELETE FROM web_findings WHERE present = 0 AND last_seen < ${now - olderThanMs}`.execute(q);
  await sql`DELETE FROM web_sites WHERE last_run < ${now - olderThanMs}`.execute(q);
}

export interface WebFindingRow {
  agency: string;
  agencyName: string;
  agent: string;
  agentHostname?: string;
  site: string;
  siteName?: string;
  kind: string;
  url: string;
  evidence: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  present: boolean;
}

export interface WebSiteRow {
  agency: string;
  agencyName: string;
  agent: string;
  site: string;
  name?: string;
  lastRun: string;
  up: boolean;
  result: string;
  pagesCrawled: number;
  pagesFlagged: number;
  defaced: boolean;
  homeSimilarity?: number;
  error?: string;
}

export interface WebListOptions {
  agency?: string;
  /** Only findings the last crawl still found. */
  presentOnly?: boolean;
  limit?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Findings still present first, then the newest; each with its agency's name and its agent's host. */
export async function listWebFindings(state: StateSql, opts: WebListOptions = {}): Promise<WebFindingRow[]> {
  const where = [sql`1 = 1`];
  if (opts.agency) where.push(sql`f.agency = ${opts.agency}`);
  if (opts.presentOnly) where.push(sql`f.present = 1`);
  const o = (column: string) => textOrder(state.driver, column);
  const rows = (
    await sql<Record<string, string | number | null>>`SELECT f.*, a.name AS agency_name, g.hostname AS hostname FROM web_findings f
      LEFT JOIN agencies a ON a.id = f.agency LEFT JOIN agents g ON g.id = f.agent
      WHERE ${sql.join(where, sql` AND `)}
      ORDER BY f.present DESC, f.last_seen DESC, ${o('f.agency')}, ${o('f.site')}, ${o('f.kind')}, ${o('f.url')} LIMIT ${opts.limit ?? 1000}`.execute(state.db)
  ).rows;
  return rows.map((r) => ({
    agency: String(r.agency),
    agencyName: String(r.agency_name ?? r.agency),
    agent: String(r.agent),
    agentHostname: r.hostname === null ? undefined : String(r.hostname),
    site: String(r.site),
    siteName: r.name === null ? undefined : String(r.name),
    kind: String(r.kind),
    url: String(r.url),
    evidence: String(r.evidence),
    count: Number(r.count),
    firstSeen: iso(Number(r.first_seen)),
    lastSeen: iso(Number(r.last_seen)),
    present: r.present === 1,
  }));
}

/** The watched sites, by agency and site. */
export async function listWebSites(state: StateSql, agency?: string): Promise<WebSiteRow[]> {
  const where = agency ? sql`WHERE s.agency = ${agency}` : sql``;
  const rows = (
    await sql<Record<string, string | number | null>>`SELECT s.*, a.name AS agency_name FROM web_sites s LEFT JOIN agencies a ON a.id = s.agency
      ${where} ORDER BY ${textOrder(state.driver, 's.agency')}, ${textOrder(state.driver, 's.site')} LIMIT 2000`.execute(state.db)
  ).rows;
  return rows.map((r) => ({
    agency: String(r.agency),
    agencyName: String(r.agency_name ?? r.agency),
    agent: String(r.agent),
    site: String(r.site),
    name: r.name === null ? undefined : String(r.name),
    lastRun: iso(Number(r.last_run)),
    up: r.up === 1,
    result: String(r.result),
    pagesCrawled: Number(r.pages_crawled),
    pagesFlagged: Number(r.pages_flagged),
    defaced: r.defaced === 1,
    homeSimilarity: r.home_similarity === null ? undefined : Number(r.home_similarity),
    error: r.error === null ? undefined : String(r.error),
  }));
}

export const WEB_FINDINGS_COUNT_SQL =
  "SELECT agency, kind, COUNT(*) AS findings, COUNT(DISTINCT site) AS sites FROM web_findings WHERE first_seen >= ? AND first_seen < ? GROUP BY agency, kind UNION ALL SELECT agency, '' AS kind, COUNT(*), COUNT(DISTINCT site) FROM web_findings WHERE first_seen >= ? AND first_seen < ? GROUP BY agency";

/** Findings first seen in [start, end), by agency and kind, and per agency (kind ''): the monthly report's figure. */
export async function countWebFindings(state: StateSql, start: number, end: number): Promise<{ agency: string; kind: string; findings: number; sites: number }[]> {
  // Ordered outside the UNION: PostgreSQL orders a UNION by its column names only, not by a collation of them.
  const r = await sql<{ agency: string; kind: string; findings: number; sites: number }>`SELECT * FROM (${withValues(WEB_FINDINGS_COUNT_SQL, [start, end, start, end])}) counted
    ORDER BY ${textOrder(state.driver, 'agency')}, ${textOrder(state.driver, 'kind')}`.execute(state.db);
  return r.rows.map((x) => ({ agency: x.agency, kind: x.kind, findings: Number(x.findings), sites: Number(x.sites) }));
}
