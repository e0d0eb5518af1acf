/**
 * The province-wide certificate inventory: one row per certificate an agent last saw, on a TLS
 * endpoint (one row per endpoint: a renewal replaces it) or in a file (one row per certificate in
 * it: a file's rows are replaced by each newer reading). Days left and problems are computed when
 * read, from the stored expiry and flags, so a list is never out of date between samples.
 */
import { sql } from 'kysely';
import type { StateSql } from './sql/connect.ts';
import { changes, textOrder, type Q } from './sql/query.ts';

export type CertKind = 'endpoint' | 'file';

/** A threshold that every inventory consumer shares: under it a certificate is "expiring". */
export const EXPIRING_DAYS = 30;

export const PROBLEMS = [
  'unreachable',
  'unreadable',
  'expired',
  'expiring',
  'untrusted',
  'hostname_mismatch',
  'self_signed',
  'legacy_tls',
  'weak_key',
  'weak_signature',
] as const;
export type Problem = (typeof PROBLEMS)[number];

export interface CertObservation {
  agent: string;
  agency: string;
  kind: CertKind;
  location: string;
  /** Distinguishes certificates of one file (their serial); '' for an endpoint. */
  item: string;
  /** Sample time, ms. */
  time: number;
  result: string;
  detail?: string;
  /** Absent when the probe failed: the last certificate read is kept. */
  cert?: {
    serial?: string;
    subjectCn?: string;
    issuerCn?: string;
    notAfter?: number;
    earliestNotAfter?: number;
    chainValid?: number;
    hostnameMatch?: number;
    selfSigned?: number;
    legacyTls?: number;
    weakKey?: number;
    weakSignature?: number;
  };
}

/** The latest reading of one certificate (on the caller's transaction); an older resend changes nothing. */
export async function recordCertificate(q: Q, o: CertObservation, now: number): Promise<void> {
  const existing = await sql<{ sample_time: number }>`SELECT sample_time FROM certificates
    WHERE agent = ${o.agent} AND kind = ${o.kind} AND location = ${o.location} AND item = ${o.item}`.execute(q);
  if (existing.rows.length > 0 && existing.rows[0].sample_time > o.time) return; // a late resend of an older reading
  const detail = o.detail ?? null;
  if (!o.cert) {
    await sql`INSERT INTO certificates (agent, agency, kind, location, item, result, detail, sample_time, first_seen, last_seen)
      VALUES (${o.agent}, ${o.agency}, ${o.kind}, ${o.location}, ${o.item}, ${o.result}, ${detail}, ${o.time}, ${now}, ${now})
      ON CONFLICT (agent, kind, location, item) DO UPDATE SET agency = excluded.agency, result = excluded.result,
        detail = excluded.detail, sample_time = excluded.sample_time, last_seen = excluded.last_seen`.execute(q);
    return;
  }
  const c = o.cert;
  const n = <T>(v: T | undefined): T | null => v ?? null;
  // IS NOT DISTINCT FROM: equal, or both unknown (SQLite's `IS`; both engines know it).
  await sql`INSERT INTO certificates (agent, agency, kind, location, item, serial, subject_cn, issuer_cn, not_after, earliest_not_after,
      chain_valid, hostname_match, self_signed, legacy_tls, weak_key, weak_signature, result, detail, sample_time, first_seen, last_seen)
    VALUES (${o.agent}, ${o.agency}, ${o.kind}, ${o.location}, ${o.item}, ${n(c.serial)}, ${n(c.subjectCn)}, ${n(c.issuerCn)}, ${n(c.notAfter)},
      ${c.earliestNotAfter ?? c.notAfter ?? null}, ${n(c.chainValid)}, ${n(c.hostnameMatch)}, ${n(c.selfSigned)}, ${n(c.legacyTls)}, ${n(c.weakKey)},
      ${n(c.weakSignature)}, ${o.result}, ${detail}, ${o.time}, ${now}, ${now})
    ON CONFLICT (agent, kind, location, item) DO UPDATE SET agency = excluded.agency, serial = excluded.serial,
      subject_cn = excluded.subject_cn, issuer_cn = excluded.issuer_cn, not_after = excluded.not_after,
      earliest_not_after = excluded.earliest_not_after, chain_valid = excluded.chain_valid, hostname_match = excluded.hostname_match,
      self_signed = excluded.self_signed, legacy_tls = excluded.legacy_tls, weak_key = excluded.weak_key,
      weak_signature = excluded.weak_signature, result = excluded.result, detail = excluded.detail,
      sample_time = excluded.sample_time, last_seen = excluded.last_seen,
      first_seen = CASE WHEN certificates.serial IS NOT DISTINCT FROM excluded.serial THEN certificates.first_seen ELSE excluded.first_seen END`.execute(q);
}

/** A newer reading of a file replaces all that was read from it before (renewed, removed, fixed). */
export async function dropOlderFileReadings(q: Q, agent: string, location: string, time: number): Promise<void> {
  await sql`DELETE FROM certificates WHERE agent = ${agent} AND kind = 'file' AND location = ${location} AND sample_time < ${time}`.execute(q);
}

/** Rows nobody reported for this long belong to checks that were removed. */
export async function purgeUnseen(q: Q, olderThanMs: number, now: number): Promise<number> {
  return changes(await sql`DELETE FROM certificates WHERE last_seen < ${now - olderThanMs}`.execute(q));
}

