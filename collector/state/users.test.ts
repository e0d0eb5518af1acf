// Console users on both engines: names without regard to case, logins, password changes and disabling
// that end sessions and the API tokens named after the account.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachStateDriver } from '../../test/support/state-drivers.ts';
import type { Agency } from '../config.ts';
import { createAdminToken, principalByAdminToken } from './admin-tokens.ts';
import { syncAgencies } from './agencies.ts';
import { createSession, sessionById } from './sessions.ts';
import type { StateSql } from './sql/connect.ts';
import { checkLogin, createUser, getUser, listUsers, setDisabled, setPassword, userByName } from './users.ts';

const AGENCIES = [{ id: 'so-y-te', name: 'Sở Y tế', level: 'department', contacts: [], locale: 'vi' }] as unknown as Agency[];

async function fresh(open: () => Promise<StateSql>): Promise<StateSql> {
  const state = await open();
  await syncAgencies(state, AGENCIES);
  return state;
}

describeEachStateDriver('users', (open) => {
  it('names are case-insensitive: found in any case, a second "Lan" refused, listed in NOCASE order', async () => {
    const state = await fresh(open);
    const lan = await createUser(state, { name: 'lan', password: 'password-lan-1', role: 'operator', agency: 'so-y-te' }, 1000);
    expect(lan).toEqual({ id: lan.id, name: 'lan', role: 'operator', agency: 'so-y-te', createdAt: 1000, passwordChangedAt: 1000, lastLoginAt: undefined, disabledAt: undefined });
    expect(await userByName(state, 'LAN')).toEqual(lan);
    expect(await getUser(state, lan.id)).toEqual(lan);
    await expect(createUser(state, { name: 'Lan', password: 'password-lan-2', role: 'viewer' })).rejects.toThrow();
    await createUser(state, { name: 'Binh', password: 'password-binh-1', role: 'admin' });
    await createUser(state, { name: 'an', password: 'password-an-1', role: 'viewer' });
    expect((await listUsers(state)).map((u) => u.name)).toEqual(['an', 'Binh', 'lan']);
  });

  it('a login needs the right password and an enabled account; it notes the time', async () => {
    const state = await fresh(open);
    await createUser(state, { name: 'quantri', password: 'password-qt-1', role: 'admin' });
    expect(await checkLogin(state, 'quantri', 'password-qt-2')).toBeUndefined();
    expect(await checkLogin(state, 'khong-ai', 'password-qt-1')).toBeUndefined();
    expect(await checkLogin(state, 'QuanTri', 'password-qt-1', 5000)).toMatchObject({ name: 'quantri', role: 'admin' });
    expect((await userByName(state, 'quantri'))?.lastLoginAt).toBe(5000);
    const stored = await sql<{ password_hash: string }>`SELECT password_hash FROM users`.execute(state.db);
    expect(stored.rows[0].password_hash).toMatch(/^scrypt\$/);
  });

  it('a new password ends the sessions opened with the old one', async () => {
    const state = await fresh(open);
    const u = await createUser(state, { name: 'lan', password: 'password-lan-1', role: 'viewer' });
    const s = await createSession(state, u.id, '127.0.0.1');
    expect(await setPassword(state, 'LAN', 'password-lan-2', 9000)).toBe(true);
    expect(await setPassword(state, 'khong-ai', 'password-lan-2')).toBe(false);
    expect(await sessionById(state, s)).toBeUndefined();
    expect(await checkLogin(state, 'lan', 'password-lan-1')).toBeUndefined();
    expect(await checkLogin(state, 'lan', 'password-lan-2')).toMatchObject({ passwordChangedAt: 9000 });
  });

  it('a disabled user cannot log in, its sessions end, and API tokens named after it (any case) are revoked', async () => {
    const state = await fresh(open);
    const u = await createUser(state, { name: 'nv.ops', password: 'password-ops-1', role: 'operator' });
    const other = await createUser(state, { name: 'nv.khac', password: 'password-khac-1', role: 'operator' });
    const s = await createSession(state, u.id, '127.0.0.1');
    const kept = await createSession(state, other.id, '127.0.0.1');
    const own = await createAdminToken(state, 'NV.Ops', 'operator');
    const notOwn = await createAdminToken(state, 'nv.ops-backup', 'viewer');
    expect(await setDisabled(state, u.id, true, 7000)).toEqual({ changed: true, tokensRevoked: 1 });
    expect(await sessionById(state, s)).toBeUndefined();
    expect(await sessionById(state, kept)).toBeDefined();
    expect(await principalByAdminToken(state, own)).toBeUndefined();
    expect(await principalByAdminToken(state, notOwn)).toBeDefined();
    expect(await checkLogin(state, 'nv.ops', 'password-ops-1')).toBeUndefined();
    expect((await getUser(state, u.id))?.disabledAt).toBe(7000);
    // Enabling gives the login back, not the tokens.
    expect(await setDisabled(state, u.id, false)).toEqual({ changed: true, tokensRevoked: 0 });
    expect(await checkLogin(state, 'nv.ops', 'password-ops-1')).toBeDefined();
    expect(await principalByAdminToken(state, own)).toBeUndefined();
    expect(await setDisabled(state, 987_654, true)).toEqual({ changed: false, tokensRevoked: 0 });
  });
});
