import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type DB = Database.Database;

/**
 * Schema migrations, applied in order; `user_version` records how far a file is.
 * Add new steps at the end, never edit a shipped one.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE agencies (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     name_en TEXT,
     level TEXT NOT NULL,
     district TEXT,
     contacts TEXT NOT NULL DEFAULT '[]',
     locale TEXT NOT NULL DEFAULT 'vi',
     active INTEGER NOT NULL DEFAULT 1
   );
   CREATE TABLE agents (
     id TEXT PRIMARY KEY,
     agency TEXT NOT NULL REFERENCES agencies(id),
     hostname TEXT NOT NULL,
     os TEXT,
     version TEXT,
     token_hash TEXT NOT NULL UNIQUE,
     next_token_hash TEXT UNIQUE,
     rotate_requested INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     last_seen INTEGER,
     last_address TEXT,
     revoked_at INTEGER
   );
   CREATE INDEX agents_agency ON agents(agency);
   CREATE TABLE enroll_codes (
     code_hash TEXT PRIMARY KEY,
     agency TEXT NOT NULL REFERENCES agencies(id),
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     used_at INTEGER,
     used_by TEXT,
     note TEXT
   );`,
  `CREATE TABLE admin_tokens (
     token_hash TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     role TEXT NOT NULL DEFAULT 'admin',
     agency TEXT,
     created_at INTEGER NOT NULL,
     last_used INTEGER,
     revoked_at INTEGER
   );`,
];

export function openDb(file: string): DB {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

export function migrate(db: DB): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
