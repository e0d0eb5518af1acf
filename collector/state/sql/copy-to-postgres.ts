// `state migrate --to postgres`: copies a SQLite state into an empty PostgreSQL one, table by table in
// the order their references need, in one transaction that commits only when every count matches.
import type pg from 'pg';
import type { DB } from '../db.ts';
import { migratePostgres } from './postgres-schema.ts';

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table. */
const BATCH_ROWS = 500;

export interface TableCopy {
  table: string;
  rows: number;
}

export class StateCopyError extends Error {}

/** The state's tables, each after every table it references (SQLite's own foreign key list). */
export function tablesInCopyOrder(db: DB): string[] {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  const parents = new Map(tables.map((t) => [t, (db.prepare(`PRAGMA foreign_key_list(${quoteIdent(t)})`).all() as { table: string }[]).map((f) => f.table).filter((p) => p !== t)]));
  const ordered: string[] = [];
  const placed = new Set<string>();
  // Bounded: each pass places at least one table, or the references form a cycle.
  for (let pass = 0; pass <= tables.length && placed.size < tables.length; pass++) {
    const ready = tables.filter((t) => !placed.has(t) && parents.get(t)!.every((p) => placed.has(p) || !parents.has(p)));
    if (ready.length === 0) throw new StateCopyError(`the tables' references form a cycle: ${tables.filter((t) => !placed.has(t)).join(', ')}`);
    for (const t of ready) {
      placed.add(t);
      ordered.push(t);
    }
  }
  return ordered;
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new StateCopyError(`unexpected table or column name: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

async function refuseNonEmpty(client: pg.ClientBase, tables: string[]): Promise<void> {
  const counts = await Promise.all(tables.map(async (t) => [t, Number((await client.query(`SELECT COUNT(*) AS n FROM ${quoteIdent(t)}`)).rows[0].n)] as const));
  const filled = counts.filter(([, n]) => n > 0);
  if (filled.length > 0) {
    throw new StateCopyError(`the PostgreSQL database is not empty (${filled.map(([t, n]) => `${t}: ${n} rows`).join(', ')}); nothing was copied. Copy into a new, empty database.`);
  }
}

async function copyTable(db: DB, client: pg.ClientBase, table: string): Promise<number> {
  const columns = (db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as { name: string }[]).map((c) => c.name);
  const list = columns.map(quoteIdent).join(', ');
  let copied = 0;
  let batch: unknown[][] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const values = batch.map((_, i) => `(${columns.map((__, j) => `$${i * columns.length + j + 1}`).join(', ')})`).join(', ');
    try {
      await client.query(`INSERT INTO ${quoteIdent(table)} (${list}) VALUES ${values}`, batch.flat());
    } catch (err) {
      throw new StateCopyError(`${table}: PostgreSQL refused rows ${copied + 1}-${copied + batch.length}: ${(err as Error).message}; nothing was committed`);
    }
    copied += batch.length;
    batch = [];
  };
  // rowid order: the order the rows were written in, so identities and histories read the same.
  for (const row of db.prepare(`SELECT ${list} FROM ${quoteIdent(table)} ORDER BY rowid`).raw().iterate() as Iterable<unknown[]>) {
    batch.push(row);
    if (batch.length >= BATCH_ROWS) await flush();
  }
  await flush();
  return copied;
}

/** Identity columns were given the copied ids explicitly: their sequences continue after the largest. */
async function advanceIdentities(client: pg.ClientBase): Promise<void> {
  const ids = await client.query<{ table_name: string; column_name: string }>(
    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND is_identity = 'YES'",
  );
  for (const { table_name: t, column_name: c } of ids.rows) {
    await client.query(`SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX(${quoteIdent(c)}) FROM ${quoteIdent(t)}), 0) + 1, false)`, [t, c]);
  }
}

/**
 * Copies every table of `db` into the PostgreSQL database `client` is connected to (schema brought to
 * this collector's version first). Refuses a database that holds any row; on any error, or a count
 * that differs afterwards, nothing is committed.
 */
export async function copyStateToPostgres(db: DB, client: pg.ClientBase, progress: (t: TableCopy) => void = () => {}): Promise<TableCopy[]> {
  await migratePostgres(client);
  const tables = tablesInCopyOrder(db);
  await client.query('BEGIN');
  try {
    await refuseNonEmpty(client, tables);
    const done: TableCopy[] = [];
    for (const table of tables) {
      const rows = await copyTable(db, client, table);
      done.push({ table, rows });
      progress({ table, rows });
    }
    await advanceIdentities(client);
    for (const { table, rows } of done) {
      const there = Number((await client.query(`SELECT COUNT(*) AS n FROM ${quoteIdent(table)}`)).rows[0].n);
      const here = (db.prepare(`SELECT COUNT(*) AS n FROM ${quoteIdent(table)}`).get() as { n: number }).n;
      if (there !== here || rows !== here) throw new StateCopyError(`${table}: ${here} rows in SQLite, ${there} in PostgreSQL after the copy; nothing was committed`);
    }
    await client.query('COMMIT');
    return done;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
