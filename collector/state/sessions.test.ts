// Console sessions on both engines: hashed ids, absolute and idle expiry, one write a minute at most.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachStateDriver } from '../../test/support/state-drivers.ts';
import { createSession, csrfTokenOf, endSession, sessionById, SESSION_IDLE_MS, SESSION_TTL_MS } from './sessions.ts';
import type { StateSql } from './sql/connect.ts';
import { createUser } from './users.ts';

async function withUser(open: () => Promise<StateSql>) {
  const state = await open();
  const user = await createUser(state, { name: 'lan', password: 'password-lan-1', role: 'viewer' });
  return { state, user };
}

const lastSeen = async (state: StateSql) => Number((await sql<{ t: number }>`SELECT last_seen AS t FROM user_sessions`.execute(state.db)).rows[0]?.t);

describeEachStateDriver('sessions', (open) => {
  it('a session is its user and CSRF token; only the id’s hash is stored; a malformed id is never looked up', async () => {
    const { state, user } = await withUser(open);
    const id = await createSession(state, user.id, '127.0.0.1', 1000);
    expect(await sessionById(state, id, 2000)).toEqual({ id, user, expiresAt: 1000 + SESSION_TTL_MS, csrf: csrfTokenOf(id) });
    const stored = await sql<{ id_hash: string; address: string }>`SELECT id_hash, address FROM user_sessions`.execute(state.db);
    expect(stored.rows[0].id_hash).not.toBe(id);
    expect(stored.rows[0].address).toBe('127.0.0.1');
    expect(await sessionById(state, `${id.slice(0, -1)}!`, 2000)).toBeUndefined();
    expect(await sessionById(state, 'A'.repeat(43), 2000)).toBeUndefined();
    await endSession(state, id);
    expect(await sessionById(state, id, 2000)).toBeUndefined();
  });

  it('ends when idle too long and at its absolute lifetime, however busy', async () => {
    const { state, user } = await withUser(open);
    const idle = await createSession(state, user.id, undefined, 1000);
    expect(await sessionById(state, idle, 1000 + SESSION_IDLE_MS)).toBeUndefined();
    const busy = await createSession(state, user.id, undefined, 1000);
    for (let t = 1000; t < 1000 + SESSION_TTL_MS; t += SESSION_IDLE_MS / 2) expect(await sessionById(state, busy, t), String(t)).toBeDefined();
    expect(await sessionById(state, busy, 1000 + SESSION_TTL_MS)).toBeUndefined();
  });

  it('notes activity at most once a minute', async () => {
    const { state, user } = await withUser(open);
    const id = await createSession(state, user.id, undefined, 1000);
    await sessionById(state, id, 31_000);
    expect(await lastSeen(state)).toBe(1000);
    await sessionById(state, id, 61_001);
    expect(await lastSeen(state)).toBe(61_001);
  });

  it('a new session sweeps everyone’s expired and idle ones', async () => {
    const { state, user } = await withUser(open);
    await createSession(state, user.id, undefined, 1000);
    await createSession(state, user.id, undefined, 1000 + SESSION_IDLE_MS + 1);
    const n = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM user_sessions`.execute(state.db);
    expect(Number(n.rows[0].n)).toBe(1);
  });
});
