// Roles: only viewer, operator and admin are ever accepted, by the parser and by the database itself.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createAdminToken, parseRole, principalByAdminToken, roleAtLeast } from './admin-tokens.ts';
import { migrate, openDb, ROLES_CHECKED_VERSION, SCHEMA_VERSION } from './db.ts';
import { createSession, sessionById } from './sessions.ts';
import { sqliteStateSql } from './sql/connect.ts';
import { createUser, getUser, userByName } from './users.ts';

const HOSTILE = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'Admin', ' admin', ''];

describe('roles', () => {
  it('parseRole accepts the three roles and nothing inherited from Object', () => {
    expect(['viewer', 'operator', 'admin'].map(parseRole)).toEqual(['viewer', 'operator', 'admin']);
    for (const bad of [...HOSTILE, undefined, null, 3, {}]) expect(parseRole(bad), String(bad)).toBeUndefined();
    for (const bad of HOSTILE) expect(roleAtLeast(bad, 'viewer'), bad).toBe(false);
    expect(roleAtLeast('operator', 'viewer')).toBe(true);
    expect(roleAtLeast('operator', 'admin')).toBe(false);
  });

  it('the database refuses to store a user or token with any other role', async () => {
    const db = openDb(':memory:');
    for (const bad of HOSTILE) {
      await expect(createUser(sqliteStateSql(db), { name: `u${HOSTILE.indexOf(bad)}`, password: 'x'.repeat(12), role: bad as never }), bad).rejects.toThrow(/CHECK constraint/);
      await expect(createAdminToken(sqliteStateSql(db), 'script', bad as never), bad).rejects.toThrow(/CHECK constraint/);
    }
    expect(db.prepare('SELECT COUNT(*) AS n FROM users').get()).toEqual({ n: 0 });
    db.close();
  });

  it('upgrading an old state disarms rows that already hold a bad role and keeps everything else', async () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, ROLES_CHECKED_VERSION - 1);
    const state = sqliteStateSql(db);
    const good = await createUser(state, { name: 'an', password: 'x'.repeat(12), role: 'admin' });
    const bad = await createUser(state, { name: 'mallory', password: 'x'.repeat(12), role: 'constructor' as never });
    const goodSession = await createSession(state, good.id, '127.0.0.1');
    await createSession(state, bad.id, '127.0.0.1');
    const goodToken = await createAdminToken(state, 'ok-script', 'operator');
    const badToken = await createAdminToken(state, 'bad-script', 'constructor' as never);

    migrate(db);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(await getUser(state, good.id)).toMatchObject({ name: 'an', role: 'admin', disabledAt: undefined });
    expect(await userByName(state, 'mallory')).toMatchObject({ role: 'viewer' });
    expect((await userByName(state, 'mallory'))!.disabledAt).toBeGreaterThan(0);
    expect((await sessionById(state, goodSession))?.user.name).toBe('an');
    expect(db.prepare('SELECT COUNT(*) AS n FROM user_sessions WHERE user_id = ?').get(bad.id)).toEqual({ n: 0 });
    expect(await principalByAdminToken(state, goodToken)).toMatchObject({ role: 'operator' });
    expect(await principalByAdminToken(state, badToken)).toBeUndefined();
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });
});
