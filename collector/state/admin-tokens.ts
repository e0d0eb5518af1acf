// Operator roles and API tokens: parsing and ranking roles, and the tokens behind them (hash only);
// the role model console users share.
import { sql } from 'kysely';
import { hashSecret, newAdminToken } from '../secrets.ts';
import type { StateSql } from './sql/connect.ts';
import { changes } from './sql/query.ts';

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
export async function createAdminToken(state: StateSql, name: string, role: Role = 'admin', agency?: string, now = Date.now()): Promise<string> {
  const token = newAdminToken();
  await sql`INSERT INTO admin_tokens (token_hash, name, role, agency, created_at) VALUES (${hashSecret(token)}, ${name}, ${role}, ${agency ?? null}, ${now})`.execute(state.db);
  return token;
}

/** The principal of an active token (and when it was last used: one write per call, operators' calls only). */
export async function principalByAdminToken(state: StateSql, token: string, now = Date.now()): Promise<Principal | undefined> {
  const r = (
    await sql<{ name: string; role: Role; agency: string | null }>`UPDATE admin_tokens SET last_used = ${now}
      WHERE token_hash = ${hashSecret(token)} AND revoked_at IS NULL RETURNING name, role, agency`.execute(state.db)
  ).rows[0];
  return r ? { kind: 'token', name: r.name, role: r.role, agency: r.agency ?? undefined } : undefined;
}

/** Revokes every active token of that name (exact name, as created); how many. */
export async function revokeAdminToken(state: StateSql, name: string, now = Date.now()): Promise<number> {
  return changes(await sql`UPDATE admin_tokens SET revoked_at = ${now} WHERE name = ${name} AND revoked_at IS NULL`.execute(state.db));
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
export async function listAdminTokens(state: StateSql, limit = 500): Promise<AdminTokenRow[]> {
  const r = await sql<Record<string, unknown>>`SELECT id, name, role, agency, created_at, last_used, revoked_at FROM admin_tokens ORDER BY created_at DESC, id DESC LIMIT ${limit}`.execute(state.db);
  return r.rows.map(toRow);
}

/** Revokes one token by its id; the row (name, role) if it was active. */
export async function revokeAdminTokenById(state: StateSql, id: number, now = Date.now()): Promise<AdminTokenRow | undefined> {
  const r = await sql<Record<string, unknown>>`UPDATE admin_tokens SET revoked_at = ${now} WHERE id = ${id} AND revoked_at IS NULL
    RETURNING id, name, role, agency, created_at, last_used, revoked_at`.execute(state.db);
  return r.rows[0] ? toRow(r.rows[0]) : undefined;
}

function toRow(r: Record<string, unknown>): AdminTokenRow {
  return {
    id: r.id as number,
    name: r.name as string,
    role: r.role as Role,
    agency: (r.agency as string | null) ?? undefined,
    createdAt: r.created_at as number,
    lastUsed: (r.last_used as number | null) ?? undefined,
    revokedAt: (r.revoked_at as number | null) ?? undefined,
  };
}
