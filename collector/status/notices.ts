// Status page notices: incidents and planned maintenance that province-wide administrators write in the
// console (title, text, affected services, start, end, updates), shown on the public status page.
import type { DB } from '../state/db.ts';

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

export function addNotice(db: DB, n: Omit<Notice, 'id' | 'createdAt' | 'updates'>, now = Date.now()): Notice {
  const r = db
    .prepare('INSERT INTO status_notices (kind, title, body, services, starts_at, ends_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(n.kind, n.title.slice(0, NOTICE_LIMITS.title), n.body.slice(0, NOTICE_LIMITS.body), JSON.stringify(n.services.slice(0, NOTICE_LIMITS.services)), n.startsAt, n.endsAt ?? null, n.createdBy, now);
  return getNotice(db, Number(r.lastInsertRowid))!;
}

/** Appends an update (at most NOTICE_LIMITS.updates per notice); false when the notice does not exist or is full. */
export function addNoticeUpdate(db: DB, id: number, text: string, author: string, now = Date.now()): boolean {
  if (!getNotice(db, id)) return false;
  const n = (db.prepare('SELECT COUNT(*) AS n FROM status_notice_updates WHERE notice_id = ?').get(id) as { n: number }).n;
  if (n >= NOTICE_LIMITS.updates) return false;
  db.prepare('INSERT INTO status_notice_updates (notice_id, at, text, author) VALUES (?, ?, ?, ?)').run(id, now, text.slice(0, NOTICE_LIMITS.update), author);
  return true;
}

/** Ends a notice now (an incident resolved, maintenance finished). */
export function endNotice(db: DB, id: number, now = Date.now()): boolean {
  return db.prepare('UPDATE status_notices SET ends_at = ? WHERE id = ? AND (ends_at IS NULL OR ends_at > ?)').run(now, id, now).changes === 1;
}

export function getNotice(db: DB, id: number): Notice | undefined {
  const r = db.prepare('SELECT * FROM status_notices WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  return r ? withUpdates(db, toNotice(r)) : undefined;
}

/** Notices running now or in the future, and those that ended within `recentMs`, newest first. */
export function currentNotices(db: DB, now: number, recentMs = 7 * 86_400_000, limit = 20): Notice[] {
  const rows = db.prepare('SELECT * FROM status_notices WHERE ends_at IS NULL OR ends_at >= ? ORDER BY starts_at DESC LIMIT ?').all(now - recentMs, limit) as Record<string, unknown>[];
  return rows.map((r) => withUpdates(db, toNotice(r)));
}

/** Every notice, newest first (the console's list). */
export function listNotices(db: DB, limit = 100): Notice[] {
  return (db.prepare('SELECT * FROM status_notices ORDER BY created_at DESC LIMIT ?').all(limit) as Record<string, unknown>[]).map((r) => withUpdates(db, toNotice(r)));
}

function withUpdates(db: DB, n: Notice): Notice {
  const rows = db.prepare('SELECT at, text, author FROM status_notice_updates WHERE notice_id = ? ORDER BY at').all(n.id) as NoticeUpdate[];
  return { ...n, updates: rows };
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
