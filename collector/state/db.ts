// The collector's state database (SQLite): opening it, its schema migrations, and prepared statements.
import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export type DB = Database.Database;

/**
 * Schema migrations, applied in order; `user_version` records how far a file is.
 * Add new steps at the end, never edit a shipped one.
 */
export const MIGRATIONS: readonly string[] = [
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
  // Alerting (collector/alerts): alert episodes, silences, notification history and the durable mail queue.
  `CREATE TABLE alerts (
     id INTEGER PRIMARY KEY,
     fingerprint TEXT NOT NULL,
     rule TEXT NOT NULL,
     severity TEXT NOT NULL,
     agency TEXT NOT NULL,
     agent TEXT,
     labels TEXT NOT NULL,
     value REAL,
     state TEXT NOT NULL,
     active_since INTEGER NOT NULL,
     fired_at INTEGER,
     resolved_at INTEGER,
     last_notified_at INTEGER,
     resolve_notified_at INTEGER,
     suppressed_at INTEGER,
     escalated_at INTEGER,
     acked_at INTEGER,
     acked_by TEXT,
     ack_note TEXT
   );
   CREATE UNIQUE INDEX alerts_open ON alerts(fingerprint) WHERE state IN ('pending', 'firing');
   CREATE INDEX alerts_state ON alerts(state, agency);
   CREATE TABLE alert_silences (
     id INTEGER PRIMARY KEY,
     matchers TEXT NOT NULL,
     starts_at INTEGER NOT NULL,
     ends_at INTEGER NOT NULL,
     reason TEXT NOT NULL,
     author TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     removed_at INTEGER,
     removed_by TEXT
   );
   CREATE TABLE alert_events (
     alert_id INTEGER NOT NULL,
     kind TEXT NOT NULL,
     agency TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (alert_id, kind)
   );
   CREATE TABLE notifications (
     id INTEGER PRIMARY KEY,
     created_at INTEGER NOT NULL,
     agency TEXT NOT NULL,
     kind TEXT NOT NULL,
     recipients TEXT NOT NULL,
     subject TEXT NOT NULL,
     alert_ids TEXT NOT NULL,
     text_body TEXT,
     html_body TEXT,
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER,
     last_error TEXT,
     sent_at INTEGER
   );
   CREATE INDEX notifications_queue ON notifications(status, next_attempt_at);
   CREATE TABLE mail_log (
     recipient TEXT NOT NULL,
     notification_id INTEGER NOT NULL,
     at INTEGER NOT NULL,
     held INTEGER NOT NULL DEFAULT 0,
     summarized_at INTEGER
   );
   CREATE INDEX mail_log_recipient ON mail_log(recipient, at);
   CREATE TABLE alert_agent_cadence (
     agent TEXT PRIMARY KEY,
     agency TEXT NOT NULL,
     interval_ms INTEGER,
     last_arrival INTEGER NOT NULL
   );`,
  `CREATE TABLE devices (
     agency TEXT NOT NULL REFERENCES agencies(id),
     mac TEXT NOT NULL,
     subnet TEXT NOT NULL,
     ip TEXT NOT NULL,
     vendor TEXT,
     hostname TEXT,
     first_seen INTEGER NOT NULL,
     last_seen INTEGER NOT NULL,
     is_new INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (agency, mac)
   );
   CREATE TABLE device_ips (
     agency TEXT NOT NULL,
     mac TEXT NOT NULL,
     ip TEXT NOT NULL,
     first_seen INTEGER NOT NULL,
     last_seen INTEGER NOT NULL,
     PRIMARY KEY (agency, mac, ip)
   );
   CREATE TABLE device_subnets (
     agency TEXT NOT NULL,
     subnet TEXT NOT NULL,
     first_seen INTEGER NOT NULL,
     PRIMARY KEY (agency, subnet)
   );
   CREATE TABLE device_exposures (
     agency TEXT NOT NULL,
     ip TEXT NOT NULL,
     port TEXT NOT NULL,
     service TEXT NOT NULL,
     risk INTEGER NOT NULL,
     open INTEGER NOT NULL,
     first_seen INTEGER NOT NULL,
     last_seen INTEGER NOT NULL,
     PRIMARY KEY (agency, ip, port)
   );
   CREATE TABLE IF NOT EXISTS events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     agency TEXT NOT NULL,
     kind TEXT NOT NULL,
     payload TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX IF NOT EXISTS events_kind_created ON events(kind, created_at);
   CREATE INDEX IF NOT EXISTS events_agency_created ON events(agency, created_at);`,
  // Web console (collector/console) and monthly report (collector/report): users, sessions, mailed reports.
  `CREATE TABLE users (
     id INTEGER PRIMARY KEY,
     name TEXT NOT NULL UNIQUE COLLATE NOCASE,
     password_hash TEXT NOT NULL,
     role TEXT NOT NULL,
     agency TEXT REFERENCES agencies(id),
     created_at INTEGER NOT NULL,
     password_changed_at INTEGER NOT NULL,
     last_login_at INTEGER,
     disabled_at INTEGER
   );
   CREATE TABLE user_sessions (
     id_hash TEXT PRIMARY KEY,
     user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     last_seen INTEGER NOT NULL,
     address TEXT
   );
   CREATE INDEX user_sessions_user ON user_sessions(user_id);
   CREATE TABLE report_mailings (
     month TEXT PRIMARY KEY,
     queued_at INTEGER NOT NULL,
     notification_id INTEGER
   );`,
  // Certificate inventory (collector/ingest/certificate-inventory.ts): the last word of every agent on every
  // TLS endpoint and certificate file; expiry problems are judged when read, so they are never stale.
  `CREATE TABLE certificates (
     agent TEXT NOT NULL,
     agency TEXT NOT NULL,
     kind TEXT NOT NULL,
     location TEXT NOT NULL,
     item TEXT NOT NULL DEFAULT '',
     serial TEXT,
     subject_cn TEXT,
     issuer_cn TEXT,
     not_after INTEGER,
     earliest_not_after INTEGER,
     chain_valid INTEGER,
     hostname_match INTEGER,
     self_signed INTEGER,
     legacy_tls INTEGER,
     weak_key INTEGER,
     weak_signature INTEGER,
     result TEXT NOT NULL,
     detail TEXT,
     sample_time INTEGER NOT NULL,
     first_seen INTEGER NOT NULL,
     last_seen INTEGER NOT NULL,
     PRIMARY KEY (agent, kind, location, item)
   );
   CREATE INDEX certificates_expiry ON certificates(earliest_not_after);
   CREATE INDEX certificates_agency ON certificates(agency);
   CREATE INDEX certificates_last_seen ON certificates(last_seen);`,
  // Command channel: work the collector asks of an agent (agents poll), and what each agent runs.
  `CREATE TABLE agent_commands (
     id TEXT PRIMARY KEY,
     agent_id TEXT NOT NULL REFERENCES agents(id),
     kind TEXT NOT NULL,
     payload TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     delivered_at INTEGER,
     finished_at INTEGER,
     status TEXT NOT NULL DEFAULT 'pending',
     result TEXT
   );
   CREATE INDEX agent_commands_agent_status ON agent_commands(agent_id, status);
   CREATE INDEX agent_commands_created ON agent_commands(created_at);
   CREATE TABLE agent_polls (
     agent_id TEXT PRIMARY KEY REFERENCES agents(id),
     checks TEXT NOT NULL DEFAULT '',
     polled_at INTEGER NOT NULL
   );`,
  // Compliance: the latest security result of each agent per check, and its latest score (history is in InfluxDB).
  `CREATE TABLE security_results (
     agent TEXT NOT NULL,
     agency TEXT NOT NULL,
     check_id TEXT NOT NULL,
     severity TEXT NOT NULL,
     status TEXT NOT NULL,
     detail TEXT,
     waiver_by TEXT,
     waiver_reason TEXT,
     waiver_until TEXT,
     measured_at INTEGER NOT NULL,
     received_at INTEGER NOT NULL,
     PRIMARY KEY (agent, check_id)
   );
   CREATE INDEX security_results_agency ON security_results(agency);
   CREATE TABLE security_scores (
     agent TEXT PRIMARY KEY,
     agency TEXT NOT NULL,
     score_percent REAL NOT NULL,
     passed INTEGER NOT NULL,
     failed INTEGER NOT NULL,
     errors INTEGER NOT NULL DEFAULT 0,
     waived INTEGER NOT NULL DEFAULT 0,
     not_applicable INTEGER NOT NULL DEFAULT 0,
     measured_at INTEGER NOT NULL,
     received_at INTEGER NOT NULL
   );
   CREATE INDEX security_scores_agency ON security_scores(agency);`,
  // Files sent with a notification (the monthly report's PDF and CSV), kept with it in the durable queue.
  `CREATE TABLE notification_attachments (
     notification_id INTEGER NOT NULL REFERENCES notifications(id),
     position INTEGER NOT NULL,
     filename TEXT NOT NULL,
     content_type TEXT NOT NULL,
     content BLOB NOT NULL,
     PRIMARY KEY (notification_id, position)
   );`,
  // When a firing alert's condition stopped holding: the resolveAfter countdown survives a restart.
  `ALTER TABLE alerts ADD COLUMN clear_since INTEGER;`,
  // Roles are checked by the database too: a role outside the three (such as 'constructor', which an
  // 'in' check once let through) can never be stored. SQLite adds a CHECK only by rebuilding the table
  // (migrate() runs this with foreign keys off, so sessions keep pointing at their users). A row that
  // already holds a bad role is kept but disarmed: a user disabled as viewer, a token revoked.
  `CREATE TABLE users_checked (
     id INTEGER PRIMARY KEY,
     name TEXT NOT NULL UNIQUE COLLATE NOCASE,
     password_hash TEXT NOT NULL,
     role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
     agency TEXT REFERENCES agencies(id),
     created_at INTEGER NOT NULL,
     password_changed_at INTEGER NOT NULL,
     last_login_at INTEGER,
     disabled_at INTEGER
   );
   INSERT INTO users_checked (id, name, password_hash, role, agency, created_at, password_changed_at, last_login_at, disabled_at)
     SELECT id, name, password_hash,
            CASE WHEN role IN ('viewer', 'operator', 'admin') THEN role ELSE 'viewer' END,
            agency, created_at, password_changed_at, last_login_at,
            CASE WHEN role IN ('viewer', 'operator', 'admin') THEN disabled_at ELSE COALESCE(disabled_at, CAST(unixepoch('subsec') * 1000 AS INTEGER)) END
     FROM users;
   DROP TABLE users;
   ALTER TABLE users_checked RENAME TO users;
   DELETE FROM user_sessions WHERE user_id IN (SELECT id FROM users WHERE disabled_at IS NOT NULL);
   CREATE TABLE admin_tokens_checked (
     token_hash TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     role TEXT NOT NULL DEFAULT 'admin' CHECK (role IN ('viewer', 'operator', 'admin')),
     agency TEXT,
     created_at INTEGER NOT NULL,
     last_used INTEGER,
     revoked_at INTEGER
   );
   INSERT INTO admin_tokens_checked (token_hash, name, role, agency, created_at, last_used, revoked_at)
     SELECT token_hash, name,
            CASE WHEN role IN ('viewer', 'operator', 'admin') THEN role ELSE 'viewer' END,
            agency, created_at, last_used,
            CASE WHEN role IN ('viewer', 'operator', 'admin') THEN revoked_at ELSE COALESCE(revoked_at, CAST(unixepoch('subsec') * 1000 AS INTEGER)) END
     FROM admin_tokens;
   DROP TABLE admin_tokens;
   ALTER TABLE admin_tokens_checked RENAME TO admin_tokens;`,
  // The audit log (collector/state/audit.ts): who did what, from where; kept like the alert history.
  `CREATE TABLE audit_log (
     id INTEGER PRIMARY KEY,
     at INTEGER NOT NULL,
     actor TEXT NOT NULL,
     actor_kind TEXT NOT NULL CHECK (actor_kind IN ('user', 'token', 'cli', 'system', 'anonymous')),
     action TEXT NOT NULL,
     target TEXT,
     agency TEXT,
     address TEXT,
     detail TEXT
   );
   CREATE INDEX audit_log_at ON audit_log(at);
   CREATE INDEX audit_log_agency_at ON audit_log(agency, at);`,
  // Web integrity (collector/state/web-findings.ts): the last crawl of each site per agent, and every
  // finding with when it was first and last seen and whether the last crawl still found it.
  `CREATE TABLE web_sites (
     agent TEXT NOT NULL,
     agency TEXT NOT NULL,
     site TEXT NOT NULL,
     name TEXT,
     last_run INTEGER NOT NULL,
     up INTEGER NOT NULL,
     result TEXT NOT NULL,
     pages_crawled INTEGER NOT NULL DEFAULT 0,
     pages_flagged INTEGER NOT NULL DEFAULT 0,
     defaced INTEGER NOT NULL DEFAULT 0,
     home_similarity REAL,
     error TEXT,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (agent, site)
   );
   CREATE INDEX web_sites_agency ON web_sites(agency);
   CREATE TABLE web_findings (
     agent TEXT NOT NULL,
     agency TEXT NOT NULL,
     site TEXT NOT NULL,
     name TEXT,
     kind TEXT NOT NULL,
     subject TEXT NOT NULL,
     url TEXT NOT NULL,
     evidence TEXT NOT NULL,
     count INTEGER NOT NULL,
     first_seen INTEGER NOT NULL,
     last_seen INTEGER NOT NULL,
     present INTEGER NOT NULL DEFAULT 1,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (agent, site, kind, subject)
   );
   CREATE INDEX web_findings_agency ON web_findings(agency, present, last_seen);
   CREATE INDEX web_findings_first_seen ON web_findings(first_seen);`,
  // Intrusion signals of the auth_events check (state/auth-findings.ts).
  `CREATE TABLE auth_findings (
     agent TEXT NOT NULL,
     agency TEXT NOT NULL,
     host TEXT,
     kind TEXT NOT NULL,
     service TEXT NOT NULL,
     source TEXT NOT NULL,
     users TEXT NOT NULL,
     count INTEGER NOT NULL,
     first_seen INTEGER NOT NULL,
     last_seen INTEGER NOT NULL,
     detail TEXT,
     active INTEGER NOT NULL DEFAULT 1,
     sample_time INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (agent, kind, service, source, first_seen)
   );
   CREATE INDEX auth_findings_agency ON auth_findings(agency, last_seen);
   CREATE INDEX auth_findings_last_seen ON auth_findings(last_seen, kind);`,
  // Status page notices (collector/status/notices.ts): incidents and planned maintenance, with updates.
  `CREATE TABLE status_notices (
     id INTEGER PRIMARY KEY,
     kind TEXT NOT NULL CHECK (kind IN ('incident', 'maintenance')),
     title TEXT NOT NULL,
     body TEXT NOT NULL,
     services TEXT NOT NULL,
     starts_at INTEGER NOT NULL,
     ends_at INTEGER,
     created_by TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX status_notices_ends ON status_notices(ends_at);
   CREATE TABLE status_notice_updates (
     id INTEGER PRIMARY KEY,
     notice_id INTEGER NOT NULL REFERENCES status_notices(id) ON DELETE CASCADE,
     at INTEGER NOT NULL,
     text TEXT NOT NULL,
     author TEXT NOT NULL
   );
   CREATE INDEX status_notice_updates_notice ON status_notice_updates(notice_id, at);`,
  // Alert channels beyond e-mail (collector/alerts/channels/): every queued notification names the channel
  // it goes through ('email', or a configured channel's name), and each channel drains its own queue.
  `ALTER TABLE notifications ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
   CREATE INDEX notifications_channel_queue ON notifications(channel, status, next_attempt_at);`,
  // Central check configuration (collector/fleet/): every version of every profile with who and when,
  // and what each agent runs of it (applied, or refused with the reasons).
  `CREATE TABLE fleet_profiles (
     name TEXT NOT NULL,
     version INTEGER NOT NULL,
     hash TEXT NOT NULL,
     body TEXT NOT NULL,
     deleted INTEGER NOT NULL DEFAULT 0,
     at INTEGER NOT NULL,
     actor TEXT NOT NULL,
     actor_kind TEXT NOT NULL,
     PRIMARY KEY (name, version)
   );
   CREATE TABLE fleet_agent_status (
     agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
     reported TEXT,
     reported_at INTEGER,
     off INTEGER NOT NULL DEFAULT 0,
     applied_profile TEXT,
     applied_version INTEGER,
     applied_hash TEXT,
     applied_at INTEGER,
     rejected_hash TEXT,
     rejected_profile TEXT,
     rejected_version INTEGER,
     rejected_reasons TEXT,
     rejected_at INTEGER
   );`,
  // Signed self-update: the builds stored by `release add` (files under dataDir/releases), the rollouts,
  // and what each agent says it runs and how its last update went.
  `CREATE TABLE releases (
     version TEXT NOT NULL,
     platform TEXT NOT NULL,
     size INTEGER NOT NULL,
     sha256 TEXT NOT NULL,
     signature TEXT NOT NULL,
     added_at INTEGER NOT NULL,
     added_by TEXT NOT NULL,
     PRIMARY KEY (version, platform)
   );
   CREATE TABLE release_rollouts (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     version TEXT NOT NULL,
     channel TEXT NOT NULL,
     percent INTEGER NOT NULL,
     agencies TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     created_by TEXT NOT NULL
   );
   CREATE TABLE release_agent_status (
     agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
     reported TEXT,
     reported_at INTEGER,
     message TEXT,
     message_version TEXT,
     message_at INTEGER
   );`,
  // API tokens get an id column of their own, the number their rowid was (the console revokes a token
  // by it; PostgreSQL has no rowid). SQLite adds a key column only by rebuilding the table.
  `CREATE TABLE admin_tokens_ids (
     id INTEGER PRIMARY KEY,
     token_hash TEXT NOT NULL UNIQUE,
     name TEXT NOT NULL,
     role TEXT NOT NULL DEFAULT 'admin' CHECK (role IN ('viewer', 'operator', 'admin')),
     agency TEXT,
     created_at INTEGER NOT NULL,
     last_used INTEGER,
     revoked_at INTEGER
   );
   INSERT INTO admin_tokens_ids (id, token_hash, name, role, agency, created_at, last_used, revoked_at)
     SELECT rowid, token_hash, name, role, agency, created_at, last_used, revoked_at FROM admin_tokens;
   DROP TABLE admin_tokens;
   ALTER TABLE admin_tokens_ids RENAME TO admin_tokens;`,
  // Alert fingerprints separated their parts with NUL, which PostgreSQL's text cannot hold (no alert could
  // be stored there, nor a state holding alerts copied to it): the unit separator now, as
  // collector/alerts/fingerprint.ts makes them. SQLite's text functions stop at a NUL, so the parts are
  // cut as bytes; one pass per NUL of a row.
  `-- alert fingerprints: NUL to the unit separator
   WITH RECURSIVE parts(id, done, rest) AS (
     SELECT id, CAST(x'' AS TEXT), CAST(fingerprint AS BLOB) FROM alerts WHERE instr(CAST(fingerprint AS BLOB), x'00') > 0
     UNION ALL
     SELECT id, done || CAST(substr(rest, 1, instr(rest, x'00') - 1) AS TEXT) || char(31), substr(rest, instr(rest, x'00') + 1)
       FROM parts WHERE instr(rest, x'00') > 0
   )
   UPDATE alerts SET fingerprint = (SELECT done || CAST(rest AS TEXT) FROM parts WHERE parts.id = alerts.id AND instr(rest, x'00') = 0)
     WHERE instr(CAST(fingerprint AS BLOB), x'00') > 0;`,
  // Console login throttling in the state rather than in each collector's memory: several collectors
  // behind one balancer count a guesser's failures together (collector/console/login-throttle.ts).
  `CREATE TABLE login_throttle (
     address TEXT NOT NULL,
     user_name TEXT NOT NULL,
     failures INTEGER NOT NULL,
     locked_until INTEGER NOT NULL,
     last_at INTEGER NOT NULL,
     PRIMARY KEY (address, user_name)
   );
   CREATE INDEX login_throttle_last ON login_throttle(last_at);`,
];

