// Opens the state the config names, for the collector and for each CLI command alike: the SQLite file in
// dataDir (with its handle, which stores not yet on the SQL layer use) or a PostgreSQL database.
import { join } from 'node:path';
import { openDb, type DB } from './db.ts';
import { openPostgresStateSql, redactedUrl, sqliteStateSql, type StateSql } from './sql/connect.ts';
import type { StateSettings } from './settings.ts';

export interface OpenedState {
  state: StateSql;
  /** The SQLite handle under `state`; undefined on PostgreSQL. */
  db?: DB;
  /** Where the state is, fit for a log line (never a password). */
  where: string;
  close(): Promise<void>;
}

export function statePath(config: { dataDir: string }): string {
  return join(config.dataDir, 'state.db');
}

/**
 * SQLite: `dataDir/state.db`, created when absent. PostgreSQL: connected within its connect timeout and
 * migrated, or a StateConnectError naming the redacted URL (the CLI turns it into exit code 2); nothing
 * is created in dataDir then.
 */
export async function openState(config: { dataDir: string; state: StateSettings }): Promise<OpenedState> {
  const s = config.state;
  if (s.driver === 'postgres') {
    const state = await openPostgresStateSql({ url: s.url, passwordFile: s.passwordFile, poolSize: s.poolSize, statementTimeoutMs: s.statementTimeoutMs, connectTimeoutMs: s.connectTimeoutMs });
    return { state, where: redactedUrl(s.url), close: () => state.close() };
  }
  const file = statePath(config);
  const db = openDb(file);
  return { state: sqliteStateSql(db), db, where: file, close: async () => void db.close() };
}
