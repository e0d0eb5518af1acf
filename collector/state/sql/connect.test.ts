import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../scripts/lib/influxd.ts';
import { startPostgres, type Postgres } from '../../../scripts/lib/postgres.ts';
import { missing } from '../../../test/support/require.ts';
import { openDb } from '../db.ts';
import { openPostgresStateSql, redactedUrl, sqliteStateSql, StateConnectError, type StateSql } from './connect.ts';

const skip = missing({ postgres: true });

describe('redactedUrl', () => {
  it('keeps user, host, port and database, never the password', () => {
    expect(redactedUrl('postgres://canhgac:s3cret@127.0.0.1:5432/state')).toBe('postgres://canhgac@127.0.0.1:5432/state');
    expect(redactedUrl('not a url')).toBe('(not a URL)');
  });
});

describe('an unreachable PostgreSQL', () => {
  it('is a clear error naming the URL without its password', async () => {
    const port = await freePort(); // nothing listens there
    const err = await openPostgresStateSql({ url: `postgres://canhgac:hunter22@127.0.0.1:${port}/state`, connectTimeoutMs: 2000 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(StateConnectError);
    expect((err as Error).message).toContain(`cannot reach the state database postgres://canhgac@127.0.0.1:${port}/state`);
    expect((err as Error).message).not.toContain('hunter22');
  });
});

/** The same statements through both engines must give the same rows, with the same JavaScript types. */
async function roundTrip(s: StateSql) {
  const now = 1_796_000_000_123; // a millisecond time past 2^31: BIGINT on PostgreSQL, returned as a number
  await sql`INSERT INTO agencies (id, name, level) VALUES (${'so-y-te'}, ${'Sở Y tế'}, ${'so-nganh'})`.execute(s.db);
  await sql`INSERT INTO enroll_codes (code_hash, agency, created_at, expires_at, note) VALUES (${'h1'}, ${'so-y-te'}, ${now}, ${now + 1}, ${null})`.execute(s.db);
  const updated = await sql`UPDATE enroll_codes SET used_at = ${now} WHERE code_hash = ${'h1'} AND used_at IS NULL`.execute(s.db);
  const again = await sql`UPDATE enroll_codes SET used_at = ${now} WHERE code_hash = ${'h1'} AND used_at IS NULL`.execute(s.db);
  const rows = await sql<Record<string, unknown>>`SELECT agency, created_at, used_at, note, (SELECT COUNT(*) FROM enroll_codes) AS n FROM enroll_codes`.execute(s.db);
  const inserted = await sql<{ id: number }>`INSERT INTO audit_log (at, actor, actor_kind, action) VALUES (${now}, ${'an'}, ${'user'}, ${'login'}) RETURNING id`.execute(s.db);
  return { changed: [Number(updated.numAffectedRows), Number(again.numAffectedRows)], rows: rows.rows, id: inserted.rows[0].id };
}

describe('the state SQL layer on SQLite', () => {
  it('runs portable statements over the collector’s own handle', async () => {
    const s = sqliteStateSql(openDb(':memory:'));
    expect(await roundTrip(s)).toEqual({ changed: [1, 0], rows: [{ agency: 'so-y-te', created_at: 1_796_000_000_123, used_at: 1_796_000_000_123, note: null, n: 1 }], id: 1 });
  });
});

describe.skipIf(skip)('the state SQL layer on a real PostgreSQL', () => {
  let server: Postgres;
  let state: StateSql | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await state?.close();
    await server?.stop();
    for (const f of [`canhgac-pg-pw-${process.pid}`, `canhgac-pg-bad-${process.pid}`]) rmSync(join(tmpdir(), f), { force: true });
  });

  it('connects with the password from its file, migrates, and answers as SQLite does', async () => {
    const url = await server.createDatabase('layer');
    const passwordFile = join(tmpdir(), `canhgac-pg-pw-${process.pid}`);
    writeFileSync(passwordFile, `${server.password}\n`, { mode: 0o600 });
    state = await openPostgresStateSql({ url, passwordFile });
    const lite = await roundTrip(sqliteStateSql(openDb(':memory:')));
    expect(await roundTrip(state)).toEqual(lite);
  });

  it('a wrong password is a clear error, and the password is not in it', async () => {
    const url = await server.createDatabase('wrongpw');
    const passwordFile = join(tmpdir(), `canhgac-pg-bad-${process.pid}`);
    writeFileSync(passwordFile, 'not-the-password\n', { mode: 0o600 });
    const err = await openPostgresStateSql({ url, passwordFile }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(StateConnectError);
    expect((err as Error).message).toMatch(/password authentication failed/);
    expect((err as Error).message).not.toContain('not-the-password');
  });
});

describe.skipIf(skip)('losing PostgreSQL while a statement runs', () => {
  it('fails that statement, never the process', async () => {
    const server = await startPostgres();
    try {
      const url = await server.createDatabase('lost');
      const passwordFile = join(tmpdir(), `canhgac-pg-lost-${process.pid}`);
      writeFileSync(passwordFile, `${server.password}\n`, { mode: 0o600 });
      const state = await openPostgresStateSql({ url, passwordFile });
      const uncaught: Error[] = [];
      const onUncaught = (e: Error) => uncaught.push(e);
      process.on('uncaughtException', onUncaught);
      try {
        const slow = sql`SELECT pg_sleep(30)`.execute(state.db).then(() => 'answered', (e: Error) => e.message);
        await new Promise((r) => setTimeout(r, 300));
        // kill -9 of the postmaster: its backends end without a word, the socket just closes.
        server.process.kill('SIGKILL');
        expect(await slow).toMatch(/terminat|connection|closed/i);
        await new Promise((r) => setTimeout(r, 200));
        expect(uncaught).toEqual([]);
      } finally {
        process.off('uncaughtException', onUncaught);
        await state.close();
        rmSync(passwordFile, { force: true });
      }
    } finally {
      await server.stop();
    }
  }, 60_000);
});
