// What operators read and do with alerts, on both engines: the lists (which states, newest first, agency
// scope, bound), one alert with its labels, acknowledgement (firing alerts only, the first one kept), and
// the notification history (newest first, by agency and channel, bounded, without the bodies).
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachStateDriver } from '../../test/support/state-drivers.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { acknowledgeAlert, ALERT_LIST_LIMIT, getAlert, listAlerts, listNotifications, NOTIFICATION_LIST_LIMIT } from './alert-queries.ts';

/** An alert row as the engine writes it (its writer is not on the SQL layer yet). */
async function alert(state: StateSql, o: { state?: string; agency?: string; labels?: string; fingerprint?: string } = {}): Promise<number> {
  const r = await sql<{ id: number }>`INSERT INTO alerts (fingerprint, rule, severity, agency, agent, labels, value, state, active_since, fired_at)
    VALUES (${o.fingerprint ?? `fp-${Math.random()}`}, ${'target_down'}, ${'critical'}, ${o.agency ?? 'so-y-te'}, ${'pc'}, ${o.labels ?? '{"port":"9"}'}, ${1.5}, ${o.state ?? 'firing'}, ${1000}, ${2000}) RETURNING id`.execute(state.db);
  return r.rows[0].id;
}

describeEachStateDriver('alert queries', (open) => {
  it('lists firing alerts by default, resolved ones or both (never pending), newest first', async () => {
    const state = await open();
    const firing = await alert(state);
    const resolved = await alert(state, { state: 'resolved' });
    await alert(state, { state: 'pending' });
    const firing2 = await alert(state);
    expect((await listAlerts(state)).map((a) => a.id)).toEqual([firing2, firing]);
    expect((await listAlerts(state, { state: 'active' })).map((a) => a.id)).toEqual([firing2, firing]);
    expect((await listAlerts(state, { state: 'resolved' })).map((a) => a.id)).toEqual([resolved]);
    expect((await listAlerts(state, { state: 'all' })).map((a) => a.id)).toEqual([firing2, resolved, firing]);
  });

  it("an agency's list holds its alerts only (the scope is a value, never SQL); lists are bounded", async () => {
    const state = await open();
    const mine = await alert(state, { agency: 'so-y-te' });
    await alert(state, { agency: 'so-tu-phap' });
    expect((await listAlerts(state, { agency: 'so-y-te' })).map((a) => a.id)).toEqual([mine]);
    expect(await listAlerts(state, { agency: "x' OR '1'='1" })).toEqual([]);
    await state.db.transaction().execute(async (trx) => {
      for (let i = 0; i < ALERT_LIST_LIMIT + 3; i++) await sql`INSERT INTO alerts (fingerprint, rule, severity, agency, labels, state, active_since) VALUES (${`b${i}`}, ${'r'}, ${'warning'}, ${'b'}, ${'{}'}, ${'firing'}, ${i})`.execute(trx);
    });
    expect(await listAlerts(state, { agency: 'b' })).toHaveLength(ALERT_LIST_LIMIT);
    expect(await listAlerts(state, { agency: 'b', limit: 5 })).toHaveLength(5);
  });

  it('one alert with its labels and numbers as stored; damaged labels read as {}; an unknown id is undefined', async () => {
    const state = await open();
    const id = await alert(state, { labels: '{"port":"9","target":"127.0.0.1"}' });
    expect(await getAlert(state.db, id)).toMatchObject({ id, rule: 'target_down', severity: 'critical', agency: 'so-y-te', agent: 'pc', labels: { port: '9', target: '127.0.0.1' }, value: 1.5, state: 'firing', activeSince: 1000, firedAt: 2000, ackedAt: null });
    const bad = await alert(state, { labels: '{oops' });
    expect((await getAlert(state.db, bad))!.labels).toEqual({});
    expect(await getAlert(state.db, bad + 100)).toBeUndefined();
  });

  it('a firing alert is acknowledged once: the first acknowledgement is kept; others are not acknowledged', async () => {
    const state = await open();
    const id = await alert(state);
    expect(await acknowledgeAlert(state.db, id, 'an', 'đang xử lý', 3000)).toMatchObject({ ackedAt: 3000, ackedBy: 'an', ackNote: 'đang xử lý' });
    expect(await acknowledgeAlert(state.db, id, 'binh', undefined, 4000)).toMatchObject({ ackedAt: 3000, ackedBy: 'an', ackNote: 'đang xử lý' });
    const resolved = await alert(state, { state: 'resolved' });
    expect((await acknowledgeAlert(state.db, resolved, 'an', undefined, 3000))!.ackedAt).toBeNull();
    const pending = await alert(state, { state: 'pending' });
    expect((await acknowledgeAlert(state.db, pending, 'an', undefined, 3000))!.ackedAt).toBeNull();
    expect(await acknowledgeAlert(state.db, pending + 100, 'an', undefined, 3000)).toBeUndefined();
  });

  it('the notification history: newest first, by agency and by channel, bounded, without the bodies', async () => {
    const state = await open();
    const add = async (agency: string, channel: string, status: string) =>
      (await sql<{ id: number }>`INSERT INTO notifications (created_at, channel, agency, kind, recipients, subject, alert_ids, text_body, html_body, status, next_attempt_at)
        VALUES (${1000}, ${channel}, ${agency}, ${'alert'}, ${'["a@example.vn"]'}, ${'s'}, ${'[7]'}, ${'body'}, ${'<p>body</p>'}, ${status}, ${null}) RETURNING id`.execute(state.db)).rows[0].id;
    const a = await add('so-y-te', 'email', 'sent');
    const b = await add('so-tu-phap', 'email', 'queued');
    const c = await add('so-y-te', 'soc', 'held');
    expect((await listNotifications(state)).map((n) => n.id)).toEqual([c, b, a]);
    expect((await listNotifications(state, { agency: 'so-y-te' })).map((n) => n.id)).toEqual([c, a]);
    expect((await listNotifications(state, { channel: 'email' })).map((n) => n.id)).toEqual([b, a]);
    expect((await listNotifications(state, { agency: 'so-y-te', channel: 'email' })).map((n) => n.id)).toEqual([a]);
    expect(await listNotifications(state, { agency: "x' OR '1'='1" })).toEqual([]);
    const [row] = await listNotifications(state, { limit: 1 });
    expect(row).toEqual({ id: c, createdAt: 1000, channel: 'soc', agency: 'so-y-te', kind: 'alert', recipients: ['a@example.vn'], subject: 's', alertIds: [7], status: 'held', attempts: 0, nextAttemptAt: null, lastError: null, sentAt: null });
    await state.db.transaction().execute(async (trx) => {
      for (let i = 0; i < NOTIFICATION_LIST_LIMIT + 2; i++) {
        await sql`INSERT INTO notifications (created_at, channel, agency, kind, recipients, subject, alert_ids, status) VALUES (${i}, ${'email'}, ${'b'}, ${'alert'}, ${'[]'}, ${'s'}, ${'[]'}, ${'sent'})`.execute(trx);
      }
    });
    expect(await listNotifications(state, { agency: 'b' })).toHaveLength(NOTIFICATION_LIST_LIMIT);
  });
});
