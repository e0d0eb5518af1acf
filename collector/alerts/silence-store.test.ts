// Alert silences on both engines: stored as given, removed once, the notifier's list (not over, oldest
// first) and the history (newest first, bounded), damaged matchers read as matching nothing.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachStateDriver } from '../../test/support/state-drivers.ts';
import { addSilence, getSilence, listSilences, removeSilence, SILENCE_HISTORY_LIMIT } from './silence-store.ts';

const HOUR = 3_600_000;
const silence = (matchers: Record<string, string>, startsAt: number, endsAt: number) => ({ matchers, startsAt, endsAt, reason: 'bảo trì', author: 'ops' });

describeEachStateDriver('alert silences', (open) => {
  it('a silence is stored as given and read back by id; an unknown id is undefined', async () => {
    const state = await open();
    const s = await addSilence(state.db, silence({ agency: 'so-y-te', port: '~[0-9]+' }, 1000, 1000 + HOUR), 900);
    expect(s).toEqual({ id: s.id, matchers: { agency: 'so-y-te', port: '~[0-9]+' }, startsAt: 1000, endsAt: 1000 + HOUR, reason: 'bảo trì', author: 'ops', createdAt: 900, removedAt: null, removedBy: null });
    expect(await getSilence(state, s.id)).toEqual(s);
    expect(await getSilence(state, s.id + 1)).toBeUndefined();
  });

  it('a silence is removed once, keeping who removed it; removing an unknown one is false', async () => {
    const state = await open();
    const s = await addSilence(state.db, silence({ agency: 'so-y-te' }, 0, HOUR), 0);
    expect(await removeSilence(state.db, s.id, 'admin', 500)).toBe(true);
    expect(await removeSilence(state.db, s.id, 'other', 600)).toBe(false);
    expect(await removeSilence(state.db, s.id + 99, 'admin', 600)).toBe(false);
    expect(await getSilence(state, s.id)).toMatchObject({ removedAt: 500, removedBy: 'admin' });
  });

  it('the list leaves out removed and ended silences, keeps future ones, oldest first', async () => {
    const state = await open();
    const now = 10 * HOUR;
    const ended = await addSilence(state.db, silence({ agency: 'a' }, 0, now), 0);
    const active = await addSilence(state.db, silence({ agency: 'b' }, now - HOUR, now + HOUR), 1);
    const removed = await addSilence(state.db, silence({ agency: 'c' }, now - HOUR, now + HOUR), 2);
    const future = await addSilence(state.db, silence({ agency: 'd' }, now + HOUR, now + 2 * HOUR), 3);
    await removeSilence(state.db, removed.id, 'ops', now - 1);
    expect((await listSilences(state, now)).map((s) => s.id)).toEqual([active.id, future.id]);
    expect((await listSilences(state, now, { includeEnded: true })).map((s) => s.id)).toEqual([future.id, removed.id, active.id, ended.id]);
  });

  it('the history is the newest silences, at most its bound', async () => {
    const state = await open();
    await state.db.transaction().execute(async (trx) => {
      for (let i = 0; i < SILENCE_HISTORY_LIMIT + 5; i++) await addSilence(trx, silence({ n: String(i) }, 0, 1), i);
    });
    const history = await listSilences(state, 10, { includeEnded: true });
    expect(history).toHaveLength(SILENCE_HISTORY_LIMIT);
    expect(history[0].matchers).toEqual({ n: String(SILENCE_HISTORY_LIMIT + 4) });
    expect(history.at(-1)!.matchers).toEqual({ n: '5' });
  });

  it('damaged matchers (bad JSON, not an object) read as {}, still listed so they can be removed', async () => {
    const state = await open();
    for (const m of ['{oops', 'null', '[1]']) {
      await sql`INSERT INTO alert_silences (matchers, starts_at, ends_at, reason, author, created_at) VALUES (${m}, ${0}, ${HOUR}, ${'old'}, ${'ops'}, ${0})`.execute(state.db);
    }
    const list = await listSilences(state, 1);
    expect(list.map((s) => s.matchers)).toEqual([{}, {}, {}]);
    expect(await removeSilence(state.db, list[0].id, 'ops', 2)).toBe(true);
  });

  it('a silence added in a transaction that fails is not stored', async () => {
    const state = await open();
    await expect(
      state.db.transaction().execute(async (trx) => {
        await addSilence(trx, silence({ agency: 'x' }, 0, HOUR), 0);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await listSilences(state, 1, { includeEnded: true })).toEqual([]);
  });
});