/**
 * The state holds token and password hashes and who-is-who: readable by the collector's user only,
 * whatever the umask of whoever started it. SQLite gives its -wal and -shm files the mode of the
 * database file, so a 0600 database is enough for all three.
 */
function ownerOnly(file: string): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  for (const side of [`${file}-wal`, `${file}-shm`]) if (existsSync(side)) chmodSync(side, 0o600);
}

export const SCHEMA_VERSION = MIGRATIONS.length;
/** The version whose step added the role CHECK constraints (tests upgrade a state from just before it). */
export const ROLES_CHECKED_VERSION = MIGRATIONS.findIndex((m) => m.includes('CREATE TABLE users_checked')) + 1;
/** The version whose step gave API tokens an id column. */
export const ADMIN_TOKEN_IDS_VERSION = MIGRATIONS.findIndex((m) => m.includes('CREATE TABLE admin_tokens_ids')) + 1;
/** The version whose step rewrote alert fingerprints without NUL (SQLite only: PostgreSQL never held one). */
export const FINGERPRINT_SEPARATOR_VERSION = MIGRATIONS.findIndex((m) => m.includes('-- alert fingerprints: NUL to the unit separator')) + 1;

export function openDb(file: string): DB {
  if (file !== ':memory:') ownerOnly(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/** Brings the schema to `target` (default: the newest); tests stop earlier to prove a step on old data. */
export function migrate(db: DB, target = MIGRATIONS.length): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current >= target) return;
  // SQLite's own recipe for rebuilding a table: foreign keys off while the steps run (it cannot be
  // switched inside a transaction), then checked before they count as done.
  db.pragma('foreign_keys = OFF');
  try {
    for (let v = current; v < target; v++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[v]);
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0) throw new Error(`state migration ${v + 1} left ${broken.length} broken reference(s); nothing of it was applied`);
        db.pragma(`user_version = ${v + 1}`);
      })();
    }
  } finally {
    db.pragma('foreign_keys = ON');
  }
}

const preparedCache = new WeakMap<DB, Map<string, Database.Statement>>();

/**
 * A statement prepared once per database and then reused: for queries on the ingest path, where
 * parsing the SQL again on every request cost more than running it.
 */
export function prepared(db: DB, sql: string): Database.Statement {
  let byText = preparedCache.get(db);
  if (!byText) preparedCache.set(db, (byText = new Map()));
  let stmt = byText.get(sql);
  if (!stmt) byText.set(sql, (stmt = db.prepare(sql)));
  return stmt;
}
