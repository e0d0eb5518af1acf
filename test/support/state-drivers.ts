// Store tests run once per state engine: SQLite in memory, and a real PostgreSQL (one server per test
// file, a new database per `open()`). PostgreSQL skips with a printed reason outside CI only.
import { afterAll, describe } from 'vitest';
import { startPostgres, type Postgres } from '../../scripts/lib/postgres.ts';
import type { Agency } from '../../collector/config.ts';
import { syncAgencies } from '../../collector/state/agencies.ts';
import { openDb } from '../../collector/state/db.ts';
import { openPostgresStateSql, sqliteStateSql, type StateDriver, type StateSql } from '../../collector/state/sql/connect.ts';
import { missing } from './require.ts';

export type OpenState = () => Promise<StateSql>;
/**
 * Another connection to the same state, as a second collector would hold: on PostgreSQL a pool of its
 * own to the same database; on SQLite (one writer at a time, an in-memory database) the same handle.
 */
export type OpenAgain = (state: StateSql) => Promise<StateSql>;

const urls = new WeakMap<StateSql, { url: string; passwordFile: string }>();

let server: Promise<Postgres> | undefined;
let databases = 0;

async function openPostgres(opened: StateSql[]): Promise<StateSql> {
  const s = await (server ??= startPostgres());
  const url = await s.createDatabase(`store_${process.pid}_${++databases}`);
  const state = await openPostgresStateSql({ url, passwordFile: s.passwordFile });
  opened.push(state);
  urls.set(state, { url, passwordFile: s.passwordFile });
  return state;
}

/**
 * `body` is declared once per engine, inside a describe named for it: the same tests, the same
 * expectations, on SQLite and on PostgreSQL.
 */
export function describeEachStateDriver(name: string, body: (open: OpenState, driver: StateDriver, again: OpenAgain) => void): void {
  describe(`${name} (sqlite)`, () => body(async () => sqliteStateSql(openDb(':memory:')), 'sqlite', async (state) => state));
  const skip = missing({ postgres: true });
  describe.skipIf(skip)(`${name} (postgres)`, () => {
    const opened: StateSql[] = [];
    afterAll(async () => {
      for (const s of opened.splice(0)) await s.close();
    });
    const again: OpenAgain = async (state) => {
      const where = urls.get(state);
      if (!where) throw new Error('again: not a state opened by this test');
      const other = await openPostgresStateSql(where);
      opened.push(other);
      return other;
    };
    body(() => openPostgres(opened), 'postgres', again);
  });
  afterAll(async () => {
    const s = server;
    server = undefined;
    if (s) await (await s).stop();
  });
}

/** The two departments most store tests need (the ids of TEST_AGENCIES in test/support/collector.ts). */
export const STORE_AGENCIES = [
  { id: 'so-y-te', name: 'Sở Y tế', level: 'department', contacts: [], locale: 'vi' },
  { id: 'so-tu-phap', name: 'Sở Tư pháp', level: 'department', contacts: [], locale: 'vi' },
] as unknown as Agency[];

/** A fresh state with STORE_AGENCIES mirrored, as the collector mirrors its config's agencies. */
export async function openWithAgencies(open: OpenState): Promise<StateSql> {
  const state = await open();
  await syncAgencies(state, STORE_AGENCIES);
  return state;
}
