// Alert silences in the state database through the SQL layer (either engine): added, looked up, removed
// (kept with who removed them) and listed for the notifier, the console, the API and the CLI.
import { sql } from 'kysely';
import type { StateSql } from '../state/sql/connect.ts';
import { changes, objectColumn, type Q } from '../state/sql/query.ts';

export interface SilenceRow {
  id: number;
  matchers: Record<string, string>;
  startsAt: number;
  endsAt: number;
  reason: string;
  author: string;
  createdAt: number;
  removedAt: number | null;
  removedBy: string | null;
}

/** The most silences `listSilences(..., {includeEnded: true})` returns, newest first. */
export const SILENCE_HISTORY_LIMIT = 500;

interface Raw {
  id: number;
  matchers: string;
  starts_at: number;
  ends_at: number;
  reason: string;
  author: string;
  created_at: number;
  removed_at: number | null;
  removed_by: string | null;
}

function silenceOf(r: Raw): SilenceRow {
  return {
    id: r.id,
    // A damaged matchers column reads as {}, which matches nothing (see silences.ts).
    matchers: objectColumn(r.matchers),
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    reason: r.reason,
    author: r.author,
    createdAt: r.created_at,
    removedAt: r.removed_at,
    removedBy: r.removed_by,
  };
}

/** Stores a silence as given (the callers check it with silenceProblem first); the row as stored. */
export async function addSilence(q: Q, s: { matchers: Record<string, string>; startsAt: number; endsAt: number; reason: string; author: string }, now: number): Promise<SilenceRow> {
  const r = await sql<Raw>`INSERT INTO alert_silences (matchers, starts_at, ends_at, reason, author, created_at)
    VALUES (${JSON.stringify(s.matchers)}, ${s.startsAt}, ${s.endsAt}, ${s.reason}, ${s.author}, ${now}) RETURNING *`.execute(q);
  return silenceOf(r.rows[0]);
}

export async function getSilence(state: StateSql, id: number): Promise<SilenceRow | undefined> {
  const r = await sql<Raw>`SELECT * FROM alert_silences WHERE id = ${id}`.execute(state.db);
  return r.rows[0] ? silenceOf(r.rows[0]) : undefined;
}

/** Marks a silence removed; false when there is none by that id or it was removed already. */
export async function removeSilence(q: Q, id: number, by: string, now: number): Promise<boolean> {
  return changes(await sql`UPDATE alert_silences SET removed_at = ${now}, removed_by = ${by} WHERE id = ${id} AND removed_at IS NULL`.execute(q)) > 0;
}

/**
 * Silences not removed and not yet over (active now or starting later), oldest first; with
 * `includeEnded`, the newest `SILENCE_HISTORY_LIMIT` of every kind, newest first.
 */
export async function listSilences(state: StateSql, now: number, opts: { includeEnded?: boolean } = {}): Promise<SilenceRow[]> {
  const r = opts.includeEnded
    ? await sql<Raw>`SELECT * FROM alert_silences ORDER BY id DESC LIMIT ${SILENCE_HISTORY_LIMIT}`.execute(state.db)
    : await sql<Raw>`SELECT * FROM alert_silences WHERE removed_at IS NULL AND ends_at > ${now} ORDER BY id`.execute(state.db);
  return r.rows.map(silenceOf);
}
