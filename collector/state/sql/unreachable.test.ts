// Which errors mean "the state database cannot answer now" (a 503 to retry) and which are a fault in
// the request or the code (a 4xx or 500 as before): by their codes, and as a real PostgreSQL 15 raises them.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type Postgres } from '../../../scripts/lib/postgres.ts';
import { missing } from '../../../test/support/require.ts';
import { openPostgresStateSql, type StateSql } from './connect.ts';
import { stateUnreachable } from './unreachable.ts';

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('stateUnreachable: by code and words', () => {
  it.each([
    ['admin shutdown', coded('57P01')],
    ['crash shutdown', coded('57P02')],
    ['starting up', coded('57P03')],
    ['statement timeout', coded('57014')],
    ['no connection slot', coded('53300')],
    ['connection failure', coded('08006')],
    ['connection refused', coded('ECONNREFUSED')],
    ['connection reset', coded('ECONNRESET')],
    ['timed out', coded('ETIMEDOUT')],
    ['SQLite busy', coded('SQLITE_BUSY')],
    ['SQLite busy snapshot', coded('SQLITE_BUSY_SNAPSHOT')],
    ['pg: connection terminated', new Error('Connection terminated unexpectedly')],
    ['pg-pool: connect timeout', new Error('timeout exceeded when trying to connect')],
    ['wrapped as a cause', new Error('query failed', { cause: coded('57P01') })],
    ['each address refused', Object.assign(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]), { code: undefined })],
  ])('%s: unreachable', (_name, err) => {
    expect(stateUnreachable(err)).toBe(true);
  });

  it.each([
    ['unique violation', coded('23505')],
    ['no such table', coded('42P01')],
    ['syntax error', coded('42601')],
    ['SQLite constraint', coded('SQLITE_CONSTRAINT_UNIQUE')],
    ['a plain error', new Error('boom')],
    ['a validation error', Object.assign(new Error('body/samples must be array'), { statusCode: 400 })],
    ['not an error', 'Connection terminated'],
    ['nothing', undefined],
  ])('%s: not unreachable', (_name, err) => {
    expect(stateUnreachable(err)).toBe(false);
  });
});

describe.skipIf(missing({ postgres: true }))('stateUnreachable: as a real PostgreSQL 15 raises them', () => {
  let pg: Postgres;
  let state: StateSql;
  beforeAll(async () => {
    pg = await startPostgres();
    const url = await pg.createDatabase('unreachable');
    state = await openPostgresStateSql({ url, passwordFile: pg.passwordFile, statementTimeoutMs: 1000, poolSize: 2 });
  }, 60_000);
  afterAll(async () => {
    await state?.close();
    await pg?.stop();
  });

  const failure = async (p: Promise<unknown>) => p.then(() => undefined, (err: unknown) => err);

  it('a statement past state.statementTimeout (57014), a session ended by an administrator (57P01), the server gone', async () => {
    const late = await failure(sql`SELECT pg_sleep(3)`.execute(state.db));
    expect((late as { code?: string }).code).toBe('57014');
    expect(stateUnreachable(late)).toBe(true);

    const ended = failure(sql`SELECT pg_sleep(10)`.execute(state.db));
    await new Promise((r) => setTimeout(r, 300));
    await pg.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'unreachable' AND query LIKE '%pg_sleep(10)%'`);
    const terminated = await ended;
    expect((terminated as { code?: string }).code).toBe('57P01');
    expect(stateUnreachable(terminated)).toBe(true);

    await pg.pause();
    const gone = await failure(sql`SELECT 1`.execute(state.db));
    expect(gone).toBeInstanceOf(Error);
    expect(stateUnreachable(gone), String(gone)).toBe(true);
    await pg.restart();
    expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(state.db)).rows).toEqual([{ one: 1 }]);

    // A fault in the statement itself stays a fault.
    const wrong = await failure(sql`SELECT * FROM no_such_table`.execute(state.db));
    expect(stateUnreachable(wrong)).toBe(false);
  }, 60_000);
});
