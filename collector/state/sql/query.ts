// What every store on the SQL layer shares: the handle a store function runs on (the whole state or a
// caller's transaction) and the row count an UPDATE or DELETE reports on either engine.
import { sql, type Kysely, type QueryResult, type RawBuilder, type Transaction } from 'kysely';
import type { StateDriver } from './connect.ts';

/** A store function that may run inside a caller's transaction takes this instead of `StateSql`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Q = Kysely<any> | Transaction<any>;

/** Rows an UPDATE or DELETE touched (Kysely gives a bigint, or nothing for a statement that returns rows). */
export function changes(result: QueryResult<unknown>): number {
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * `column` to ORDER BY as SQLite orders text (code point order, or NOCASE's folded order for a citext
 * column), whatever collation a PostgreSQL database was created with. `column` is a name from our
 * own code, never input.
 */
export function textOrder(driver: StateDriver, column: string): RawBuilder<unknown> {
  if (!/^[a-z_][a-z0-9_.]*$/.test(column)) throw new Error(`textOrder: not a column name: ${column}`);
  return sql.raw(driver === 'postgres' ? `${column} COLLATE "C"` : column);
}

/**
 * `lower()` of a text column as SQLite's does it: ASCII letters only (PostgreSQL folds every letter
 * unless told the C collation, and then folds ASCII alone). For NOCASE-style name comparisons.
 */
export function asciiLower(driver: StateDriver, column: string): RawBuilder<unknown> {
  if (!/^[a-z_][a-z0-9_.]*$/.test(column)) throw new Error(`asciiLower: not a column name: ${column}`);
  return sql.raw(driver === 'postgres' ? `lower(CAST(${column} AS TEXT) COLLATE "C")` : `lower(${column})`);
}

/**
 * A statement kept as text with `?` placeholders (one that is also shown to people, as the monthly
 * report does with its sources), its values bound in order. `text` is our own, never input.
 */
export function withValues(text: string, values: readonly unknown[]): RawBuilder<unknown> {
  const parts = text.split('?');
  if (parts.length !== values.length + 1) throw new Error(`withValues: ${parts.length - 1} placeholders, ${values.length} values`);
  return sql.join(
    parts.flatMap((p, i) => (i === 0 ? [sql.raw(p)] : [sql`${values[i - 1]}`, sql.raw(p)])),
    sql``,
  );
}

/**
 * The end of a SELECT that picks rows to claim: on PostgreSQL the rows are locked and those another
 * claimer holds are skipped (`FOR UPDATE SKIP LOCKED`), so claimers running at once each get rows of
 * their own; SQLite runs one writer at a time, so its claiming statement alone is enough.
 */
export function skipLockedRows(driver: StateDriver): RawBuilder<unknown> {
  return sql.raw(driver === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : '');
}

/**
 * A JSON object column (labels, matchers) as an object; {} for anything else (a row damaged or written
 * by hand), so one bad row cannot stop every reader of its table.
 */
export function objectColumn(text: unknown): Record<string, string> {
  try {
    const v: unknown = JSON.parse(String(text));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}
