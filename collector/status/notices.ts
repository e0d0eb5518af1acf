// Status page notices: incidents and planned maintenance that province-wide administrators write in the
// console (title, text, affected services, start, end, updates), shown on the public status page.
import { sql } from 'kysely';
import type { StateSql } from '../state/sql/connect.ts';
import { changes } from '../state/sql/query.ts';

export type NoticeKind = 'incident' | 'maintenance';

export interface NoticeUpdate {
  at: number;
  text: string;
  author: string;
}

export interface Notice {
  id: number;
  kind: NoticeKind;
  title: string;
  body: string;
  services: string[];
  startsAt: number;
  endsAt?: number;
  createdBy: string;
  createdAt: number;
  updates: NoticeUpdate[];
}

/** Bounds of what a notice may hold (the page is public and cached; nothing grows without end). */
export const NOTICE_LIMITS = { title: 200, body: 4000, update: 2000, updates: 50, services: 50 } as const;

export async function addNotice(state: StateSql, n: Omit<Notice, 'id' | 'createdAt' | 'updates'>, now = Date.now()): Promise<Notice> {
  const services = JSON.stringify(n.services.slice(0, NOTICE_LIMITS.services));
  const r = await sql<{ id: number }>`INSERT INTO status_notices (kind, title, body, services, starts_at, ends_at, created_by, created_at)
    VALUES (${n.kind}, ${n.title.slice(0, NOTICE_LIMITS.title)}, ${n.body.slice(0, NOTICE_LIMITS.body)}, ${services}, ${n.startsAt}, ${n.endsAt ?? null}, ${n.createdBy}, ${now})
    RETURNING id`.execute(state.db);
  return (await getNotice(state, r.rows[0].id))!;
}

/** Appends an update (at most NOTICE_LIMITS.updates per notice); false when the notice does not exist or is full. */
export async function addNoticeUpdate(state: StateSql, id: number, text: string, author: string, now = Date.now()): Promise<boolean> {
  // One statement: the notice must exist and have room (two steps would let two admins both take the last place).
  const r = await sql`INSERT INTO status_notice_updates (notice_id, at, text, author)
    SELECT id, ${now}, ${text.slice(0, NOTICE_LIMITS.update)}, ${author} FROM status_notices
    WHERE id = ${id} AND (SELECT COUNT(*) FROM status_notice_updates WHERE notice_id = ${id}) < ${NOTICE_LIMITS.updates}
    RETURNING id`.execute(state.db);
  return r.rows.length === 1;
}

/** Ends a notice now (an incident resolved, maintenance finished). */
export async function endNotice(state: StateSql, id: number, now = Date.now()): Promise<boolean> {
  return changes(await sql`UPDATE status_notices SET ends_at = ${now} WHERE id = ${id} AND (ends_at IS NULL OR ends_at > ${now})`.execute(state.db)) === 1;
}

export async function getNotice(state: StateSql, id: number): Promise<Notice | undefined> {
  const rows = (await sql<Record<string, unknown>>`SELECT * FROM status_notices WHERE id = ${id}`.execute(state.db)).rows;
  return (await withUpdates(state, rows.map(toNotice)))[0];
}

/** Notices running now or in the future, and those that ended within `recentMs`, newest first. */
export async function currentNotices(state: StateSql, now: number, recentMs = 7 * 86_400_000, limit = 20): Promise<Notice[]> {
  const rows = (
    await sql<Record<string, unknown>>`SELECT * FROM status_notices WHERE ends_at IS NULL OR ends_at >= ${now - recentMs}
      ORDER BY starts_at DESC, id DESC LIMIT ${limit}`.execute(state.db)
  ).rows;
  return withUpdates(state, rows.map(toNotice));
}

/** Every notice, newest first (the console's list). */
export async function listNotices(state: StateSql, limit = 100): Promise<Notice[]> {
  const rows = (await sql<Record<string, unknown>>`SELECT * FROM status_notices ORDER BY created_at DESC, id DESC LIMIT ${limit}`.execute(state.db)).rows;
  return withUpdates(state, rows.map(toNotice));
}

/** The updates of every notice listed, in one query (not one per notice), oldest first. */
async function withUpdates(state: StateSql, notices: Notice[]): Promise<Notice[]> {
  if (notices.length === 0) return notices;
  const ids = notices.map((n) => n.id);
  const rows = (
    await sql<NoticeUpdate & { notice_id: number }>`SELECT notice_id, at, text, author FROM status_notice_updates
      WHERE notice_id IN (${sql.join(ids)}) ORDER BY at, id`.execute(state.db)
  ).rows;
  const byNotice = new Map<number, NoticeUpdate[]>(ids.map((id) => [id, []]));
  for (const r of rows) byNotice.get(r.notice_id)?.push({ at: r.at, text: r.text, author: r.author });
  return notices.map((n) => ({ ...n, updates: byNotice.get(n.id) ?? [] }));
}

function toNotice(r: Record<string, unknown>): Notice {
  let services: string[] = [];
  try {
    const parsed = JSON.parse(r.services as string);
    if (Array.isArray(parsed)) services = parsed.filter((s): s is string => typeof s === 'string');
  } catch {
    // A damaged row shows with no service rather than breaking the page.
  }
  return {
    id: r.id as number,
    kind: r.kind as NoticeKind,
    title: r.title as string,
    body: r.body as string,
    services,
    startsAt: r.starts_at as number,
    endsAt: (r.ends_at as number | null) ?? undefined,
    createdBy: r.created_by as string,
    createdAt: r.created_at as number,
    updates: [],
  };
}