export interface CertificateRow {
  agency: string;
  agencyName: string;
  agent: string;
  agentHostname?: string;
  kind: CertKind;
  /** Where it was seen: `host:port` (with its SNI) for an endpoint, the file path or store otherwise. */
  location: string;
  subject?: string;
  issuer?: string;
  serial?: string;
  /** ISO 8601; the leaf's expiry. */
  notAfter?: string;
  /** ISO 8601; the first expiry in the chain sent (endpoints) or the certificate's own (files). */
  earliestNotAfter?: string;
  /** Days until `earliestNotAfter`, now; negative once expired. */
  daysLeft?: number;
  problems: Problem[];
  result: string;
  error?: string;
  lastSeen: string;
}

export interface ListOptions {
  agency?: string;
  /** Only certificates expiring within this many days (expired ones included). */
  withinDays?: number;
  limit?: number;
  /** Rows to skip (a page of the console's list). */
  offset?: number;
  now?: number;
}

interface DbRow {
  agent: string;
  agency: string;
  agency_name: string | null;
  hostname: string | null;
  kind: CertKind;
  location: string;
  serial: string | null;
  subject_cn: string | null;
  issuer_cn: string | null;
  not_after: number | null;
  earliest_not_after: number | null;
  chain_valid: number | null;
  hostname_match: number | null;
  self_signed: number | null;
  legacy_tls: number | null;
  weak_key: number | null;
  weak_signature: number | null;
  result: string;
  detail: string | null;
  last_seen: number;
}

/** Sorted by days left, soonest first; rows never read (unreachable from the start) last. */
export async function listCertificates(state: StateSql, opts: ListOptions = {}): Promise<CertificateRow[]> {
  const now = opts.now ?? Date.now();
  // Built here rather than as `? IS NULL OR ...`: PostgreSQL cannot type a bare parameter.
  const where = [sql`1 = 1`];
  if (opts.agency) where.push(sql`c.agency = ${opts.agency}`);
  if (opts.withinDays !== undefined) {
    where.push(sql`c.earliest_not_after IS NOT NULL AND c.earliest_not_after <= ${Math.floor(now / 1000 + opts.withinDays * 86_400)}`);
  }
  const o = (column: string) => textOrder(state.driver, column);
  const rows = (
    await sql<DbRow>`SELECT c.*, a.name AS agency_name, g.hostname AS hostname FROM certificates c
      LEFT JOIN agencies a ON a.id = c.agency LEFT JOIN agents g ON g.id = c.agent
      WHERE ${sql.join(where, sql` AND `)}
      ORDER BY c.earliest_not_after IS NULL, c.earliest_not_after, ${o('c.agency')}, ${o('c.location')}, ${o('c.item')}
      LIMIT ${opts.limit ?? 10_000} OFFSET ${opts.offset ?? 0}`.execute(state.db)
  ).rows;
  return rows.map((r) => toRow(r, now));
}

/** How many certificates are known (in an agency), and how many of them are expired or expiring within `expiringDays`. */
export async function countCertificates(
  state: StateSql,
  opts: { agency?: string; expiringDays: number; now?: number },
): Promise<{ total: number; expired: number; expiring: number }> {
  const now = Math.floor((opts.now ?? Date.now()) / 1000);
  const soon = now + opts.expiringDays * 86_400;
  const agency = opts.agency ? sql`WHERE agency = ${opts.agency}` : sql``;
  // CASE rather than summing a comparison: PostgreSQL's comparisons are booleans, not 0/1.
  const r = await sql<{ total: number; expired: number; expiring: number }>`SELECT count(*) AS total,
      coalesce(sum(CASE WHEN earliest_not_after IS NOT NULL AND earliest_not_after < ${now} THEN 1 ELSE 0 END), 0) AS expired,
      coalesce(sum(CASE WHEN earliest_not_after IS NOT NULL AND earliest_not_after >= ${now} AND earliest_not_after <= ${soon} THEN 1 ELSE 0 END), 0) AS expiring
    FROM certificates ${agency}`.execute(state.db);
  const row = r.rows[0];
  return { total: Number(row.total), expired: Number(row.expired), expiring: Number(row.expiring) };
}

const iso = (seconds: number | null) => (seconds === null ? undefined : new Date(seconds * 1000).toISOString());

function toRow(r: DbRow, now: number): CertificateRow {
  const daysLeft = r.earliest_not_after === null ? undefined : Math.round(((r.earliest_not_after * 1000 - now) / 86_400_000) * 100) / 100;
  return {
    agency: r.agency,
    agencyName: r.agency_name ?? r.agency,
    agent: r.agent,
    agentHostname: r.hostname ?? undefined,
    kind: r.kind,
    location: r.location,
    subject: r.subject_cn ?? undefined,
    issuer: r.issuer_cn ?? undefined,
    serial: r.serial ?? undefined,
    notAfter: iso(r.not_after),
    earliestNotAfter: iso(r.earliest_not_after),
    daysLeft,
    problems: problemsOf(r, daysLeft),
    result: r.result,
    error: r.detail ?? undefined,
    lastSeen: new Date(r.last_seen).toISOString(),
  };
}

function problemsOf(r: DbRow, daysLeft: number | undefined): Problem[] {
  const p: Problem[] = [];
  if (r.result !== 'ok') p.push(r.kind === 'endpoint' ? 'unreachable' : 'unreadable');
  if (daysLeft !== undefined && daysLeft <= 0) p.push('expired');
  else if (daysLeft !== undefined && daysLeft < EXPIRING_DAYS) p.push('expiring');
  if (r.chain_valid === 0) p.push('untrusted');
  if (r.hostname_match === 0) p.push('hostname_mismatch');
  // In files, self-signed certificates are mostly CA roots kept on purpose: not a problem there.
  if (r.kind === 'endpoint' && r.self_signed === 1) p.push('self_signed');
  if (r.legacy_tls === 1) p.push('legacy_tls');
  if (r.weak_key === 1) p.push('weak_key');
  if (r.weak_signature === 1) p.push('weak_signature');
  return p;
}
