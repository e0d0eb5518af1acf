// Operator roles and API tokens: parsing and ranking roles, and the tokens behind them (hash only);
// the role model console users share.
import { hashSecret, newAdminToken } from '../secrets.ts';
import type { DB } from './db.ts';

export type Role = 'viewer' | 'operator' | 'admin';
export const ROLE_RANK: Readonly<Record<Role, number>> = Object.freeze({ viewer: 1, operator: 2, admin: 3 });
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

/**
 * The one way to turn untrusted text into a role. `text in ROLE_RANK` would also accept inherited keys
 * such as `constructor`, which then compare as NaN and slip through rank checks.
 */
export function parseRole(text: unknown): Role | undefined {
  return typeof text === 'string' && Object.hasOwn(ROLE_RANK, text) ? (text as Role) : undefined;
}

/** True when `role` is at least `needed`; an unknown role never passes. */
export function roleAtLeast(role: unknown, needed: Role): boolean {
  const r = parseRole(role);
  return r !== undefined && ROLE_RANK[r] >= ROLE_RANK[needed];
}

export interface Principal {
  kind: 'token' | 'user';
  name: string;
  role: Role;
  /** When set, the principal sees only this agency, everywhere. */
  agency?: string;
}

/** API tokens for operators and scripts; only the hash is stored. */
export function createAdminToken(db: DB, name: string, role: Role = 'admin', agency?: string, now = Date.now()): string {
  const token = newAdminToken();
  db.prepare('INSERT INTO admin_tokens (token_hash, name, role, agency, created_at) VALUES (?, ?, ?, ?, ?)').run(hashSecret(token), name, role, agency ?? null, now);
  return token;
}

export function principalByAdminToken(db: DB, token: string, now = Date.now()): Principal | undefined {
  const hash = hashSecret(token);
  const r = db.prepare('SELECT name, role, agency FROM admin_tokens WHERE token_hash = ? AND revoked_at IS NULL').get(hash) as
    | { name: string; role: Role; agency: string | null }
    | undefined;
  if (!r) return undefined;
  db.prepare('UPDATE admin_tokens SET last_used = ? WHERE token_hash = ?').run(now, hash);
  return { kind: 'token', name: r.name, role: r.role, agency: r.agency ?? undefined };
}

export function revokeAdminToken(db: DB, name: string, now = Date.now()): number {
  return db.prepare('UPDATE admin_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL').run(now, name).changes;
}

export interface AdminTokenRow {
  id: number;
  name: string;
  role: Role;
  agency?: string;
  createdAt: number;
  lastUsed?: number;
  revokedAt?: number;
}

/** Every API token (never its hash), newest first, for the console's token page. */
export function listAdminTokens(db: DB, limit = 500): AdminTokenRow[] {
  const rows = db.prepare('SELECT rowid AS id, name, role, agency, created_at, last_used, revoked_at FROM admin_tokens ORDER BY created_at DESC LIMIT ?').all(limit) as Record<string, unknown>[];
  return rows.map((r) => ({
    id: r.id as number,
    name: r.name as string,
    role: r.role as Role,
    agency: (r.agency as string | null) ?? undefined,
    createdAt: r.created_at as number,
    lastUsed: (r.last_used as number | null) ?? undefined,
    revokedAt: (r.revoked_at as number | null) ?? undefined,
  }));
}

/** Revokes one token by its id; the row (name, role) if it was active. */
export function revokeAdminTokenById(db: DB, id: number, now = Date.now()): AdminTokenRow | undefined {
  const r = db.prepare('SELECT rowid AS id, name, role, agency, created_at, last_used FROM admin_tokens WHERE rowid = ? AND revoked_at IS NULL').get(id) as Record<string, unknown> | undefined;
  if (!r) return undefined;
  const row: AdminTokenRow = { id: r.id as number, name: r.name as string, role: r.role as Role, agency: (r.agency as string | null) ?? undefined, createdAt: r.created_at as number, lastUsed: (r.last_used as number | null) ?? undefined };
  db.prepare('UPDATE admin_tokens SET revoked_at = ? WHERE rowid = ? AND revoked_at IS NULL').run(now, id);
  return { ...row, revokedAt: now };
}
