// `canhgac-collector state migrate --to postgres` against a real PostgreSQL: a SQLite state with rows in
// every table is copied whole (every value of every row), logins and agent tokens still check, ids
// continue after the copied ones, and a second run into the now non-empty database is refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type Postgres } from '../scripts/lib/postgres.ts';
import { hashSecret } from '../collector/secrets.ts';
import { syncAgencies } from '../collector/state/agencies.ts';
import { sqliteStateSql } from '../collector/state/sql/connect.ts';
import { createAgent } from '../collector/state/agents.ts';
import { openDb, type DB } from '../collector/state/db.ts';
import { numbersAsNumbers } from '../collector/state/sql/connect.ts';
import { tablesInCopyOrder } from '../collector/state/sql/copy-to-postgres.ts';
import { createUser, verifyPassword } from '../collector/state/users.ts';
import { COLLECTOR_BIN, runCli, writeYaml } from './support/agent.ts';
import { TEST_AGENCIES } from './support/collector.ts';
import { missing } from './support/require.ts';

const skip = missing({ postgres: true });

interface Column {
  name: string;
  type: string;
  pk: number;
}

/** Values a CHECK (col IN (...)) allows, read from the table's own SQL. */
function allowedValues(db: DB, table: string): Map<string, string> {
  const text = (db.prepare("SELECT sql FROM sqlite_master WHERE name = ?").get(table) as { sql: string }).sql;
  return new Map([...text.matchAll(/CHECK \((\w+) IN \('([^']+)'/g)].map((m) => [m[1], m[2]]));
}

/** Three made-up rows in every table the real data left empty, references pointing at real parents. */
function fillEveryTable(db: DB): void {
  for (const table of tablesInCopyOrder(db)) {
    if ((db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n > 0) continue;
    const cols = db.prepare(`PRAGMA table_info(${table})`).all() as Column[];
    const refs = new Map((db.prepare(`PRAGMA foreign_key_list(${table})`).all() as { from: string; table: string; to: string | null }[]).map((f) => [f.from, f]));
    const checks = allowedValues(db, table);
    for (let i = 0; i < 3; i++) {
      const values = cols.map((c) => {
        const ref = refs.get(c.name);
        if (ref) {
          const pick = (n: number) => db.prepare(`SELECT ${ref.to ?? 'rowid'} AS v FROM ${ref.table} ORDER BY rowid LIMIT 1 OFFSET ?`).get(n) as { v: unknown } | undefined;
          return (pick(i) ?? pick(0))!.v;
        }
        if (checks.has(c.name)) return checks.get(c.name);
        if (c.type === 'INTEGER') return 1_796_000_000_000 + i; // past 2^31: a millisecond time
        if (c.type === 'REAL') return 0.5 + i;
        if (c.type === 'BLOB') return Buffer.from([0, 1, 2, 255, i]);
        return `${table}.${c.name} ${i} Sở Y tế`;
      });
      try {
        db.prepare(`INSERT INTO ${table} (${cols.map((c) => c.name).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...values);
      } catch (err) {
        // A key that is also a reference (one row per parent): fewer rows, never none (the first always fits).
        if (i === 0 || !/UNIQUE|PRIMARY KEY/.test((err as Error).message)) throw err;
      }
    }
  }
}

function sqliteRows(db: DB, table: string): unknown[] {
  return (db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all() as Record<string, unknown>[]).map(normalise);
}

const normalise = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('hex') : v]));

describe.skipIf(skip)('state migrate --to postgres', () => {
  let server: Postgres;
  let dir: string;
  let config: string;
  let client: pg.Client;
  let agentToken: string;
  const cli = (...args: string[]) => runCli(COLLECTOR_BIN, ['state', 'migrate', ...args, '--config', config]);

  beforeAll(async () => {
    server = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), 'canhgac-state-migrate-'));
    config = writeYaml(join(dir, 'collector.yaml'), { listen: { host: '127.0.0.1', port: 0, plainHttp: true }, dataDir: join(dir, 'data'), agencies: TEST_AGENCIES });
    const db = openDb(join(dir, 'data', 'state.db'));
    await syncAgencies(sqliteStateSql(db), TEST_AGENCIES as never);
    await createUser(sqliteStateSql(db), { name: 'quantri', password: 'mat-khau-quan-tri-2026', role: 'admin' });
    await createUser(sqliteStateSql(db), { name: 'xem.soyte', password: 'mat-khau-so-y-te-2026', role: 'viewer', agency: 'so-y-te' });
    agentToken = (await createAgent(sqliteStateSql(db).db, { agency: 'so-y-te', hostname: 'may-chu-1' })).token;
    fillEveryTable(db);
    db.close();
    await server.createDatabase('state');
    numbersAsNumbers(); // as the collector reads PostgreSQL: 64-bit integers as numbers
    client = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'state' });
    await client.connect();
  }, 120_000);
  afterAll(async () => {
    await client?.end().catch(() => {});
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('copies every row of every table, value for value; logins and agent tokens still check', async () => {
    const r = await cli('--to', 'postgres', '--url', `postgres://${server.user}@127.0.0.1:${server.port}/state`, '--password-file', server.passwordFile);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('every count verified');
    const db = openDb(join(dir, 'data', 'state.db'));
    try {
      const tables = tablesInCopyOrder(db);
      expect(tables.length).toBeGreaterThan(30);
      for (const table of tables) {
        const here = sqliteRows(db, table);
        expect(here.length, table).toBeGreaterThan(0);
        const cols = (db.prepare(`PRAGMA table_info(${table})`).all() as Column[]).map((c) => c.name);
        const there = (await client.query(`SELECT ${cols.join(', ')} FROM ${table}`)).rows.map(normalise);
        const key = (x: unknown) => JSON.stringify(x);
        expect(there.map(key).sort(), table).toEqual(here.map(key).sort());
        expect(r.stdout).toMatch(new RegExp(`^${table}\\s+${here.length}$`, 'm'));
      }
    } finally {
      db.close();
    }
    const users = (await client.query<{ name: string; password_hash: string }>('SELECT name, password_hash FROM users WHERE name IN ($1, $2) ORDER BY name', ['quantri', 'xem.soyte'])).rows;
    expect(await verifyPassword('mat-khau-quan-tri-2026', users[0].password_hash)).toBe(true);
    expect(await verifyPassword('mat-khau-so-y-te-2026', users[1].password_hash)).toBe(true);
    expect(await verifyPassword('wrong', users[1].password_hash)).toBe(false);
    const agent = await client.query('SELECT hostname FROM agents WHERE token_hash = $1', [hashSecret(agentToken)]);
    expect(agent.rows).toEqual([{ hostname: 'may-chu-1' }]);
    // Case-insensitive user names, as on SQLite (NOCASE there, citext here).
    expect((await client.query("SELECT name FROM users WHERE name = 'QUANTRI'")).rows).toEqual([{ name: 'quantri' }]);
    // Identities continue after the copied ids.
    const before = Number((await client.query('SELECT MAX(id) AS m FROM audit_log')).rows[0].m);
    const next = await client.query("INSERT INTO audit_log (at, actor, actor_kind, action) VALUES (1, 'cli', 'cli', 'state_migrate') RETURNING id");
    expect(Number(next.rows[0].id)).toBe(before + 1);
  }, 120_000);

  it('refuses a database that holds rows, and changes nothing', async () => {
    const count = async () => Number((await client.query('SELECT COUNT(*) AS n FROM agents')).rows[0].n);
    const before = await count();
    const r = await cli('--to', 'postgres', '--url', `postgres://${server.user}@127.0.0.1:${server.port}/state`, '--password-file', server.passwordFile);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the PostgreSQL database is not empty \(.*agents: \d+ rows.*\); nothing was copied/);
    expect(await count()).toBe(before);
  }, 60_000);

  it('bad input: a password in the URL, another engine, an unreachable server; the password is never printed', async () => {
    const inUrl = await cli('--to', 'postgres', '--url', `postgres://${server.user}:s3cret-pw@127.0.0.1:${server.port}/state`);
    expect(inUrl.code).toBe(2);
    expect(inUrl.stderr).toContain('--password-file');
    expect(inUrl.stderr + inUrl.stdout).not.toContain('s3cret-pw');
    const mysql = await cli('--to', 'mysql', '--url', 'postgres://x@127.0.0.1:1/state');
    expect(mysql.code).toBe(2);
    expect(mysql.stderr).toContain('--to: expected postgres');
    const pw = join(dir, 'pw');
    writeFileSync(pw, 'hunter22\n');
    const down = await cli('--to', 'postgres', '--url', 'postgres://canhgac@127.0.0.1:1/state', '--password-file', pw);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach postgres://canhgac@127.0.0.1:1/state');
    expect(down.stderr).not.toContain('hunter22');
  }, 60_000);
});
