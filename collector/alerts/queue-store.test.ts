// The notification queue's delivery side on both engines: what is due and in what order, claims that
// hold for their lease and come back after it, the outcome of a send, closing a removed channel's
// notifications, attachments; and claimers racing (two pools on PostgreSQL): each row claimed once.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachStateDriver } from '../../test/support/state-drivers.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { attachmentsOf, CLAIM_LEASE_MS, claimDue, closeQueued, markFailed, markSent, queuedChannels } from './queue-store.ts';

/** A notification row as the notifier writes it (its writer is not on the SQL layer yet). */
async function queue(state: StateSql, o: { channel?: string; status?: string; at?: number; due?: number | null } = {}): Promise<number> {
  const at = o.at ?? 1000;
  const r = await sql<{ id: number }>`INSERT INTO notifications (created_at, channel, agency, kind, recipients, subject, alert_ids, text_body, html_body, status, next_attempt_at)
    VALUES (${at}, ${o.channel ?? 'email'}, ${'so-y-te'}, ${'alert'}, ${'["a@example.vn"]'}, ${'s'}, ${'[1]'}, ${'t'}, ${null}, ${o.status ?? 'queued'}, ${o.due === undefined ? at : o.due}) RETURNING id`.execute(state.db);
  return r.rows[0].id;
}

async function statusOf(state: StateSql, id: number): Promise<{ status: string; attempts: number; next_attempt_at: number | null; last_error: string | null; sent_at: number | null }> {
  const r = await sql<{ status: string; attempts: number; next_attempt_at: number | null; last_error: string | null; sent_at: number | null }>`SELECT status, attempts, next_attempt_at, last_error, sent_at FROM notifications WHERE id = ${id}`.execute(state.db);
  return r.rows[0];
}

describeEachStateDriver('notification queue', (open, _driver, again) => {
  it('claims the due notifications of one channel, oldest first, at most the limit, as sending', async () => {
    const state = await open();
    const first = await queue(state);
    const second = await queue(state, { at: 1500 });
    await queue(state, { due: 5000 }); // not due yet
    await queue(state, { channel: 'soc' }); // another channel
    await queue(state, { status: 'held', due: null });
    await queue(state, { status: 'sent', due: null });
    const third = await queue(state, { at: 1800 });
    const claimed = await claimDue(state, 'email', 2000, 2);
    expect(claimed.map((n) => n.id)).toEqual([first, second]);
    expect(claimed[0]).toMatchObject({ channel: 'email', recipients: ['a@example.vn'], alertIds: [1], status: 'sending', text: 't', html: '', attempts: 0 });
    expect((await claimDue(state, 'email', 2000, 10)).map((n) => n.id)).toEqual([third]);
    expect(await claimDue(state, 'email', 2000, 10)).toEqual([]);
  });

  it('a claim holds for its lease; one whose claimer died is claimed again after it, so none is lost', async () => {
    const state = await open();
    const id = await queue(state);
    expect(await claimDue(state, 'email', 1000, 1)).toHaveLength(1);
    expect(await claimDue(state, 'email', 1000 + CLAIM_LEASE_MS - 1, 1)).toEqual([]);
    expect((await claimDue(state, 'email', 1000 + CLAIM_LEASE_MS, 1)).map((n) => n.id)).toEqual([id]);
  });

  it('a sent notification is final; a failed one waits for its next attempt with the reason, bounded', async () => {
    const state = await open();
    const ok = await queue(state);
    const bad = await queue(state);
    await claimDue(state, 'email', 1000, 2);
    await markSent(state, ok, 1100);
    await markFailed(state, bad, 'x'.repeat(600), 9000);
    expect(await statusOf(state, ok)).toEqual({ status: 'sent', attempts: 1, next_attempt_at: null, last_error: null, sent_at: 1100 });
    expect(await statusOf(state, bad)).toMatchObject({ status: 'queued', attempts: 1, next_attempt_at: 9000, last_error: 'x'.repeat(500) });
    expect(await claimDue(state, 'email', 8999, 5)).toEqual([]);
    expect((await claimDue(state, 'email', 9000, 5)).map((n) => [n.id, n.attempts])).toEqual([[bad, 1]]);
  });

  it("a removed channel's waiting notifications are closed with the reason; one still claimed is left to its claimer until its lease ends", async () => {
    const state = await open();
    const waiting = await queue(state, { channel: 'old-chat' });
    const claimed = await queue(state, { channel: 'old-chat', at: 500 });
    await claimDue(state, 'old-chat', 500, 1);
    await queue(state, { channel: 'email' });
    expect((await queuedChannels(state)).sort()).toEqual(['email', 'old-chat']);
    expect(await closeQueued(state, 'old-chat', 'gone', 1000)).toBe(1);
    expect(await statusOf(state, waiting)).toMatchObject({ status: 'suppressed', last_error: 'gone', next_attempt_at: null });
    expect((await statusOf(state, claimed)).status).toBe('sending');
    expect(await closeQueued(state, 'old-chat', 'gone', 500 + CLAIM_LEASE_MS)).toBe(1);
    expect((await statusOf(state, claimed)).status).toBe('suppressed');
    expect(await queuedChannels(state)).toEqual(['email']);
  });

  it('attachments come back in order with their bytes; a notification without any has none', async () => {
    const state = await open();
    const id = await queue(state);
    const bytes = Buffer.from([0, 1, 2, 255]);
    for (const [position, filename] of [[1, 'b.csv'], [0, 'a.pdf']] as const) {
      await sql`INSERT INTO notification_attachments (notification_id, position, filename, content_type, content) VALUES (${id}, ${position}, ${filename}, ${'application/octet-stream'}, ${bytes})`.execute(state.db);
    }
    const files = await attachmentsOf(state, id);
    expect(files.map((f) => f.filename)).toEqual(['a.pdf', 'b.csv']);
    expect(files[0].content.equals(bytes)).toBe(true);
    expect(await attachmentsOf(state, id + 1)).toEqual([]);
  });

  it('claimers racing for the same due rows (two pools on PostgreSQL) claim each row exactly once', async () => {
    const state = await open();
    const other = await again(state);
    const ids: number[] = [];
    await state.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 120; i++) ids.push((await sql<{ id: number }>`INSERT INTO notifications (created_at, channel, agency, kind, recipients, subject, alert_ids, status, next_attempt_at)
        VALUES (${1000}, ${'email'}, ${''}, ${'alert'}, ${'[]'}, ${'s'}, ${'[]'}, ${'queued'}, ${1000}) RETURNING id`.execute(trx)).rows[0].id);
    });
    // Four claimers on each connection, each claiming 3 at a time until nothing is left (bounded rounds).
    const claimer = async (s: StateSql) => {
      const got: number[] = [];
      for (let round = 0; round < 200; round++) {
        const batch = await claimDue(s, 'email', 2000, 3);
        if (batch.length === 0) break;
        got.push(...batch.map((n) => n.id));
      }
      return got;
    };
    const results = await Promise.all([state, state, state, state, other, other, other, other].map(claimer));
    const all = results.flat();
    expect(all.length).toBe(ids.length);
    expect(new Set(all).size).toBe(ids.length);
    expect([...all].sort((a, b) => a - b)).toEqual(ids);
    expect(results.filter((r) => r.length > 0).length).toBeGreaterThan(1); // they did race
  });
});
