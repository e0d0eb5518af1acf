// Enrolled agents on both engines: tokens, rotation that never locks an agent out, revocation, listing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { describeEachStateDriver } from '../../test/support/state-drivers.ts';
import type { Agency } from '../config.ts';
import { AGENT_TOKEN_TTL_MS } from './agent-token-cache.ts';
import { syncAgencies } from './agencies.ts';
import { agentByToken, createAgent, getAgent, listAgents, requestTokenRotation, revokeAgent, touchAgent } from './agents.ts';
import { openDb } from './db.ts';
import { sqliteStateSql, type StateSql } from './sql/connect.ts';

const AGENCIES = [
  { id: 'so-y-te', name: 'Sở Y tế', level: 'department', district: 'Trà Vinh', contacts: [], locale: 'vi' },
  { id: 'ubnd-cang-long', name: 'UBND huyện Càng Long', level: 'district', contacts: [], locale: 'vi' },
] as unknown as Agency[];

async function fresh(open: () => Promise<StateSql>): Promise<StateSql> {
  const state = await open();
  await syncAgencies(state, AGENCIES);
  return state;
}

describeEachStateDriver('agents', (open) => {
  it('a new agent is known by its token (with its agency district), never by another string', async () => {
    const state = await fresh(open);
    const { agent, token } = await createAgent(state.db, { agency: 'so-y-te', hostname: 'PC Kế toán', os: 'linux', version: '0.1.0' }, 1_796_000_000_000);
    expect(agent).toMatchObject({ agency: 'so-y-te', hostname: 'PC Kế toán', os: 'linux', version: '0.1.0', createdAt: 1_796_000_000_000 });
    expect(agent.id).toMatch(/^pc-k-to-n-[0-9a-f]{6}$/);
    expect(await agentByToken(state, token)).toMatchObject({ id: agent.id, district: 'Trà Vinh' });
    expect(await agentByToken(state, token.slice(0, -1))).toBeUndefined();
    expect(await getAgent(state, agent.id)).toEqual(agent);
    // The token itself is nowhere in the state, only its hash.
    const stored = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM agents WHERE token_hash = ${token}`.execute(state.db);
    expect(Number(stored.rows[0].n)).toBe(0);
  });

  it('rotation: a new token on the next contact; the old one works until the new one is first used, then never', async () => {
    const state = await fresh(open);
    const { agent, token: old } = await createAgent(state.db, { agency: 'so-y-te', hostname: 'pc-1' });
    expect(await requestTokenRotation(state, agent.id)).toBe(true);
    const first = await agentByToken(state, old);
    expect(first?.rotatedToken).toMatch(/^cga_/);
    // The answer was lost: the agent comes again with its old token and gets another new one.
    const second = await agentByToken(state, old);
    expect(second?.rotatedToken).toBeDefined();
    expect(second?.rotatedToken).not.toBe(first?.rotatedToken);
    // Only the latest one handed out counts; using it ends the old token and the rotation.
    expect(await agentByToken(state, first!.rotatedToken!)).toBeUndefined();
    const used = await agentByToken(state, second!.rotatedToken!);
    expect(used).toMatchObject({ id: agent.id });
    expect(used?.rotatedToken).toBeUndefined();
    expect(await agentByToken(state, old)).toBeUndefined();
    expect((await agentByToken(state, second!.rotatedToken!))?.rotatedToken).toBeUndefined();
  });

  it('two requests racing with the new token promote it once and leave a working token', async () => {
    const state = await fresh(open);
    const { agent, token: old } = await createAgent(state.db, { agency: 'so-y-te', hostname: 'pc-1' });
    await requestTokenRotation(state, agent.id);
    const fresh2 = (await agentByToken(state, old))!.rotatedToken!;
    const both = await Promise.all([agentByToken(state, fresh2), agentByToken(state, fresh2)]);
    expect(both.map((a) => a?.id)).toEqual([agent.id, agent.id]);
    expect(await agentByToken(state, fresh2)).toMatchObject({ id: agent.id });
    expect(await agentByToken(state, old)).toBeUndefined();
  });

  it('a revoked agent’s token stops working at once in this collector, though it was just cached', async () => {
    const state = await fresh(open);
    const { agent, token } = await createAgent(state.db, { agency: 'so-y-te', hostname: 'pc-1' });
    expect(await agentByToken(state, token)).toBeDefined();
    expect(await revokeAgent(state, agent.id, 1000)).toBe(true);
    expect(await revokeAgent(state, agent.id, 2000)).toBe(false);
    expect(await agentByToken(state, token)).toBeUndefined();
    expect((await getAgent(state, agent.id))?.revokedAt).toBe(1000);
    expect(await requestTokenRotation(state, agent.id)).toBe(false);
  });

  it('a revocation made elsewhere (another collector sharing the database) is honoured within the cache TTL', async () => {
    const state = await fresh(open);
    const { agent, token } = await createAgent(state.db, { agency: 'so-y-te', hostname: 'pc-1' });
    const t = Date.now();
    expect(await agentByToken(state, token, t)).toBeDefined();
    await sql`UPDATE agents SET revoked_at = ${t} WHERE id = ${agent.id}`.execute(state.db);
    expect(await agentByToken(state, token, t + 10)).toBeDefined(); // cached: no database question
    expect(await agentByToken(state, token, t + AGENT_TOKEN_TTL_MS)).toBeUndefined();
  });

  it('lists by agency and hostname, notes contacts without forgetting an address or version it was not told', async () => {
    const state = await fresh(open);
    const b = (await createAgent(state.db, { agency: 'so-y-te', hostname: 'pc-b' })).agent;
    const a = (await createAgent(state.db, { agency: 'so-y-te', hostname: 'pc-a', version: '0.1.0' })).agent;
    const c = (await createAgent(state.db, { agency: 'ubnd-cang-long', hostname: 'PC-c' })).agent;
    expect((await listAgents(state)).map((x) => x.id)).toEqual([a.id, b.id, c.id]);
    expect((await listAgents(state, { agency: 'ubnd-cang-long' })).map((x) => x.id)).toEqual([c.id]);
    await touchAgent(state, a.id, { at: 5000, address: '127.0.0.1', version: '0.2.0' });
    await touchAgent(state, a.id, { at: 6000 });
    expect(await getAgent(state, a.id)).toMatchObject({ lastSeen: 6000, lastAddress: '127.0.0.1', version: '0.2.0' });
  });

  it('an agent of an agency the state does not know is refused', async () => {
    const state = await fresh(open);
    await expect(createAgent(state.db, { agency: 'khong-co', hostname: 'pc' })).rejects.toThrow();
  });
});

describe('agent tokens on a SQLite file', () => {
  it('a revocation by another connection (the CLI) is honoured at once, without waiting for the cache', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'canhgac-agents-'));
    try {
      const file = join(dir, 'state.db');
      const state = sqliteStateSql(openDb(file));
      await syncAgencies(state, AGENCIES);
      const { agent, token } = await createAgent(state.db, { agency: 'so-y-te', hostname: 'pc-1' });
      const t = Date.now();
      expect(await agentByToken(state, token, t)).toBeDefined();
      const cli = openDb(file);
      cli.prepare('UPDATE agents SET revoked_at = ? WHERE id = ?').run(t, agent.id);
      cli.close();
      expect(await agentByToken(state, token, t + 10)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
