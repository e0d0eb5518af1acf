// A generic, append-only event log in the state database (kind, agency, JSON payload), pruned with the
// alert history; today the device inventory records each `new_device` here.
import type { DB } from './db.ts';

/**
 * Things that happened, kept for whoever acts on them later (the `new_lan_device` alert comes from the
 * agent's `lan_summary.new_devices`, not from here). Generic on purpose: a kind, an agency and a JSON
 * payload; consumers keep their own cursor (the id).
 */
export interface EventRow {
  id: number;
  agency: string;
  kind: string;
  payload: Record<string, unknown>;
  createdAt: number;
}

export function appendEvent(db: DB, agency: string, kind: string, payload: Record<string, unknown>, now = Date.now()): number {
  const r = db.prepare('INSERT INTO events (agency, kind, payload, created_at) VALUES (?, ?, ?, ?)').run(agency, kind, JSON.stringify(payload), now);
  return Number(r.lastInsertRowid);
}

/** Events after `afterId` (oldest first), optionally of one kind or agency; at most `limit`. */
export function listEvents(db: DB, opts: { afterId?: number; kind?: string; agency?: string; limit?: number } = {}): EventRow[] {
  const rows = db
    .prepare(
      `SELECT id, agency, kind, payload, created_at FROM events
       WHERE id > @after AND (@kind IS NULL OR kind = @kind) AND (@agency IS NULL OR agency = @agency)
       ORDER BY id LIMIT @limit`,
    )
    .all({ after: opts.afterId ?? 0, kind: opts.kind ?? null, agency: opts.agency ?? null, limit: opts.limit ?? 1000 }) as {
    id: number;
    agency: string;
    kind: string;
    payload: string;
    created_at: number;
  }[];
  return rows.map((r) => ({ id: r.id, agency: r.agency, kind: r.kind, payload: JSON.parse(r.payload) as Record<string, unknown>, createdAt: r.created_at }));
}
