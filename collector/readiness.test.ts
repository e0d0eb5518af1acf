// The state part of /readyz on both engines: ok while the database answers, not ok (with the reason)
// once it is gone, and on PostgreSQL not ok within the bound when no connection is free.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachStateDriver } from '../test/support/state-drivers.ts';
import { stateCheck } from './readiness.ts';

describeEachStateDriver('readiness: the state check', (open, driver) => {
  it('is ok while the state answers, and names the failure once it is closed', async () => {
    const state = await open();
    expect(await stateCheck(state)).toEqual({ ok: true });
    await state.db.destroy();
    const r = await stateCheck(state);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/destroyed|ended|closed/i);
  });

  // PostgreSQL only (a pool that can be filled); declared for it alone, so SQLite's run skips nothing.
  if (driver === 'postgres') it('answers within its bound when every pooled connection is busy (a stuck database)', async () => {
    const state = await open();
    const busy = Array.from({ length: 10 }, () => sql`SELECT pg_sleep(1.5)`.execute(state.db));
    const t0 = Date.now();
    expect(await stateCheck(state, 300)).toEqual({ ok: false, detail: 'no answer within 300 ms' });
    expect(Date.now() - t0).toBeLessThan(1200);
    await Promise.all(busy);
    expect(await stateCheck(state)).toEqual({ ok: true });
  });
});
