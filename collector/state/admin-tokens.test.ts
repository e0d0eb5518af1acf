// API tokens on both engines: only the hash stored, revocation by name and by id, the console's listing.
import { sql } from 'kysely';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { describeEachStateDriver } from '../../test/support/state-drivers.ts';
import { createAdminToken, listAdminTokens, principalByAdminToken, revokeAdminToken, revokeAdminTokenById } from './admin-tokens.ts';
import { ADMIN_TOKEN_IDS_VERSION, migrate } from './db.ts';
import { sqliteStateSql } from './sql/connect.ts';

describeEachStateDriver('admin tokens', (open) => {
  it('a token is its principal until revoked, and notes when it was last used', async () => {
    const state = await open();
    const token = await createAdminToken(state, 'grafana', 'viewer', 'so-y-te', 1000);
    expect(token).toMatch(/^cgadm_/);
    expect(await principalByAdminToken(state, token, 2000)).toEqual({ kind: 'token', name: 'grafana', role: 'viewer', agency: 'so-y-te' });
    expect(await principalByAdminToken(state, `${token}x`)).toBeUndefined();
    const [row] = await listAdminTokens(state);
    expect(row).toMatchObject({ name: 'grafana', role: 'viewer', agency: 'so-y-te', createdAt: 1000, lastUsed: 2000, revokedAt: undefined });
    expect(await revokeAdminToken(state, 'grafana', 3000)).toBe(1);
    expect(await revokeAdminToken(state, 'grafana', 4000)).toBe(0);
    expect(await principalByAdminToken(state, token)).toBeUndefined();
    expect((await listAdminTokens(state))[0].revokedAt).toBe(3000);
    const stored = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM admin_tokens WHERE token_hash = ${token}`.execute(state.db);
    expect(Number(stored.rows[0].n)).toBe(0);
  });

  it('revoking by name takes every active token of that name; by id only that one, once', async () => {
    const state = await open();
    const a = await createAdminToken(state, 'script', 'operator', undefined, 1000);
    const b = await createAdminToken(state, 'script', 'operator', undefined, 2000);
    const c = await createAdminToken(state, 'backup', 'admin', undefined, 3000);
    const rows = await listAdminTokens(state);
    expect(rows.map((r) => [r.name, r.createdAt])).toEqual([['backup', 3000], ['script', 2000], ['script', 1000]]);
    const backup = rows[0];
    expect(await revokeAdminTokenById(state, backup.id, 5000)).toMatchObject({ id: backup.id, name: 'backup', role: 'admin', revokedAt: 5000 });
    expect(await revokeAdminTokenById(state, backup.id, 6000)).toBeUndefined();
    expect(await revokeAdminTokenById(state, 987_654, 6000)).toBeUndefined();
    expect(await principalByAdminToken(state, c)).toBeUndefined();
    expect(await revokeAdminToken(state, 'script')).toBe(2);
    expect([await principalByAdminToken(state, a), await principalByAdminToken(state, b)]).toEqual([undefined, undefined]);
  });

  it('lists within its limit, newest first', async () => {
    const state = await open();
    for (let i = 0; i < 5; i++) await createAdminToken(state, `t${i}`, 'viewer', undefined, 1000 + i);
    expect((await listAdminTokens(state, 2)).map((r) => r.name)).toEqual(['t4', 't3']);
  });
});

it('upgrading SQLite gives each token the id its rowid was, and new tokens follow', async () => {
  const db = new Database(':memory:');
  migrate(db, ADMIN_TOKEN_IDS_VERSION - 1);
  const state = sqliteStateSql(db);
  await createAdminToken(state, 'first', 'admin', undefined, 1000);
  await createAdminToken(state, 'second', 'viewer', undefined, 2000);
  db.prepare('DELETE FROM admin_tokens WHERE name = ?').run('first');
  const before = db.prepare("SELECT rowid AS id FROM admin_tokens WHERE name = 'second'").get() as { id: number };
  migrate(db);
  await createAdminToken(state, 'third', 'viewer', undefined, 3000);
  expect((await listAdminTokens(state)).map((r) => [r.name, r.id])).toEqual([['third', before.id + 1], ['second', before.id]]);
  db.close();
});
