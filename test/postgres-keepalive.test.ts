// A collector machine that vanishes (its link gone: no FIN, no RST) hands the leader lease over within
// seconds because of the recipe's TCP keepalives (deploy/ha/postgresql/canhgac-replication.conf). Real
// postgresql-15 in a network namespace of the test's own, the lease holder in another, the follower here.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecipePrimary, type RecipePrimary } from '../scripts/lib/postgres-pair.ts';
import { LeaderLease } from '../collector/state/sql/leader-lease.ts';
import { createLan, type TestLan } from './support/netns-lan.ts';
import { missing } from './support/require.ts';

const HOLDER = join(import.meta.dirname, 'support', 'leader-lease-holder.ts');
const skip = missing({ root: true, postgres: true, commands: ['ip', 'setpriv'] });

/** Polls `ok` every 100 ms until it holds, within `ms`. */
async function until(ms: number, what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

describe.skipIf(skip)("the recipe's TCP keepalives: the leader lease of a collector machine that vanishes", () => {
  let lan: TestLan;
  let db: RecipePrimary;
  let holder: ChildProcess | undefined;
  let follower: LeaderLease | undefined;

  beforeAll(async () => {
    lan = createLan({ hosts: 2 });
    const [dbHost, collectorHost] = lan.hosts;
    db = await startRecipePrimary({ listen: dbHost!.ip, netns: dbHost!.ns, collectors: collectorHost!.ip });
  }, 60_000);

  afterAll(async () => {
    await follower?.stop();
    holder?.kill('SIGKILL');
    await db?.stop();
    lan?.teardown();
  });

  it('is taken over by another collector within 20 s of the link going down, never by two at once', async () => {
    const [dbHost, collectorHost] = lan.hosts;
    const connection = { host: dbHost!.ip, port: 5432, user: 'canhgac', password: db.appPassword, database: 'canhgac' };
    holder = lan.spawnIn(collectorHost!.ns, [process.execPath, '--import', 'tsx', HOLDER, JSON.stringify(connection)]);
    const events: { event: string; at: number }[] = [];
    let out = '';
    holder.stdout!.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-10_000);
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const l of lines) if (l.startsWith('{')) events.push(JSON.parse(l) as { event: string; at: number });
    });
    await until(20_000, 'the holder in its namespace takes the lease', () => events.some((e) => e.event === 'acquired'));

    // Another collector, on the database's own machine (its Unix socket), tries every second.
    let followerAt: number | undefined;
    follower = new LeaderLease({ connection: { host: db.node.socketDir, port: db.node.port, user: 'postgres', database: 'canhgac' } });
    follower.on('acquired', () => (followerAt ??= Date.now()));
    follower.start();
    await new Promise((r) => setTimeout(r, 3000));
    expect(followerAt).toBeUndefined(); // the holder keeps it while it is there

    // The machine vanishes: its link goes down, so neither a FIN nor an RST ever reaches the server.
    const cutAt = Date.now();
    const down = lan.run(collectorHost!.ns, ['ip', 'link', 'set', 'e0', 'down']);
    expect(down.code, down.stderr).toBe(0);
    await until(40_000, 'the follower takes the lease', () => followerAt !== undefined);
    const lostAt = events.find((e) => e.event === 'lost')?.at;

    // The holder itself gives the timers up first (its own check fails within 2 s): never two leaders.
    expect(lostAt).toBeDefined();
    expect(lostAt!).toBeLessThan(followerAt!);
    const handover = followerAt! - cutAt;
    expect(handover).toBeLessThan(20_000);
    console.log(`vanished collector: it gave the lease up ${lostAt! - cutAt} ms after its link went down; the other took it ${handover} ms after`);
  }, 90_000);
});
