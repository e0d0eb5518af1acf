// One SQL layer for the collector's state on either engine: Kysely over better-sqlite3 (the embedded
// default) or over node-postgres (several collectors sharing one database). Stores written against
// `StateSql` run unchanged on both.
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { prepared, type DB } from '../db.ts';
import { poolNotify } from './notify-relay.ts';
import { migratePostgres } from './postgres-schema.ts';

export type StateDriver = 'sqlite' | 'postgres';

export interface StateSql {
  driver: StateDriver;
  // The stores speak SQL through Kysely's `sql` tag (portable text, parameters bound per dialect).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>;
  close(): Promise<void>;
  /**
   * True when another connection (the CLI, another process) committed since the last call: caches of
   * what the database says can be dropped then. SQLite only (its data_version); PostgreSQL has no
   * cheap equivalent, so its caches rely on their time bound.
   */
  changedElsewhere?: () => boolean;
  /**
   * PostgreSQL only: how to open sessions of one's own (the leader lease and the wake-up relay hold
   * theirs; a pooled connection would not do) and send a notification through the pool.
   */
  sessions?: { connection: pg.ClientConfig; notify: (channel: string, payload: string) => Promise<void> };
}

/** PostgreSQL's 64-bit integers (our millisecond times, counts) as numbers, as SQLite gives them. */
let typesSet = false;
export function numbersAsNumbers(): void {
  if (typesSet) return;
  typesSet = true;
  pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
  pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
}

/**
 * The state SQL over an open SQLite handle (the same connection the rest of the collector uses),
 * reusing each statement once prepared: on the ingest path parsing SQL again cost more than running it.
 */
export function sqliteStateSql(handle: DB): StateSql {
  const database = { prepare: (text: string) => prepared(handle, text), close: () => {} };
  let seen: number | undefined;
  const changedElsewhere = () => {
    const v = prepared(handle, 'PRAGMA data_version').pluck().get() as number;
    const changed = seen !== undefined && v !== seen;
    seen = v;
    return changed;
  };
  return { driver: 'sqlite', db: new Kysely({ dialect: new SqliteDialect({ database }) }), close: async () => {}, changedElsewhere };
}

export class StateConnectError extends Error {}

/** A URL fit for logs and errors: the user, host, port and database, never a password. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}

export interface PostgresStateOptions {
  url: string;
  /** The password lives in a file of its own (mode 0600), never in the URL or the config. */
  passwordFile?: string;
  poolSize?: number;
  connectTimeoutMs?: number;
  /** Statements that run longer are cancelled by the server: no request waits on a stuck query forever. */
  statementTimeoutMs?: number;
}

/**
 * The URL's parts as pg's fields (given a connection string, pg would let its missing password win
 * over the one from the file). `sslmode`: disable (default), require (encrypted), verify-full.
 */
function connectionFields(url: string): pg.PoolConfig {
  const u = new URL(url);
  const mode = u.searchParams.get('sslmode') ?? 'disable';
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    database: decodeURIComponent(u.pathname.slice(1)),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(mode === 'verify-full' ? { ssl: true } : mode === 'require' ? { ssl: { rejectUnauthorized: false } } : {}),
  };
}

/** Connects, proves the server answers, and brings the schema to this collector's version. */
export async function openPostgresStateSql(opts: PostgresStateOptions): Promise<StateSql> {
  numbersAsNumbers();
  const where = redactedUrl(opts.url);
  let password: string | undefined;
  try {
    password = opts.passwordFile ? readFileSync(opts.passwordFile, 'utf8').trim() : undefined;
  } catch (err) {
    throw new StateConnectError(`cannot read the password file of the state database ${where}: ${(err as Error).message}`);
  }
  // The server's words go into the error as they are, except the password should any of them repeat it.
  const said = (err: unknown) => {
    const text = (err as Error).message ?? String(err);
    // pg's words when the server wants a password and none was given.
    if (password === undefined && /password must be a string/.test(text)) return 'the server asks for a password: name the file holding it (state.passwordFile)';
    return password ? text.split(password).join('***') : text;
  };
  // pg leaves the socket of a connection whose authentication failed on our side open (the server waits
  // for the rest of it): the sockets of the first connection are ended here, or the process could not exit.
  const opening = new Set<Socket>();
  let tracking = true;
  const stream = () => {
    const socket = new Socket();
    if (tracking) {
      opening.add(socket);
      socket.once('close', () => opening.delete(socket));
    }
    return socket;
  };
  const giveUp = async () => {
    for (const socket of opening) socket.destroy();
    await pool.end().catch(() => {});
  };
  const pool = new pg.Pool({
    ...connectionFields(opts.url),
    stream,
    ...(password !== undefined ? { password } : {}),
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    statement_timeout: opts.statementTimeoutMs ?? 30_000,
    idleTimeoutMillis: 30_000,
  });
  // A connection the server drops (a restart, a failover) must not crash the collector: idle ones are
  // the pool's, and one checked out for a statement reports on itself (the statement fails normally).
  pool.on('error', () => {});
  pool.on('connect', (c) => c.on('error', () => {}));
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    await giveUp();
    throw new StateConnectError(`cannot reach the state database ${where}: ${said(err)}`);
  }
  try {
    await migratePostgres(client);
  } catch (err) {
    client.release();
    await giveUp();
    throw new StateConnectError(`the state database ${where}: ${said(err)}`);
  }
  client.release();
  tracking = false;
  opening.clear();
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  const connection: pg.ClientConfig = { ...connectionFields(opts.url), ...(password !== undefined ? { password } : {}), connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000 };
  return { driver: 'postgres', db, close: () => db.destroy(), sessions: { connection, notify: poolNotify(pool) } };
}
