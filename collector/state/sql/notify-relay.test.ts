import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type Postgres } from '../../../scripts/lib/postgres.ts';
import { missing } from '../../../test/support/require.ts';
import { CommandHub } from '../../agent-commands/hub.ts';
import { parseWake, poolNotify, WakeRelay } from './notify-relay.ts';

const skip = missing({ postgres: true });

describe('parseWake', () => {
  it('takes the three kinds of wake-up, skips our own, and refuses anything else', () => {
    expect(parseWake('{"from":"b","kind":"agent","id":"pc-so-y-te-1a2b3c"}', 'a')).toEqual({ kind: 'agent', id: 'pc-so-y-te-1a2b3c' });
    expect(parseWake('{"from":"b","kind":"all"}', 'a')).toEqual({ kind: 'all' });
    expect(parseWake('{"from":"b","kind":"result","id":"cmd-1"}', 'a')).toEqual({ kind: 'result', id: 'cmd-1' });
    expect(parseWake('{"from":"a","kind":"all"}', 'a')).toBeUndefined();
    for (const bad of ['', 'null', '[]', '{"kind":"agent"}', '{"kind":"agent","id":"x y"}', `{"kind":"agent","id":"${'x'.repeat(129)}"}`, '{"kind":"__proto__","id":"x"}', '{"kind":"agent","id":{"a":1}}', `{"kind":"all","pad":"${'x'.repeat(500)}"}`]) {
      expect(parseWake(bad, 'a'), bad).toBeUndefined();
    }
  });
});

describe.skipIf(skip)('wake-ups between collectors on a real PostgreSQL', () => {
  let server: Postgres;
  const stops: (() => Promise<void>)[] = [];
  /** One collector's hub, relayed through its own listening session and pool. */
  const collector = async () => {
    const connection = { host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' };
    const pool = new pg.Pool({ ...connection, max: 2 });
    pool.on('error', () => {});
    const hub = new CommandHub();
    const relay = new WakeRelay({ connection, notify: poolNotify(pool), onWake: (w) => hub.receive(w), retryMs: 200 });
    await relay.start();
    hub.relayTo(relay);
    stops.push(async () => {
      hub.close();
      await relay.stop();
      await pool.end();
    });
    return hub;
  };
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    for (const s of stops) await s();
    await server?.stop();
  });

  it('a command queued on one collector wakes the poll held by another at once', async () => {
    const [one, two] = [await collector(), await collector()];
    const t0 = Date.now();
    const held = two.waitForAgentWork('pc-so-y-te-1', 10_000);
    setTimeout(() => one.wakeAgent('pc-so-y-te-1'), 50);
    await held;
    expect(Date.now() - t0).toBeLessThan(2000);
    // Every agent (a profile change), and an operator waiting for a result on the other collector.
    const all = two.waitForAgentWork('pc-so-noi-vu-2', 10_000);
    let done = false;
    const result = one.waitForResults(['cmd-7'], 10_000, () => done);
    setTimeout(() => {
      one.wakeAllAgents();
      done = true;
      two.resultArrived('cmd-7');
    }, 50);
    const t1 = Date.now();
    await Promise.all([all, result]);
    expect(Date.now() - t1).toBeLessThan(2000);
  }, 30_000);

  it('after the database restarts, the listening session comes back and wake-ups flow again', async () => {
    const [one, two] = [await collector(), await collector()];
    await server.restart();
    // The listener reconnects within its retry; a wake-up sent before that is only a lost hint.
    let woke = false;
    for (let i = 0; i < 50 && !woke; i++) {
      const held = two.waitForAgentWork('pc-after-restart', 200).then(() => Date.now());
      const sent = Date.now();
      one.wakeAgent('pc-after-restart');
      woke = (await held) - sent < 150;
    }
    expect(woke).toBe(true);
  }, 60_000);
});
