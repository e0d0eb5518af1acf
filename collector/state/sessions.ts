// Console login sessions: hashed ids with absolute and idle expiry, and the CSRF token derived from each.
import { createHmac, randomBytes } from 'node:crypto';
import { hashSecret } from '../secrets.ts';
import type { DB } from './db.ts';
import { getUser, type UserRow } from './users.ts';

/** Console sessions: the id lives only in the browser's cookie; SQLite keeps its SHA-256. */
export interface Session {
  id: string;
  user: UserRow;
  expiresAt: number;
  /** The synchronizer token for forms and unsafe API calls, derived from the id (so never stored). */
  csrf: string;
}

export const SESSION_TTL_MS = 12 * 3_600_000;
/** Idle sessions end sooner than the absolute lifetime. */
export const SESSION_IDLE_MS = 2 * 3_600_000;

export function csrfTokenOf(sessionId: string): string {
  return createHmac('sha256', sessionId).update('canhgac-csrf').digest('base64url');
}

export function createSession(db: DB, userId: number, address: string | undefined, now = Date.now()): string {
  const id = randomBytes(32).toString('base64url');
  db.prepare('INSERT INTO user_sessions (id_hash, user_id, created_at, expires_at, last_seen, address) VALUES (?, ?, ?, ?, ?, ?)').run(hashSecret(id), userId, now, now + SESSION_TTL_MS, now, address ?? null);
  // Old sessions of anyone are swept here rather than by a timer.
  db.prepare('DELETE FROM user_sessions WHERE expires_at <= ? OR last_seen <= ?').run(now, now - SESSION_IDLE_MS);
  return id;
}

export function sessionById(db: DB, id: string, now = Date.now()): Session | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
  const hash = hashSecret(id);
  const r = db.prepare('SELECT user_id, expires_at, last_seen FROM user_sessions WHERE id_hash = ?').get(hash) as { user_id: number; expires_at: number; last_seen: number } | undefined;
  if (!r || r.expires_at <= now || r.last_seen <= now - SESSION_IDLE_MS) return undefined;
  const user = getUser(db, r.user_id);
  if (!user || user.disabledAt !== undefined) return undefined;
  // Write at most once a minute: pages poll, and every request need not hit the disk.
  if (now - r.last_seen > 60_000) db.prepare('UPDATE user_sessions SET last_seen = ? WHERE id_hash = ?').run(now, hash);
  return { id, user, expiresAt: r.expires_at, csrf: csrfTokenOf(id) };
}

export function endSession(db: DB, id: string): void {
  db.prepare('DELETE FROM user_sessions WHERE id_hash = ?').run(hashSecret(id));
}
