// `state migrate --to postgres`: moves a collector's SQLite state to PostgreSQL (for several collectors
// sharing one state), with the collector stopped: every table copied, counts verified, nothing half done.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { lockHolder } from '../../lib/segment-log.ts';
import { statePath } from '../service.ts';
import { openDb } from '../state/db.ts';
import { redactedUrl } from '../state/sql/connect.ts';
import { copyStateToPostgres } from '../state/sql/copy-to-postgres.ts';
import { loadConfig, parseOptions, printTable, UsageError, type CommandGroup } from './common.ts';

export const STATE_USAGE = `  canhgac-collector state migrate --to postgres --url postgres://USER@HOST:PORT/DB [--password-file FILE] [--config FILE]
                                                            copy the SQLite state into an empty PostgreSQL database
                                                            and verify every table's count (collector stopped)
`;

async function migrateState(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, { to: { type: 'string' }, url: { type: 'string' }, 'password-file': { type: 'string' } });
  if (values.to !== 'postgres') throw new UsageError(`--to: expected postgres, got ${JSON.stringify(values.to ?? '')}`);
  const url = values.url;
  if (!url || !URL.canParse(url) || !['postgres:', 'postgresql:'].includes(new URL(url).protocol)) {
    throw new UsageError(`--url: expected postgres://USER@HOST:PORT/DATABASE, got ${JSON.stringify(url ? redactedUrl(url) : '')}`);
  }
  if (new URL(url).password) throw new UsageError('--url: put the password in a file given with --password-file, not in the URL (it would be in the shell history)');
  const config = loadConfig(values);
  const spool = join(config.dataDir, 'spool');
  const holder = lockHolder(spool);
  if (holder !== undefined) {
    process.stderr.write(`canhgac-collector: the collector (pid ${holder}) is running on ${config.dataDir}: stop it first, so the copy is of a state nobody writes\n`);
    return 1;
  }
  const u = new URL(url);
  const password = values['password-file'] ? readFileSync(values['password-file'], 'utf8').trim() : undefined;
  const client = new pg.Client({ host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username), database: u.pathname.slice(1), password, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (err) {
    process.stderr.write(`canhgac-collector: cannot reach ${redactedUrl(url)}: ${(err as Error).message}\n`);
    return 1;
  }
  const db = openDb(statePath(config));
  try {
    process.stderr.write(`copying ${statePath(config)} to ${redactedUrl(url)}\n`);
    const copied = await copyStateToPostgres(db, client, (t) => process.stderr.write(`  ${t.table}: ${t.rows} rows\n`));
    printTable([['table', 'rows'], ...copied.map((t) => [t.table, String(t.rows)])]);
    process.stderr.write(`done: ${copied.length} tables, ${copied.reduce((n, t) => n + t.rows, 0)} rows, every count verified\n`);
    return 0;
  } finally {
    db.close();
    await client.end().catch(() => {});
  }
}

export const stateGroup: CommandGroup = {
  commands: ['state'],
  usage: STATE_USAGE,
  run: async (_command, argv) => {
    const [sub, ...rest] = argv;
    if (sub !== 'migrate') throw new UsageError(`state: expected the subcommand migrate, got ${JSON.stringify(sub ?? '')}`);
    return migrateState(rest);
  },
};
