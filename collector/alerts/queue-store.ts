// The durable notification queue's delivery side through the SQL layer (either engine): claiming due
// notifications so that no two deliveries (on one collector or several) send the same one, the outcome
// of each send, and the attachments read when a mail goes out.
import { sql } from 'kysely';
import type { StateSql } from '../state/sql/connect.ts';
import { changes, skipLockedRows } from '../state/sql/query.ts';
import { notificationOf, type MailAttachment, type OutgoingMail } from './store.ts';

/**
 * How long a claimed notification stays with its claimer. Longer than any one send takes (each channel
 * has a timeout far below it); a claimer that dies mid-send leaves the notification to be claimed again
 * after it, so none is lost.
 */
export const CLAIM_LEASE_MS = 10 * 60_000;

/**
 * Claims up to `limit` due notifications of `channel`, oldest first: each is marked `sending` until
 * `now + CLAIM_LEASE_MS` and returned to this caller only. Due: queued and its time come, or a claim
 * whose lease ran out. One statement, safe with claimers running at once on either engine.
 */
export async function claimDue(state: StateSql, channel: string, now: number, limit: number): Promise<OutgoingMail[]> {
  const r = await sql<Record<string, unknown>>`UPDATE notifications SET status = 'sending', next_attempt_at = ${now + CLAIM_LEASE_MS}
    WHERE id IN (SELECT id FROM notifications WHERE channel = ${channel} AND status IN ('queued', 'sending') AND next_attempt_at <= ${now}
      ORDER BY id LIMIT ${limit} ${skipLockedRows(state.driver)})
    RETURNING *`.execute(state.db);
  // RETURNING keeps no order.
  return r.rows.map(notificationOf).sort((a, b) => a.id - b.id);
}

/** A claimed notification went out. */
export async function markSent(state: StateSql, id: number, now: number): Promise<void> {
  await sql`UPDATE notifications SET status = 'sent', sent_at = ${now}, attempts = attempts + 1, last_error = NULL, next_attempt_at = NULL WHERE id = ${id}`.execute(state.db);
}

/** A claimed notification did not go out: queued again for `nextAttemptAt`, with the reason. */
export async function markFailed(state: StateSql, id: number, error: string, nextAttemptAt: number): Promise<void> {
  await sql`UPDATE notifications SET status = 'queued', attempts = attempts + 1, last_error = ${error.slice(0, 500)}, next_attempt_at = ${nextAttemptAt} WHERE id = ${id}`.execute(state.db);
}

/** The channels that have notifications waiting (a channel removed from the config may still have some). */
export async function queuedChannels(state: StateSql): Promise<string[]> {
  const r = await sql<{ channel: string }>`SELECT DISTINCT channel FROM notifications WHERE status IN ('queued', 'sending')`.execute(state.db);
  return r.rows.map((x) => x.channel);
}

/**
 * Waiting notifications that can never go out (their channel is gone from the config): kept in the
 * history with the reason. One still claimed by a delivery is left to it until its lease runs out.
 */
export async function closeQueued(state: StateSql, channel: string, reason: string, now: number): Promise<number> {
  return changes(
    await sql`UPDATE notifications SET status = 'suppressed', last_error = ${reason.slice(0, 500)}, next_attempt_at = NULL
      WHERE channel = ${channel} AND (status = 'queued' OR (status = 'sending' AND next_attempt_at <= ${now}))`.execute(state.db),
  );
}

/** The files sent with a notification, in order (read when it is delivered, not with every queue scan). */
export async function attachmentsOf(state: StateSql, notificationId: number): Promise<MailAttachment[]> {
  const r = await sql<{ filename: string; content_type: string; content: Buffer }>`SELECT filename, content_type, content FROM notification_attachments
    WHERE notification_id = ${notificationId} ORDER BY position`.execute(state.db);
  return r.rows.map((x) => ({ filename: x.filename, contentType: x.content_type, content: Buffer.from(x.content) }));
}
