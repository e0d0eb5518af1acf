// Forgetting alerting history past its retention (alerts.historyRetention) through the SQL layer (either
// engine), in one transaction: what is still in play is never touched, whatever its age.
import { sql } from 'kysely';
import type { StateSql } from '../state/sql/connect.ts';
import { changes } from '../state/sql/query.ts';

export type PrunedHistory = Record<'alerts' | 'notifications' | 'mailLog' | 'silences' | 'events', number>;

/**
 * Forget history older than `cutoff`: resolved alerts and their events, delivered or final mails and
 * their attachments, the mail log, ended silences and inventory events. Open alerts, queued (or being
 * sent) mails and held mails not yet summarized stay whatever their age. The rows deleted, by kind.
 */
export async function pruneAlertHistory(state: StateSql, cutoff: number): Promise<PrunedHistory> {
  return state.db.transaction().execute(async (trx) => {
    await sql`DELETE FROM alert_events WHERE alert_id IN (SELECT id FROM alerts WHERE state = 'resolved' AND resolved_at < ${cutoff})`.execute(trx);
    const alerts = changes(await sql`DELETE FROM alerts WHERE state = 'resolved' AND resolved_at < ${cutoff}`.execute(trx));
    const finalMail = sql`created_at < ${cutoff} AND (status IN ('sent', 'suppressed') OR (status = 'held' AND NOT EXISTS (
      SELECT 1 FROM mail_log m WHERE m.notification_id = notifications.id AND m.held = 1 AND m.summarized_at IS NULL)))`;
    await sql`DELETE FROM notification_attachments WHERE notification_id IN (SELECT id FROM notifications WHERE ${finalMail})`.execute(trx);
    const notifications = changes(await sql`DELETE FROM notifications WHERE ${finalMail}`.execute(trx));
    const mailLog = changes(await sql`DELETE FROM mail_log WHERE at < ${cutoff} AND (held = 0 OR summarized_at IS NOT NULL)`.execute(trx));
    const silences = changes(await sql`DELETE FROM alert_silences WHERE ends_at < ${cutoff} OR removed_at < ${cutoff}`.execute(trx));
    const events = changes(await sql`DELETE FROM events WHERE created_at < ${cutoff}`.execute(trx));
    return { alerts, notifications, mailLog, silences, events };
  });
}
