// One-time enrolment codes: created hashed with an expiry, redeemed at most once, listed without the code.
import { hashSecret, newEnrollCode, normaliseEnrollCode } from '../secrets.ts';
import type { DB } from './db.ts';

export interface NewCode {
  code: string;
  agency: string;
  expiresAt: number;
}

/** Create a one-time code; only its hash is kept. */
export function createEnrollCode(db: DB, agency: string, ttlMs: number, note?: string, now = Date.now()): NewCode {
  const code = newEnrollCode();
  db.prepare('INSERT INTO enroll_codes (code_hash, agency, created_at, expires_at, note) VALUES (?, ?, ?, ?, ?)').run(
    hashSecret(normaliseEnrollCode(code)),
    agency,
    now,
    now + ttlMs,
    note ?? null,
  );
  return { code, agency, expiresAt: now + ttlMs };
}

export type Redemption = { ok: true; agency: string } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

/** Use a code once: the UPDATE ... WHERE used_at IS NULL makes two racing enrolments impossible. */
export function redeemEnrollCode(db: DB, code: string, usedBy: string, now = Date.now()): Redemption {
  const hash = hashSecret(normaliseEnrollCode(code));
  const row = db.prepare('SELECT agency, expires_at, used_at FROM enroll_codes WHERE code_hash = ?').get(hash) as
    | { agency: string; expires_at: number; used_at: number | null }
    | undefined;
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.used_at !== null) return { ok: false, reason: 'used' };
  if (row.expires_at <= now) return { ok: false, reason: 'expired' };
  const r = db.prepare('UPDATE enroll_codes SET used_at = ?, used_by = ? WHERE code_hash = ? AND used_at IS NULL').run(now, usedBy, hash);
  if (r.changes !== 1) return { ok: false, reason: 'used' };
  return { ok: true, agency: row.agency };
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
export function listEnrollCodes(db: DB, opts: { agency?: string; limit?: number } = {}): EnrollCodeRow[] {
  const rows = (
    opts.agency
      ? db.prepare('SELECT * FROM enroll_codes WHERE agency = ? ORDER BY created_at DESC LIMIT ?').all(opts.agency, opts.limit ?? 100)
      : db.prepare('SELECT * FROM enroll_codes ORDER BY created_at DESC LIMIT ?').all(opts.limit ?? 100)
  ) as Record<string, unknown>[];
  return rows.map((r) => ({
    agency: r.agency as string,
    createdAt: r.created_at as number,
    expiresAt: r.expires_at as number,
    usedAt: (r.used_at as number | null) ?? undefined,
    usedBy: (r.used_by as string | null) ?? undefined,
    note: (r.note as string | null) ?? undefined,
  }));
}
