/**
 * The province's web integrity inventory: the last crawl of every watched site per agent, and every
 * finding with its evidence, when it was first and last seen, and whether the site's last crawl still
 * found it. Bounded per agent; findings gone for a long time are forgotten.
 */
import { prepared, type DB } from './db.ts';

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
export function recordSiteRun(db: DB, r: SiteRun, now: number): void {
  const prior = prepared(db, 'SELECT last_run FROM web_sites WHERE agent = ? AND site = ?').get(r.agent, r.site) as { last_run: number } | undefined;
  if (prior && prior.last_run > r.time) return;
  prepared(
    db,
    `INSERT INTO web_sites (agent, agency, site, name, last_run, up, result, pages_crawled, pages_flagged, defaced, home_similarity, error, updated_at)
     VALUES (@agent, @agency, @site, @name, @time, @up, @result, @pagesCrawled, @pagesFlagged, @defaced, @homeSimilarity, @error, @now)
     ON CONFLICT(agent, site) DO UPDATE SET agency = excluded.agency, name = excluded.name, last_run = excluded.last_run, up = excluded.up,
       result = excluded.result, pages_crawled = excluded.pages_crawled, pages_flagged = excluded.pages_flagged, defaced = excluded.defaced,
       home_similarity = excluded.home_similarity, error = excluded.error, updated_at = excluded.updated_at`,
  ).run({ ...r, name: r.name ?? null, up: r.up ? 1 : 0, defaced: r.defaced ? 1 : 0, homeSimilarity: r.homeSimilarity ?? null, error: r.error ?? null, now });
  // A site that did not answer says nothing about its pages: its findings stay as they were.
  if (r.up) prepared(db, 'UPDATE web_findings SET present = (last_seen >= ?), updated_at = ? WHERE agent = ? AND site = ? AND present = 1 AND last_seen < ?').run(r.time, now, r.agent, r.site, r.time);
}

/** One finding of a crawl (a resend of an older one changes nothing). */
export function recordFinding(db: DB, f: FindingSeen, now: number): void {
  const subject = subjectOf(f.kind, f.url, f.evidence);
  const prior = prepared(db, 'SELECT last_seen FROM web_findings WHERE agent = ? AND site = ? AND kind = ? AND subject = ?').get(f.agent, f.site, f.kind, subject) as { last_seen: number } | undefined;
  if (prior && prior.last_seen > f.time) return;
  if (!prior) makeRoom(db, f.agent);
  const run = prepared(db, 'SELECT last_run FROM web_sites WHERE agent = ? AND site = ?').get(f.agent, f.site) as { last_run: number } | undefined;
  prepared(
    db,
    `INSERT INTO web_findings (agent, agency, site, name, kind, subject, url, evidence, count, first_seen, last_seen, present, updated_at)
     VALUES (@agent, @agency, @site, @name, @kind, @subject, @url, @evidence, @count, @time, @time, @present, @now)
     ON CONFLICT(agent, site, kind, subject) DO UPDATE SET agency = excluded.agency, name = excluded.name, url = excluded.url,
       evidence = excluded.evidence, count = excluded.count, last_seen = excluded.last_seen, present = excluded.present, updated_at = excluded.updated_at`,
  ).run({ ...f, name: f.name ?? null, subject, present: !run || f.time >= run.last_run ? 1 : 0, now });
}

function makeRoom(db: DB, agent: string): void {
  const { n } = prepared(db, 'SELECT COUNT(*) AS n FROM web_findings WHERE agent = ?').get(agent) as { n: number };
  if (n < MAX_FINDINGS_PER_AGENT) return;
  prepared(db, 'DELETE FROM web_findings WHERE rowid IN (SELECT rowid FROM web_findings WHERE agent = ? ORDER BY present, last_seen LIMIT ?)').run(agent, n - MAX_FINDINGS_PER_AGENT + 1);
}

/** Findings gone for longer than `olderThanMs`, and sites nobody crawled for as long, are forgotten. */
export function purgeWebFindings(db: DB, olderThanMs: number, now: number): void {
  db.prepare('DELETE FROM web_findings WHERE present = 0 AND last_seen < ?').run(now - olderThanMs);
  db.prepare('DELETE FROM web_sites WHERE last_run < ?').run(now - olderThanMs);
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
export function listWebFindings(db: DB, opts: WebListOptions = {}): WebFindingRow[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (opts.agency) {
    where.push('f.agency = ?');
    args.push(opts.agency);
  }
  if (opts.presentOnly) where.push('f.present = 1');
  const rows = db
    .prepare(
      `SELECT f.*, a.name AS agency_name, g.hostname AS hostname FROM web_findings f
       LEFT JOIN agencies a ON a.id = f.agency LEFT JOIN agents g ON g.id = f.agent
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY f.present DESC, f.last_seen DESC, f.agency, f.site, f.kind, f.url LIMIT ?`,
    )
    .all(...args, opts.limit ?? 1000) as Record<string, string | number | null>[];
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
export function listWebSites(db: DB, agency?: string): WebSiteRow[] {
  const rows = db
    .prepare(
      `SELECT s.*, a.name AS agency_name FROM web_sites s LEFT JOIN agencies a ON a.id = s.agency
       ${agency ? 'WHERE s.agency = ?' : ''} ORDER BY s.agency, s.site LIMIT 2000`,
    )
    .all(...(agency ? [agency] : [])) as Record<string, string | number | null>[];
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
export function countWebFindings(db: DB, start: number, end: number): { agency: string; kind: string; findings: number; sites: number }[] {
  return db.prepare(`${WEB_FINDINGS_COUNT_SQL} ORDER BY agency, kind`).all(start, end, start, end) as { agency: string; kind: string; findings: number; sites: number }[];
}
