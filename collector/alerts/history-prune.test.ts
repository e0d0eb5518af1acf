// Pruning the alerting history on both engines: what is past the retention goes, what is still in play
// (open alerts, waiting or sending mails, held mails not summarized yet, current silences) stays.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachStateDriver } from '../../test/support/state-drivers.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { pruneAlertHistory } from './history-prune.ts';

const CUTOFF = 1_000_000;
const OLD = CUTOFF - 1;
const NEW = CUTOFF + 1;

async function alert(state: StateSql, fp: string, status: string, resolvedAt: number | null): Promise<number> {
  const id = (await sql<{ id: number }>`INSERT INTO alerts (fingerprint, rule, severity, agency, labels, state, active_since, resolved_at)
    VALUES (${fp}, ${'target_down'}, ${'critical'}, ${'so-y-te'}, ${'{}'}, ${status}, ${0}, ${resolvedAt}) RETURNING id`.execute(state.db)).rows[0].id;
  await sql`INSERT INTO alert_events (alert_id, kind, agency, created_at) VALUES (${id}, ${'firing'}, ${'so-y-te'}, ${0})`.execute(state.db);
  return id;
}

async function mail(state: StateSql, status: string, at: number): Promise<number> {
  const id = (await sql<{ id: number }>`INSERT INTO notifications (created_at, channel, agency, kind, recipients, subject, alert_ids, status)
    VALUES (${at}, ${'email'}, ${'so-y-te'}, ${'alert'}, ${'[]'}, ${'s'}, ${'[]'}, ${status}) RETURNING id`.execute(state.db)).rows[0].id;
  await sql`INSERT INTO notification_attachments (notification_id, position, filename, content_type, content) VALUES (${id}, ${0}, ${'a.csv'}, ${'text/csv'}, ${Buffer.from('x')})`.execute(state.db);
  return id;
}

async function ids(state: StateSql, table: string): Promise<number[]> {
  return (await sql<{ id: number }>`SELECT id FROM ${sql.table(table)} ORDER BY id`.execute(state.db)).rows.map((r) => r.id);
}

describeEachStateDriver('alert history pruning', (open) => {
  it('deletes what is past the retention and keeps what is still in play, in one go', async () => {
    const state = await open();
    await alert(state, 'old-resolved', 'resolved', OLD);
    const recent = await alert(state, 'recent-resolved', 'resolved', NEW);
    const firing = await alert(state, 'old-firing', 'firing', null);
    const sent = await mail(state, 'sent', OLD);
    await mail(state, 'suppressed', OLD);
    const queued = await mail(state, 'queued', OLD);
    const sending = await mail(state, 'sending', OLD);
    const heldOpen = await mail(state, 'held', OLD);
    const heldDone = await mail(state, 'held', OLD);
    const newSent = await mail(state, 'sent', NEW);
    const log = async (recipient: string, id: number, held: number, summarizedAt: number | null) =>
      sql`INSERT INTO mail_log (recipient, notification_id, at, held, summarized_at) VALUES (${recipient}, ${id}, ${OLD}, ${held}, ${summarizedAt})`.execute(state.db);
    await log('a@example.vn', sent, 0, null);
    await log('b@example.vn', heldOpen, 1, null);
    await log('c@example.vn', heldDone, 1, OLD);
    const silence = async (endsAt: number, removedAt: number | null) =>
      (await sql<{ id: number }>`INSERT INTO alert_silences (matchers, starts_at, ends_at, reason, author, created_at, removed_at) VALUES (${'{}'}, ${0}, ${endsAt}, ${'r'}, ${'ops'}, ${0}, ${removedAt}) RETURNING id`.execute(state.db)).rows[0].id;
    await silence(OLD, null);
    await silence(NEW + 10, OLD);
    const current = await silence(NEW + 10, null);
    await sql`INSERT INTO events (agency, kind, payload, created_at) VALUES (${'so-y-te'}, ${'new_device'}, ${'{}'}, ${OLD}), (${'so-y-te'}, ${'new_device'}, ${'{}'}, ${NEW})`.execute(state.db);

    expect(await pruneAlertHistory(state, CUTOFF)).toEqual({ alerts: 1, notifications: 3, mailLog: 2, silences: 2, events: 1 });
    expect(await ids(state, 'alerts')).toEqual([recent, firing]);
    expect((await sql<{ alert_id: number }>`SELECT alert_id FROM alert_events ORDER BY alert_id`.execute(state.db)).rows.map((r) => r.alert_id)).toEqual([recent, firing]);
    expect(await ids(state, 'notifications')).toEqual([queued, sending, heldOpen, newSent]);
    expect((await sql<{ n: number }>`SELECT notification_id AS n FROM notification_attachments ORDER BY notification_id`.execute(state.db)).rows.map((r) => r.n)).toEqual([queued, sending, heldOpen, newSent]);
    expect((await sql<{ recipient: string }>`SELECT recipient FROM mail_log`.execute(state.db)).rows).toEqual([{ recipient: 'b@example.vn' }]);
    expect(await ids(state, 'alert_silences')).toEqual([current]);
    expect((await sql<{ created_at: number }>`SELECT created_at FROM events`.execute(state.db)).rows).toEqual([{ created_at: NEW }]);
    expect(await pruneAlertHistory(state, CUTOFF)).toEqual({ alerts: 0, notifications: 0, mailLog: 0, silences: 0, events: 0 });
  });
});
