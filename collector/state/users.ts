// Console user accounts: scrypt password hashes, login checks, disabling, and the principal a user
// acts as in the operator API.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import { scryptOffPool } from './password-hasher.ts';
import type { Principal, Role } from './admin-tokens.ts';
import type { StateSql } from './sql/connect.ts';
import { asciiLower, changes, textOrder } from './sql/query.ts';

/** Console users. Passwords are stored as scrypt hashes with a per-user salt, never in clear. */
export interface UserRow {
  id: number;
  name: string;
  role: Role;
  agency?: string;
  createdAt: number;
  passwordChangedAt: number;
  lastLoginAt?: number;
  disabledAt?: number;
}

// N=2^14, r=8, p=1 (16 MiB, the parameters RFC 7914 and Node use by default): some 50 ms per hash on an
// idle core; the parameters are stored with each hash, so they can be raised later without a reset.
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;
const MAXMEM = 64 * 1024 * 1024;
export const MIN_PASSWORD_LENGTH = 10;

const scryptAsync = scryptOffPool;

/** `scrypt$N$r$p$salt$hash` (base64url): the parameters travel with the hash so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: MAXMEM });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !hash) return false;
  const want = Buffer.from(hash, 'base64url');
  const got = await scryptAsync(password, Buffer.from(salt, 'base64url'), want.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: MAXMEM });
  return got.length === want.length && timingSafeEqual(got, want);
}

/** A password to hand out: 16 characters from an alphabet without look-alikes (about 90 bits). */
export function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(16);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

export function passwordIssue(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > 200) return 'a password may have at most 200 characters';
  return undefined;
}

export const USER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export async function createUser(state: StateSql, u: { name: string; password: string; role: Role; agency?: string }, now = Date.now()): Promise<UserRow> {
  const hash = await hashPassword(u.password);
  const r = await sql<Record<string, unknown>>`INSERT INTO users (name, password_hash, role, agency, created_at, password_changed_at)
    VALUES (${u.name}, ${hash}, ${u.role}, ${u.agency ?? null}, ${now}, ${now}) RETURNING *`.execute(state.db);
  return userFromRow(r.rows[0]);
}

export async function setPassword(state: StateSql, name: string, password: string, now = Date.now()): Promise<boolean> {
  const hash = await hashPassword(password);
  return state.db.transaction().execute(async (trx) => {
    const r = await sql<{ id: number }>`UPDATE users SET password_hash = ${hash}, password_changed_at = ${now} WHERE name = ${name} RETURNING id`.execute(trx);
    if (!r.rows[0]) return false;
    // A new password ends every session opened with the old one.
    await sql`DELETE FROM user_sessions WHERE user_id = ${r.rows[0].id}`.execute(trx);
    return true;
  });
}

/**
 * Disable (ending every session at once, and revoking the API tokens named after the account, which
 * would otherwise keep working for a person who left) or enable an account. Enabling does not bring
 * revoked tokens back. Returns whether the account changed and how many tokens were revoked.
 */
export async function setDisabled(state: StateSql, id: number, disabled: boolean, now = Date.now()): Promise<{ changed: boolean; tokensRevoked: number }> {
  return state.db.transaction().execute(async (trx) => {
    const r = await sql<{ name: string }>`UPDATE users SET disabled_at = ${disabled ? now : null} WHERE id = ${id} RETURNING name`.execute(trx);
    const name = r.rows[0]?.name;
    let tokensRevoked = 0;
    if (disabled && name !== undefined) {
      await sql`DELETE FROM user_sessions WHERE user_id = ${id}`.execute(trx);
      // Tokens named after the account in any case of ASCII letters, as user names compare.
      tokensRevoked = changes(
        await sql`UPDATE admin_tokens SET revoked_at = ${now} WHERE ${asciiLower(state.driver, 'name')} = ${asciiLowerCase(name)} AND revoked_at IS NULL`.execute(trx),
      );
    }
    return { changed: name !== undefined, tokensRevoked };
  });
}

const asciiLowerCase = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

export async function getUser(state: StateSql, id: number): Promise<UserRow | undefined> {
  const r = await sql<Record<string, unknown>>`SELECT * FROM users WHERE id = ${id}`.execute(state.db);
  return r.rows[0] ? userFromRow(r.rows[0]) : undefined;
}

/** Names compare without regard to case (NOCASE on SQLite, citext on PostgreSQL). */
export async function userByName(state: StateSql, name: string): Promise<UserRow | undefined> {
  const r = await userRowByName(state, name);
  return r ? userFromRow(r) : undefined;
}

async function userRowByName(state: StateSql, name: string): Promise<Record<string, unknown> | undefined> {
  return (await sql<Record<string, unknown>>`SELECT * FROM users WHERE name = ${name}`.execute(state.db)).rows[0];
}

export async function listUsers(state: StateSql, limit = 10_000): Promise<UserRow[]> {
  const r = await sql<Record<string, unknown>>`SELECT * FROM users ORDER BY ${textOrder(state.driver, 'name')} LIMIT ${limit}`.execute(state.db);
  return r.rows.map(userFromRow);
}

/** The user if the password is right and the account is enabled. The hash is computed even for an unknown name (same timing). */
export async function checkLogin(state: StateSql, name: string, password: string, now = Date.now()): Promise<UserRow | undefined> {
  const r = await userRowByName(state, name);
  const ok = await verifyPassword(password, (r?.password_hash as string | undefined) ?? DUMMY_HASH);
  if (!r || !ok || r.disabled_at !== null) return undefined;
  await sql`UPDATE users SET last_login_at = ${now} WHERE id = ${r.id}`.execute(state.db);
  return userFromRow(r);
}

const DUMMY_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(32).toString('base64url')}`;

export function principalOfUser(u: UserRow): Principal {
  return { kind: 'user', name: u.name, role: u.role, agency: u.agency };
}

/** A users row as the stores hand it out (sessions read it joined to their own). */
export function userFromRow(r: Record<string, unknown>): UserRow {
  return {
    id: r.id as number,
    name: r.name as string,
    role: r.role as Role,
    agency: (r.agency as string | null) ?? undefined,
    createdAt: r.created_at as number,
    passwordChangedAt: r.password_changed_at as number,
    lastLoginAt: (r.last_login_at as number | null) ?? undefined,
    disabledAt: (r.disabled_at as number | null) ?? undefined,
  };
}
