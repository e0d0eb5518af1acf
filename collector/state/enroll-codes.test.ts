// One-time enrolment codes on both engines: once only (even for racing calls), expiry, never stored in clear.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachStateDriver } from '../../test/support/state-drivers.ts';
import type { Agency } from '../config.ts';
import { syncAgencies } from './agencies.ts';
import { createEnrollCode, listEnrollCodes, redeemEnrollCode } from './enroll-codes.ts';
import type { StateSql } from './sql/connect.ts';

const AGENCIES = [
  { id: 'so-y-te', name: 'Sở Y tế', level: 'department', contacts: [], locale: 'vi' },
  { id: 'so-tu-phap', name: 'Sở Tư pháp', level: 'department', contacts: [], locale: 'vi' },
] as unknown as Agency[];

async function fresh(open: () => Promise<StateSql>): Promise<StateSql> {
  const state = await open();
  await syncAgencies(state, AGENCIES);
  return state;
}

describeEachStateDriver('enrolment codes', (open) => {
  it('a code is redeemed once; again it is "used", a code never made is "unknown"', async () => {
    const state = await fresh(open);
    const { code, expiresAt } = await createEnrollCode(state, 'so-y-te', 60_000, 'for pc-1', 1000);
    expect(expiresAt).toBe(61_000);
    expect(await redeemEnrollCode(state.db, code, 'pc-1', 2000)).toEqual({ ok: true, agency: 'so-y-te' });
    expect(await redeemEnrollCode(state.db, code, 'pc-2', 3000)).toEqual({ ok: false, reason: 'used' });
    expect(await redeemEnrollCode(state.db, 'ABCD-EFGH-JKLM', 'pc-3', 3000)).toEqual({ ok: false, reason: 'unknown' });
    expect(await listEnrollCodes(state)).toEqual([{ agency: 'so-y-te', createdAt: 1000, expiresAt: 61_000, usedAt: 2000, usedBy: 'pc-1', note: 'for pc-1' }]);
  });

  it('ten calls racing for one code: exactly one enrols', async () => {
    const state = await fresh(open);
    const { code } = await createEnrollCode(state, 'so-y-te', 60_000);
    const all = await Promise.all(Array.from({ length: 10 }, (_, i) => redeemEnrollCode(state.db, code, `pc-${i}`)));
    expect(all.filter((r) => r.ok)).toHaveLength(1);
    expect(all.filter((r) => !r.ok && r.reason === 'used')).toHaveLength(9);
  });

  it('an expired code is refused and stays unused; it is good until the millisecond before its expiry', async () => {
    const state = await fresh(open);
    const { code } = await createEnrollCode(state, 'so-y-te', 60_000, undefined, 1000);
    expect(await redeemEnrollCode(state.db, code, 'pc-1', 61_000)).toEqual({ ok: false, reason: 'expired' });
    expect(await redeemEnrollCode(state.db, code, 'pc-1', 60_999)).toEqual({ ok: true, agency: 'so-y-te' });
  });

  it('a redemption rolled back with its transaction gives the code back', async () => {
    const state = await fresh(open);
    const { code } = await createEnrollCode(state, 'so-y-te', 60_000);
    await expect(
      state.db.transaction().execute(async (trx) => {
        expect((await redeemEnrollCode(trx, code, 'pc-1')).ok).toBe(true);
        throw new Error('the agent could not be created');
      }),
    ).rejects.toThrow('could not be created');
    expect((await redeemEnrollCode(state.db, code, 'pc-1')).ok).toBe(true);
  });

  it('the code is written as typed or in lower case with spaces; only its hash is stored', async () => {
    const state = await fresh(open);
    const { code } = await createEnrollCode(state, 'so-tu-phap', 60_000);
    const stored = await sql<{ code_hash: string }>`SELECT code_hash FROM enroll_codes`.execute(state.db);
    expect(stored.rows[0].code_hash).not.toContain(code);
    expect(await redeemEnrollCode(state.db, ` ${code.toLowerCase()} `, 'pc-1')).toEqual({ ok: true, agency: 'so-tu-phap' });
  });

  it('lists the newest first, by agency, within a limit', async () => {
    const state = await fresh(open);
    for (let i = 0; i < 5; i++) await createEnrollCode(state, i % 2 ? 'so-tu-phap' : 'so-y-te', 60_000, `n${i}`, 1000 + i);
    expect((await listEnrollCodes(state, { limit: 2 })).map((c) => c.note)).toEqual(['n4', 'n3']);
    expect((await listEnrollCodes(state, { agency: 'so-tu-phap' })).map((c) => c.note)).toEqual(['n3', 'n1']);
  });
});
