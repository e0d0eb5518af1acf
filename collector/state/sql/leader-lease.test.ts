import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type Postgres } from '../../../scripts/lib/postgres.ts';
import { missing } from '../../../test/support/require.ts';
import { LeaderLease } from './leader-lease.ts';

const skip = missing({ postgres: true });

async function until(what: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!what()) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - t0;
}

describe.skipIf(skip)('the leader lease on a real PostgreSQL', () => {
  let server: Postgres;
  const leases: LeaderLease[] = [];
  const lease = () => {
    const l = new LeaderLease({ connection: { host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' }, retryMs: 200 });
    leases.push(l);
    return l;
  };
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    for (const l of leases) await l.stop();
    await server?.stop();
  });

  it('one collector leads; when its session is cut it knows at once, and another takes over', async () => {
    const a = lease();
    a.start();
    await until(() => a.isLeader(), 5000);
    const b = lease();
    b.start();
    await new Promise((r) => setTimeout(r, 800));
    expect(b.isLeader()).toBe(false);
    const lost = once(a, 'lost');
    await server.query("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted");
    await lost;
    expect(a.isLeader()).toBe(false);
    // Never two leaders: b takes the lock PostgreSQL freed; a, trying again, finds it taken.
    await until(() => b.isLeader(), 3000);
    await new Promise((r) => setTimeout(r, 600));
    expect([a.isLeader(), b.isLeader()]).toEqual([false, true]);
    await b.stop();
    await until(() => a.isLeader(), 3000);
    await a.stop();
  }, 30_000);

  it('a leader killed with -9 is replaced within a second or two', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `
        const { LeaderLease } = await import(${JSON.stringify(new URL('./leader-lease.ts', import.meta.url).pathname)});
        const l = new LeaderLease({ connection: JSON.parse(process.argv[1]), retryMs: 200 });
        l.on('acquired', () => console.log('leader'));
        l.start();
        setTimeout(() => process.exit(0), 60_000).unref();
      `, JSON.stringify({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' })],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await once(child.stdout!, 'data');
      const b = lease();
      b.start();
      await new Promise((r) => setTimeout(r, 500));
      expect(b.isLeader()).toBe(false);
      child.kill('SIGKILL');
      const took = await until(() => b.isLeader(), 5000);
      expect(took).toBeLessThan(2000);
      await b.stop();
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it('a database restart takes the lease away, and it comes back after', async () => {
    const a = lease();
    a.start();
    await until(() => a.isLeader(), 5000);
    const lost = once(a, 'lost');
    await server.restart();
    await lost;
    await until(() => a.isLeader(), 10_000);
    await a.stop();
  }, 60_000);
});
