// Console user accounts: scrypt password hashes, login checks, disabling, and the principal a user
// acts as in the operator API.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { scryptOffPool } from './password-hasher.ts';
import type { Principal, Role } from './admin-tokens.ts';
import type { DB } from './db.ts';

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

export async function createUser(db: DB, u: { name: string; password: string; role: Role; agency?: string }, now = Date.now()): Promise<UserRow> {
  const hash = await hashPassword(u.password);
  const r = db
    .prepare('INSERT INTO users (name, password_hash, role, agency, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(u.name, hash, u.role, u.agency ?? null, now, now);
  return getUser(db, Number(r.lastInsertRowid))!;
}

export async function setPassword(db: DB, name: string, password: string, now = Date.now()): Promise<boolean> {
  const hash = await hashPassword(password);
  const user = userByName(db, name);
  if (!user) return false;
  db.transaction(() => {
    db.prepare('UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?').run(hash, now, user.id);
    // A new password ends every session opened with the old one.
    db.prepare('DELETE FROM user_sessions WHERE user_id = ?').run(user.id);
  })();
  return true;
}

/**
 * Disable (ending every session at once, and revoking the API tokens named after the account, which
 * would otherwise keep working for a person who left) or enable an account. Enabling does not bring
 * revoked tokens back. Returns whether the account changed and how many tokens were revoked.
 */
export function setDisabled(db: DB, id: number, disabled: boolean, now = Date.now()): { changed: boolean; tokensRevoked: number } {
  return db.transaction(() => {
    const changed = db.prepare(`UPDATE users SET disabled_at = ${disabled ? '?' : 'NULL'} WHERE id = ?`).run(...(disabled ? [now, id] : [id])).changes === 1;
    let tokensRevoked = 0;
    if (disabled) {
      db.prepare('DELETE FROM user_sessions WHERE user_id = ?').run(id);
      const name = (db.prepare('SELECT name FROM users WHERE id = ?').get(id) as { name: string } | undefined)?.name;
      if (name) tokensRevoked = db.prepare('UPDATE admin_tokens SET revoked_at = ? WHERE name = ? COLLATE NOCASE AND revoked_at IS NULL').run(now, name).changes;
    }
    return { changed, tokensRevoked };
  })();
}

export function getUser(db: DB, id: number): UserRow | undefined {
  const r = db.prepare('SELECT * FROM users WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  return r ? toRow(r) : undefined;
}

export function userByName(db: DB, name: string): UserRow | undefined {
  const r = db.prepare('SELECT * FROM users WHERE name = ?').get(name) as Record<string, unknown> | undefined;
  return r ? toRow(r) : undefined;
}

export function listUsers(db: DB): UserRow[] {
  return (db.prepare('SELECT * FROM users ORDER BY name').all() as Record<string, unknown>[]).map(toRow);
}

/** The user if the password is right and the account is enabled. The hash is computed even for an unknown name (same timing). */
export async function checkLogin(db: DB, name: string, password: string, now = Date.now()): Promise<UserRow | undefined> {
  const r = db.prepare('SELECT * FROM users WHERE name = ?').get(name) as Record<string, unknown> | undefined;
  const ok = await verifyPassword(password, (r?.password_hash as string | undefined) ?? DUMMY_HASH);
  if (!r || !ok || r.disabled_at !== null) return undefined;
  db.prepare('UPDATE users SET last_login_at = ? WHERE id = ?').run(now, r.id);
  return toRow(r);
}

const DUMMY_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(32).toString('base64url')}`;

export function principalOfUser(u: UserRow): Principal {
  return { kind: 'user', name: u.name, role: u.role, agency: u.agency };
}

function toRow(r: Record<string, unknown>): UserRow {
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
