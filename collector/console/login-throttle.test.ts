import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachStateDriver } from '../../test/support/state-drivers.ts';
import { LoginThrottle } from './login-throttle.ts';

describeEachStateDriver('login throttle', (open, _driver, again) => {
  it('locks a pair after 5 failures with a doubling delay, and only that pair; a success clears it', async () => {
    const t = new LoginThrottle(await open());
    for (let i = 0; i < 4; i++) await t.failure('127.0.0.11', 'an', 0);
    expect(await t.retryAfterMs('127.0.0.11', 'an', 0)).toBe(0);
    await t.failure('127.0.0.11', 'an', 0);
    expect(await t.retryAfterMs('127.0.0.11', 'AN', 0)).toBe(30_000);
    await t.failure('127.0.0.11', 'an', 30_000);
    expect(await t.retryAfterMs('127.0.0.11', 'an', 30_000)).toBe(60_000);
    expect(await t.retryAfterMs('127.0.0.12', 'an', 30_000)).toBe(0);
    expect(await t.retryAfterMs('127.0.0.11', 'binh', 30_000)).toBe(0);
    for (let i = 0; i < 30; i++) await t.failure('127.0.0.11', 'an', 40_000);
    expect(await t.retryAfterMs('127.0.0.11', 'an', 40_000)).toBe(15 * 60_000);
    await t.success('127.0.0.11', 'an');
    expect(await t.retryAfterMs('127.0.0.11', 'an', 40_000)).toBe(0);
  });

  it('two collectors on one state count the failures of a pair together', async () => {
    const state = await open();
    const a = new LoginThrottle(state);
    const b = new LoginThrottle(await again(state));
    // A guesser alternating between the collectors behind a balancer, 4 failures on each at once: the
    // 8th failure's lock holds, whichever order the collectors' writes land in.
    await Promise.all([0, 1, 2, 3].flatMap(() => [a.failure('127.0.0.13', 'lan', 1000), b.failure('127.0.0.13', 'lan', 1000)]));
    expect(await a.retryAfterMs('127.0.0.13', 'lan', 1000)).toBe(240_000);
    expect(await b.retryAfterMs('127.0.0.13', 'lan', 1000)).toBe(240_000);
  });

  it('a name with a NUL or other control character is counted without it; the table stays within its bound', async () => {
    const state = await open();
    const t = new LoginThrottle(state, { freeFailures: 1, baseLockMs: 1000, maxLockMs: 4000, maxEntries: 20 });
    await t.failure('127.0.0.14', 'ad\u0000min\n', 0);
    expect(await t.retryAfterMs('127.0.0.14', 'admin', 0)).toBe(1000);
    for (let i = 0; i < 300; i++) await t.failure('127.0.0.15', `made-up-${i}`, 10 + i);
    const n = Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM login_throttle`.execute(state.db)).rows[0].n);
    expect(n).toBeLessThanOrEqual(20 + 256);
    await t.sweep(400);
    const after = Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM login_throttle`.execute(state.db)).rows[0].n);
    expect(after).toBeLessThan(20);
    // Idle past the longest lock: forgotten.
    await t.sweep(400 + 4001 + 300);
    expect(Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM login_throttle`.execute(state.db)).rows[0].n)).toBe(0);
  });
});
