// Console login sessions: hashed ids with absolute and idle expiry, and the CSRF token derived from each.
import { createHmac, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { hashSecret } from '../secrets.ts';
import type { StateSql } from './sql/connect.ts';
import { userFromRow, type UserRow } from './users.ts';

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

export async function createSession(state: StateSql, userId: number, address: string | undefined, now = Date.now()): Promise<string> {
  const id = randomBytes(32).toString('base64url');
  await sql`INSERT INTO user_sessions (id_hash, user_id, created_at, expires_at, last_seen, address)
    VALUES (${hashSecret(id)}, ${userId}, ${now}, ${now + SESSION_TTL_MS}, ${now}, ${address ?? null})`.execute(state.db);
  // Old sessions of anyone are swept here rather than by a timer.
  await sql`DELETE FROM user_sessions WHERE expires_at <= ${now} OR last_seen <= ${now - SESSION_IDLE_MS}`.execute(state.db);
  return id;
}

/** The session and its user (one query), unless expired, idle too long, or the user is disabled. */
export async function sessionById(state: StateSql, id: string, now = Date.now()): Promise<Session | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
  const hash = hashSecret(id);
  const r = (
    await sql<Record<string, unknown> & { session_expires_at: number; session_last_seen: number }>`SELECT users.*, s.expires_at AS session_expires_at, s.last_seen AS session_last_seen
      FROM user_sessions s JOIN users ON users.id = s.user_id WHERE s.id_hash = ${hash}`.execute(state.db)
  ).rows[0];
  if (!r || r.session_expires_at <= now || r.session_last_seen <= now - SESSION_IDLE_MS) return undefined;
  const user = userFromRow(r);
  if (user.disabledAt !== undefined) return undefined;
  // Write at most once a minute: pages poll, and every request need not hit the disk.
  if (now - r.session_last_seen > 60_000) await sql`UPDATE user_sessions SET last_seen = ${now} WHERE id_hash = ${hash}`.execute(state.db);
  return { id, user, expiresAt: r.session_expires_at, csrf: csrfTokenOf(id) };
}

export async function endSession(state: StateSql, id: string): Promise<void> {
  await sql`DELETE FROM user_sessions WHERE id_hash = ${hashSecret(id)}`.execute(state.db);
}
