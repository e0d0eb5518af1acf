// The audit log on both engines: what an entry keeps (clipped, never more), newest first, paging by id,
// by action, the page bound, pruning by age and by the row ceiling, and an entry inside a transaction.
import { expect, it } from 'vitest';
import { describeEachStateDriver } from '../../test/support/state-drivers.ts';
import { AUDIT_ACTIONS, listAudit, pruneAudit, recordAudit } from './audit.ts';

describeEachStateDriver('audit log', (open) => {
  it('keeps who, what and from where, clipped to its bounds; absent fields stay absent', async () => {
    const state = await open();
    await recordAudit(state.db, { actor: 'x'.repeat(300), actorKind: 'user', action: 'login', target: 't'.repeat(300), agency: 'a'.repeat(100), address: '127.0.0.1', detail: 'd'.repeat(900) }, 1000);
    await recordAudit(state.db, { actor: 'tuan', actorKind: 'cli', action: 'token_create' }, 2000);
    const [cli, login] = await listAudit(state);
    expect(cli).toEqual({ id: cli.id, at: 2000, actor: 'tuan', actorKind: 'cli', action: 'token_create', target: undefined, agency: undefined, address: undefined, detail: undefined });
    expect(login).toMatchObject({ at: 1000, actorKind: 'user', action: 'login', address: '127.0.0.1' });
    expect([login.actor.length, login.target!.length, login.agency!.length, login.detail!.length]).toEqual([128, 200, 64, 500]);
  });

  it('lists newest first, pages back by id, filters by action, at most 1,000 rows a page', async () => {
    const state = await open();
    for (let i = 0; i < 1005; i++) await recordAudit(state.db, { actor: `u${i}`, actorKind: 'user', action: i % 2 ? 'logout' : 'login' }, 1000 + i);
    const first = await listAudit(state, { limit: 3 });
    expect(first.map((r) => r.actor)).toEqual(['u1004', 'u1003', 'u1002']);
    expect((await listAudit(state, { limit: 2, before: first[2].id })).map((r) => r.actor)).toEqual(['u1001', 'u1000']);
    expect((await listAudit(state, { limit: 3, action: 'logout' })).map((r) => r.actor)).toEqual(['u1003', 'u1001', 'u999']);
    expect((await listAudit(state, { limit: 2, action: 'logout', before: first[0].id })).map((r) => r.actor)).toEqual(['u1003', 'u1001']);
    expect(await listAudit(state, { limit: 5000 })).toHaveLength(1000);
    expect(await listAudit(state, { limit: 0 })).toHaveLength(1);
    expect(await listAudit(state)).toHaveLength(200);
    expect(await listAudit(state, { action: 'config_push' })).toEqual([]);
  });

  it('pruning keeps the retention and the row ceiling, newest rows kept', async () => {
    const state = await open();
    for (let i = 0; i < 50; i++) await recordAudit(state.db, { actor: 'a', actorKind: 'system', action: 'login' }, 1000 + i);
    expect(await pruneAudit(state, 1010, 30)).toBe(20);
    const left = await listAudit(state, { limit: 1000 });
    expect(left).toHaveLength(30);
    expect(Math.min(...left.map((r) => r.at))).toBe(1020);
    expect(await pruneAudit(state, 1010, 30)).toBe(0);
    // The ceiling alone: the oldest rows beyond it go, whatever their age.
    expect(await pruneAudit(state, 0, 10)).toBe(20);
    expect(Math.min(...(await listAudit(state)).map((r) => r.at))).toBe(1040);
  });

  it('an entry written in a transaction that fails is not kept', async () => {
    const state = await open();
    await expect(
      state.db.transaction().execute(async (trx) => {
        await recordAudit(trx, { actor: 'a', actorKind: 'user', action: 'config_push' });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await listAudit(state)).toEqual([]);
  });

  it('every action the code names is one the table takes; an unknown actor kind is refused', async () => {
    const state = await open();
    for (const action of AUDIT_ACTIONS) await recordAudit(state.db, { actor: 'a', actorKind: 'system', action });
    expect(await listAudit(state, { limit: 1000 })).toHaveLength(AUDIT_ACTIONS.length);
    await expect(recordAudit(state.db, { actor: 'a', actorKind: 'robot' as never, action: 'login' })).rejects.toThrow();
  });
});
