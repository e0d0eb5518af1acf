// The monthly report's mailing record on both engines: each month noted once, whatever runs first.
import { expect, it } from 'vitest';
import { describeEachStateDriver } from '../../test/support/state-drivers.ts';
import { noteReportMailed, reportMailed } from './schedule.ts';

const T = Date.parse('2026-12-01T00:30:00Z');

describeEachStateDriver('report mailings', (open) => {
  it('notes a month once: the second note writes nothing and keeps the first notification', async () => {
    const state = await open();
    expect(await reportMailed(state.db, '2026-11')).toBe(false);
    expect(await noteReportMailed(state.db, '2026-11', T, 7)).toBe(true);
    expect(await reportMailed(state.db, '2026-11')).toBe(true);
    expect(await reportMailed(state.db, '2026-10')).toBe(false);
    expect(await noteReportMailed(state.db, '2026-11', T + 1, 8)).toBe(false);
    const rows = await state.db.selectFrom('report_mailings').select(['month', 'queued_at', 'notification_id']).execute();
    expect(rows).toEqual([{ month: '2026-11', queued_at: T, notification_id: 7 }]);
  });

  it('rolls the note back with its transaction (the mail queued with it goes too)', async () => {
    const state = await open();
    await expect(
      state.db.transaction().execute(async (trx) => {
        expect(await noteReportMailed(trx, '2026-11', T, 1)).toBe(true);
        expect(await reportMailed(trx, '2026-11')).toBe(true);
        throw new Error('mail failed');
      }),
    ).rejects.toThrow('mail failed');
    expect(await reportMailed(state.db, '2026-11')).toBe(false);
  });

  it('of two transactions noting one month at once, one notes it', async () => {
    const state = await open();
    const note = (id: number) => state.db.transaction().execute(async (trx) => ((await reportMailed(trx, '2026-11')) ? false : noteReportMailed(trx, '2026-11', T, id)));
    const results = await Promise.all([note(1), note(2)]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
