import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type Postgres } from '../scripts/lib/postgres.ts';
import { waitFor } from '../test/support/agent.ts';
import { missing } from '../test/support/require.ts';
import { STORE_AGENCIES } from '../test/support/state-drivers.ts';
import { CommandHub } from './agent-commands/hub.ts';
import { joinCluster, type Cluster } from './cluster.ts';
import { agentByToken, createAgent, revokeAgent } from './state/agents.ts';
import { syncAgencies } from './state/agencies.ts';
import { openDb } from './state/db.ts';
import { openPostgresStateSql, sqliteStateSql, type StateSql } from './state/sql/connect.ts';

const skip = missing({ postgres: true });
const quiet = { info: () => {}, warn: () => {} };

/** Milliseconds until `what` holds (bounded by `ms`). */
async function until(what: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  await waitFor(async () => what(), { timeoutMs: ms, intervalMs: 20, what: 'the cluster to settle' });
  return Date.now() - t0;
}

it('a collector alone on SQLite always leads and relays nothing', async () => {
  const cluster = await joinCluster(sqliteStateSql(openDb(':memory:')), quiet);
  expect(cluster.isLeader()).toBe(true);
  const hub = new CommandHub();
  cluster.attach(hub);
  const woke = hub.waitForAgentWork('pc-1', 1000);
  hub.wakeAgent('pc-1');
  await woke;
  await cluster.close();
  hub.close();
});

describe.skipIf(skip)('collectors on one PostgreSQL', () => {
  let server: Postgres;
  let url: string;
  const states: StateSql[] = [];
  const clusters: Cluster[] = [];
  const hubs: CommandHub[] = [];
  const collector = async () => {
    const state = await openPostgresStateSql({ url, passwordFile: server.passwordFile });
    states.push(state);
    const cluster = await joinCluster(state, quiet, { retryMs: 200 });
    clusters.push(cluster);
    const hub = new CommandHub();
    hubs.push(hub);
    cluster.attach(hub);
    return { cluster, hub };
  };
  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('cluster_test');
  }, 60_000);
  afterAll(async () => {
    for (const h of hubs) h.close();
    for (const c of clusters) await c.close();
    for (const s of states) await s.close();
    await server?.stop();
  });

  it('one of two leads; a command wake-up on one reaches a poll held on the other; the follower leads once the leader goes', async () => {
    const a = await collector();
    await until(() => a.cluster.isLeader(), 5000);
    const b = await collector();
    await new Promise((r) => setTimeout(r, 600));
    expect(b.cluster.isLeader()).toBe(false);

    // An agent's poll held on B wakes when A queues its command, well before the poll's own timeout.
    const t0 = Date.now();
    const held = b.hub.waitForAgentWork('pc-7', 10_000);
    a.hub.wakeAgent('pc-7');
    await held;
    expect(Date.now() - t0).toBeLessThan(2000);
    // And a result arriving on B wakes an operator's request waiting on A.
    let arrived = false;
    const waiting = a.hub.waitForResults(['cmd-1'], 10_000, () => arrived);
    arrived = true;
    b.hub.resultArrived('cmd-1');
    const t1 = Date.now();
    await waiting;
    expect(Date.now() - t1).toBeLessThan(2000);

    await a.cluster.close();
    const took = await until(() => b.cluster.isLeader(), 5000);
    expect(took).toBeLessThan(2000);
  }, 30_000);

  it('a token revoked through any connection (here a CLI-like one with no cluster) stops working on every collector at once, not after the cache time', async () => {
    const a = await collector();
    const stateA = states[states.length - 1];
    await syncAgencies(stateA, STORE_AGENCIES);
    const { agent, token } = await createAgent(stateA.db, { agency: 'so-y-te', hostname: 'pc-9' });
    // Collector A answers the token from its cache from now on.
    expect((await agentByToken(stateA, token))?.id).toBe(agent.id);
    const cli = await openPostgresStateSql({ url, passwordFile: server.passwordFile });
    states.push(cli);
    expect(await revokeAgent(cli, agent.id)).toBe(true);
    await waitFor(async () => (await agentByToken(stateA, token)) === undefined, { timeoutMs: 3000, intervalMs: 50, what: "collector A to refuse the revoked token (its cache keeps answers 30 s)" });
    a.hub.close();
  }, 30_000);
});
