/**
 * The province-wide certificate inventory: one row per certificate an agent last saw, on a TLS
 * endpoint (one row per endpoint: a renewal replaces it) or in a file (one row per certificate in
 * it: a file's rows are replaced by each newer reading). Days left and problems are computed when
 * read, from the stored expiry and flags, so a list is never out of date between samples.
 */
import { prepared, type DB } from './db.ts';

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

// Prepared once per database (prepared()): parsing the upsert each time cost about a millisecond per sample.
function stmts(db: DB) {
  return {
    existing: prepared(db, 'SELECT sample_time FROM certificates WHERE agent = ? AND kind = ? AND location = ? AND item = ?'),
    failure: prepared(
      db,
      `INSERT INTO certificates (agent, agency, kind, location, item, result, detail, sample_time, first_seen, last_seen)
       VALUES (@agent, @agency, @kind, @location, @item, @result, @detail, @time, @now, @now)
       ON CONFLICT(agent, kind, location, item) DO UPDATE SET agency = excluded.agency, result = excluded.result,
         detail = excluded.detail, sample_time = excluded.sample_time, last_seen = excluded.last_seen`,
    ),
    reading: prepared(
      db,
      `INSERT INTO certificates (agent, agency, kind, location, item, serial, subject_cn, issuer_cn, not_after, earliest_not_after,
         chain_valid, hostname_match, self_signed, legacy_tls, weak_key, weak_signature, result, detail, sample_time, first_seen, last_seen)
       VALUES (@agent, @agency, @kind, @location, @item, @serial, @subjectCn, @issuerCn, @notAfter, @earliestNotAfter,
         @chainValid, @hostnameMatch, @selfSigned, @legacyTls, @weakKey, @weakSignature, @result, @detail, @time, @now, @now)
       ON CONFLICT(agent, kind, location, item) DO UPDATE SET agency = excluded.agency, serial = excluded.serial,
         subject_cn = excluded.subject_cn, issuer_cn = excluded.issuer_cn, not_after = excluded.not_after,
         earliest_not_after = excluded.earliest_not_after, chain_valid = excluded.chain_valid, hostname_match = excluded.hostname_match,
         self_signed = excluded.self_signed, legacy_tls = excluded.legacy_tls, weak_key = excluded.weak_key,
         weak_signature = excluded.weak_signature, result = excluded.result, detail = excluded.detail,
         sample_time = excluded.sample_time, last_seen = excluded.last_seen,
         first_seen = CASE WHEN certificates.serial IS excluded.serial THEN certificates.first_seen ELSE excluded.first_seen END`,
    ),
    dropOlder: prepared(db, "DELETE FROM certificates WHERE agent = ? AND kind = 'file' AND location = ? AND sample_time < ?"),
  };
}

export function recordCertificate(db: DB, o: CertObservation, now: number): void {
  const st = stmts(db);
  const existing = st.existing.get(o.agent, o.kind, o.location, o.item) as
    | { sample_time: number }
    | undefined;
  if (existing && existing.sample_time > o.time) return; // a late resend of an older reading
  const params = {
    agent: o.agent,
    agency: o.agency,
    kind: o.kind,
    location: o.location,
    item: o.item,
    result: o.result,
    detail: o.detail ?? null,
    time: o.time,
    now,
  };
  if (!o.cert) {
    st.failure.run(params);
    return;
  }
  const c = o.cert;
  st.reading.run({
    ...params,
    serial: c.serial ?? null,
    subjectCn: c.subjectCn ?? null,
    issuerCn: c.issuerCn ?? null,
    notAfter: c.notAfter ?? null,
    earliestNotAfter: c.earliestNotAfter ?? c.notAfter ?? null,
    chainValid: c.chainValid ?? null,
    hostnameMatch: c.hostnameMatch ?? null,
    selfSigned: c.selfSigned ?? null,
    legacyTls: c.legacyTls ?? null,
    weakKey: c.weakKey ?? null,
    weakSignature: c.weakSignature ?? null,
  });
}

/** A newer reading of a file replaces all that was read from it before (renewed, removed, fixed). */
export function dropOlderFileReadings(db: DB, agent: string, location: string, time: number): void {
  stmts(db).dropOlder.run(agent, location, time);
}

/** Rows nobody reported for this long belong to checks that were removed. */
export function purgeUnseen(db: DB, olderThanMs: number, now: number): number {
  return db.prepare('DELETE FROM certificates WHERE last_seen < ?').run(now - olderThanMs).changes;
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
export function listCertificates(db: DB, opts: ListOptions = {}): CertificateRow[] {
  const now = opts.now ?? Date.now();
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (opts.agency) {
    where.push('c.agency = ?');
    args.push(opts.agency);
  }
  if (opts.withinDays !== undefined) {
    where.push('c.earliest_not_after IS NOT NULL AND c.earliest_not_after <= ?');
    args.push(Math.floor(now / 1000 + opts.withinDays * 86_400));
  }
  const rows = db
    .prepare(
      `SELECT c.*, a.name AS agency_name, g.hostname AS hostname FROM certificates c
       LEFT JOIN agencies a ON a.id = c.agency LEFT JOIN agents g ON g.id = c.agent
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY c.earliest_not_after IS NULL, c.earliest_not_after, c.agency, c.location, c.item
       LIMIT ? OFFSET ?`,
    )
    .all(...args, opts.limit ?? 10_000, opts.offset ?? 0) as DbRow[];
  return rows.map((r) => toRow(r, now));
}

/** How many certificates are known (in an agency), and how many of them are expired or expiring within `expiringDays`. */
export function countCertificates(db: DB, opts: { agency?: string; expiringDays: number; now?: number }): { total: number; expired: number; expiring: number } {
  const now = Math.floor((opts.now ?? Date.now()) / 1000);
  const r = db
    .prepare(
      `SELECT count(*) AS total,
         coalesce(sum(earliest_not_after IS NOT NULL AND earliest_not_after < @now), 0) AS expired,
         coalesce(sum(earliest_not_after IS NOT NULL AND earliest_not_after >= @now AND earliest_not_after <= @soon), 0) AS expiring
       FROM certificates ${opts.agency ? 'WHERE agency = @agency' : ''}`,
    )
    .get({ now, soon: now + opts.expiringDays * 86_400, ...(opts.agency ? { agency: opts.agency } : {}) }) as { total: number; expired: number; expiring: number };
  return r;
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
