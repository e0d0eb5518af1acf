// One-time enrolment codes: created hashed with an expiry, redeemed at most once, listed without the code.
import { sql } from 'kysely';
import { hashSecret, newEnrollCode, normaliseEnrollCode } from '../secrets.ts';
import type { StateSql } from './sql/connect.ts';
import type { Q } from './sql/query.ts';

export interface NewCode {
  code: string;
  agency: string;
  expiresAt: number;
}

/** Create a one-time code; only its hash is kept. */
export async function createEnrollCode(state: StateSql, agency: string, ttlMs: number, note?: string, now = Date.now()): Promise<NewCode> {
  const code = newEnrollCode();
  await sql`INSERT INTO enroll_codes (code_hash, agency, created_at, expires_at, note)
    VALUES (${hashSecret(normaliseEnrollCode(code))}, ${agency}, ${now}, ${now + ttlMs}, ${note ?? null})`.execute(state.db);
  return { code, agency, expiresAt: now + ttlMs };
}

export type Redemption = { ok: true; agency: string } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

/**
 * Use a code once. The one UPDATE ... WHERE used_at IS NULL decides: of two racing enrolments (on one
 * collector or two), exactly one changes the row. `q` may be the caller's transaction (the agent is
 * created in the same one, so a failed creation gives the code back).
 */
export async function redeemEnrollCode(q: Q, code: string, usedBy: string, now = Date.now()): Promise<Redemption> {
  const hash = hashSecret(normaliseEnrollCode(code));
  const taken = await sql<{ agency: string }>`UPDATE enroll_codes SET used_at = ${now}, used_by = ${usedBy}
    WHERE code_hash = ${hash} AND used_at IS NULL AND expires_at > ${now} RETURNING agency`.execute(q);
  if (taken.rows[0]) return { ok: true, agency: taken.rows[0].agency };
  // Refused: say why (the route tells the caller nothing more than "refused"; the log does).
  const row = (await sql<{ used_at: number | null }>`SELECT used_at FROM enroll_codes WHERE code_hash = ${hash}`.execute(q)).rows[0];
  if (!row) return { ok: false, reason: 'unknown' };
  return { ok: false, reason: row.used_at !== null ? 'used' : 'expired' };
}

export interface EnrollCodeRow {
  agency: string;
  createdAt: number;
  expiresAt: number;
  usedAt?: number;
  usedBy?: string;
  note?: string;
}

/** Codes created lately (never the code itself: only its hash is kept). */
export async function listEnrollCodes(state: StateSql, opts: { agency?: string; limit?: number } = {}): Promise<EnrollCodeRow[]> {
  const where = opts.agency ? sql`WHERE agency = ${opts.agency}` : sql``;
  const r = await sql<Record<string, unknown>>`SELECT * FROM enroll_codes ${where} ORDER BY created_at DESC LIMIT ${opts.limit ?? 100}`.execute(state.db);
  return r.rows.map((r) => ({
    agency: r.agency as string,
    createdAt: r.created_at as number,
    expiresAt: r.expires_at as number,
    usedAt: (r.used_at as number | null) ?? undefined,
    usedBy: (r.used_by as string | null) ?? undefined,
    note: (r.note as string | null) ?? undefined,
  }));
}
