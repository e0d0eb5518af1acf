// A generic, append-only event log in the state database (kind, agency, JSON payload), pruned with the
// alert history; today the device inventory records each `new_device` here.
import { sql } from 'kysely';
import type { StateSql } from './sql/connect.ts';
import type { Q } from './sql/query.ts';

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

/** Appends one event (on the caller's transaction when given one); its id. */
export async function appendEvent(q: Q, agency: string, kind: string, payload: Record<string, unknown>, now = Date.now()): Promise<number> {
  const r = await sql<{ id: number }>`INSERT INTO events (agency, kind, payload, created_at) VALUES (${agency}, ${kind}, ${JSON.stringify(payload)}, ${now}) RETURNING id`.execute(q);
  return r.rows[0].id;
}

/** Events after `afterId` (oldest first), optionally of one kind or agency; at most `limit`. */
export async function listEvents(state: StateSql, opts: { afterId?: number; kind?: string; agency?: string; limit?: number } = {}): Promise<EventRow[]> {
  // Built here rather than as `? IS NULL OR kind = ?`: PostgreSQL cannot type a bare parameter.
  const kind = opts.kind !== undefined ? sql`AND kind = ${opts.kind}` : sql``;
  const agency = opts.agency !== undefined ? sql`AND agency = ${opts.agency}` : sql``;
  const rows = (
    await sql<{ id: number; agency: string; kind: string; payload: string; created_at: number }>`SELECT id, agency, kind, payload, created_at FROM events
      WHERE id > ${opts.afterId ?? 0} ${kind} ${agency} ORDER BY id LIMIT ${opts.limit ?? 1000}`.execute(state.db)
  ).rows;
  return rows.map((r) => ({ id: r.id, agency: r.agency, kind: r.kind, payload: JSON.parse(r.payload) as Record<string, unknown>, createdAt: r.created_at }));
}
