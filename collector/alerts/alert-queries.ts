// What operators read and do with alerts through the SQL layer (either engine): the alert lists and the
// notification history of the API, console and CLI, one alert, its acknowledgement. The engine's own writes are in store.ts.
import { sql } from 'kysely';
import type { StateSql } from '../state/sql/connect.ts';
import type { Q } from '../state/sql/query.ts';
import { alertOf, notificationOf, type AlertRow, type NotificationRow } from './store.ts';

/** The most alerts one list returns unless asked for fewer. */
export const ALERT_LIST_LIMIT = 200;

/**
 * Alerts newest first: firing (`active`, the default), `resolved`, or both (`all`; pending ones are
 * never shown), of one agency or all; at most `limit`.
 */
export async function listAlerts(state: StateSql, opts: { state?: 'active' | 'resolved' | 'all'; agency?: string; limit?: number } = {}): Promise<AlertRow[]> {
  const which = opts.state === 'resolved' ? sql`state = 'resolved'` : opts.state === 'all' ? sql`state IN ('firing', 'resolved')` : sql`state = 'firing'`;
  // The agency filter is built here: a scope is a value, never SQL, and PostgreSQL cannot type a bare parameter.
  const agency = opts.agency ? sql`AND agency = ${opts.agency}` : sql``;
  const r = await sql<Record<string, unknown>>`SELECT * FROM alerts WHERE ${which} ${agency} ORDER BY id DESC LIMIT ${opts.limit ?? ALERT_LIST_LIMIT}`.execute(state.db);
  return r.rows.map(alertOf);
}

export async function getAlert(q: Q, id: number): Promise<AlertRow | undefined> {
  const r = await sql<Record<string, unknown>>`SELECT * FROM alerts WHERE id = ${id}`.execute(q);
  return r.rows[0] ? alertOf(r.rows[0]) : undefined;
}

/**
 * Acknowledges a firing alert once (the first acknowledgement is kept: who, when, the note); the alert
 * as it is afterwards, or undefined when there is none by that id.
 */
export async function acknowledgeAlert(q: Q, id: number, by: string, note: string | undefined, now: number): Promise<AlertRow | undefined> {
  await sql`UPDATE alerts SET acked_at = ${now}, acked_by = ${by}, ack_note = ${note ?? null} WHERE id = ${id} AND state = 'firing' AND acked_at IS NULL`.execute(q);
  return getAlert(q, id);
}

/** The most notifications one history list returns unless asked for fewer. */
export const NOTIFICATION_LIST_LIMIT = 200;

/** The notification history (mails and channel messages, any status) newest first, of one agency and/or channel; at most `limit`. */
export async function listNotifications(state: StateSql, opts: { agency?: string; channel?: string; limit?: number } = {}): Promise<NotificationRow[]> {
  const agency = opts.agency ? sql`AND agency = ${opts.agency}` : sql``;
  const channel = opts.channel ? sql`AND channel = ${opts.channel}` : sql``;
  const r = await sql<Record<string, unknown>>`SELECT * FROM notifications WHERE 1 = 1 ${agency} ${channel} ORDER BY id DESC LIMIT ${opts.limit ?? NOTIFICATION_LIST_LIMIT}`.execute(state.db);
  return r.rows.map((row) => {
    const { text: _t, html: _h, ...rest } = notificationOf(row);
    return rest;
  });
}
