// Central check configuration in the state database: every version of every profile (who, when, the
// file's text), and per agent what it reported running and what it refused, with the reasons.
import type { AgentConfigState } from '../../protocol/index.ts';
import { recordAudit, type ActorKind } from './audit.ts';
import { prepared, type DB } from './db.ts';

/** Versions kept per profile (the audit log keeps who changed what for longer). */
const KEEP_VERSIONS = 100;

export interface ProfileVersionRow {
  name: string;
  version: number;
  hash: string;
  body: string;
  deleted: boolean;
  at: number;
  actor: string;
  actorKind: string;
}

const toVersion = (r: Record<string, unknown>): ProfileVersionRow => ({
  name: r.name as string,
  version: r.version as number,
  hash: r.hash as string,
  body: r.body as string,
  deleted: r.deleted === 1,
  at: r.at as number,
  actor: r.actor as string,
  actorKind: r.actor_kind as string,
});

/** The newest version of every profile ever recorded, deleted ones included. */
export function latestProfileVersions(db: DB): ProfileVersionRow[] {
  const rows = db
    .prepare('SELECT p.* FROM fleet_profiles p JOIN (SELECT name, MAX(version) AS v FROM fleet_profiles GROUP BY name) m ON p.name = m.name AND p.version = m.v ORDER BY p.name')
    .all() as Record<string, unknown>[];
  return rows.map(toVersion);
}

/** Grows with every recorded version: a collector that sees it change rebuilds what it serves. */
export function fleetRevision(db: DB): number {
  return (prepared(db, 'SELECT COALESCE(MAX(rowid), 0) AS n FROM fleet_profiles').get() as { n: number }).n;
}

export function profileHistory(db: DB, name: string, limit = 50): ProfileVersionRow[] {
  return (db.prepare('SELECT * FROM fleet_profiles WHERE name = ? ORDER BY version DESC LIMIT ?').all(name, limit) as Record<string, unknown>[]).map(toVersion);
}

export interface ProfileChange {
  name: string;
  hash: string;
  body: string;
  deleted: boolean;
}

/** Records new versions in one transaction, each with an audit entry (config_push); returns their numbers. */
export function recordProfileVersions(db: DB, changes: readonly ProfileChange[], who: { actor: string; actorKind: ActorKind; address?: string }, now = Date.now()): { name: string; version: number; deleted: boolean }[] {
  return db.transaction(() =>
    changes.map((c) => {
      const last = db.prepare('SELECT MAX(version) AS v FROM fleet_profiles WHERE name = ?').get(c.name) as { v: number | null };
      const version = (last.v ?? 0) + 1;
      db.prepare('INSERT INTO fleet_profiles (name, version, hash, body, deleted, at, actor, actor_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        c.name,
        version,
        c.hash,
        c.body,
        c.deleted ? 1 : 0,
        now,
        who.actor,
        who.actorKind,
      );
      db.prepare('DELETE FROM fleet_profiles WHERE name = ? AND version <= ?').run(c.name, version - KEEP_VERSIONS);
      recordAudit(db, { ...who, action: 'config_push', target: `profile ${c.name}`, detail: c.deleted ? `deleted (version ${version})` : `version ${version} (sha256 ${c.hash.slice(0, 12)})` }, now);
      return { name: c.name, version, deleted: c.deleted };
    }),
  )();
}

export interface AgentFleetRow {
  agentId: string;
  reported?: string;
  reportedAt?: number;
  off: boolean;
  appliedProfile?: string;
  appliedVersion?: number;
  appliedHash?: string;
  appliedAt?: number;
  rejectedHash?: string;
  rejectedProfile?: string;
  rejectedVersion?: number;
  rejectedReasons: string[];
  rejectedAt?: number;
}

const opt = <T>(v: unknown) => (v === null || v === undefined ? undefined : (v as T));

export function agentFleetRows(db: DB): Map<string, AgentFleetRow> {
  const rows = db.prepare('SELECT * FROM fleet_agent_status').all() as Record<string, unknown>[];
  return new Map(
    rows.map((r) => [
      r.agent_id as string,
      {
        agentId: r.agent_id as string,
        reported: opt<string>(r.reported),
        reportedAt: opt<number>(r.reported_at),
        off: r.off === 1,
        appliedProfile: opt<string>(r.applied_profile),
        appliedVersion: opt<number>(r.applied_version),
        appliedHash: opt<string>(r.applied_hash),
        appliedAt: opt<number>(r.applied_at),
        rejectedHash: opt<string>(r.rejected_hash),
        rejectedProfile: opt<string>(r.rejected_profile),
        rejectedVersion: opt<number>(r.rejected_version),
        rejectedReasons: r.rejected_reasons ? (JSON.parse(r.rejected_reasons as string) as string[]) : [],
        rejectedAt: opt<number>(r.rejected_at),
      },
    ]),
  );
}

/** What an agent's poll header said (written only when it changed: the caller remembers the last one). */
export function recordConfigReport(db: DB, agentId: string, raw: string, s: AgentConfigState, now = Date.now()): void {
  prepared(
    db,
    `INSERT INTO fleet_agent_status (agent_id, reported, reported_at, off, applied_profile, applied_version, applied_hash, applied_at)
     VALUES (@agent, @raw, @now, @off, @profile, @version, @hash, @now)
     ON CONFLICT(agent_id) DO UPDATE SET reported = excluded.reported, reported_at = excluded.reported_at, off = excluded.off,
       applied_at = CASE WHEN fleet_agent_status.applied_hash IS excluded.applied_hash THEN fleet_agent_status.applied_at ELSE excluded.applied_at END,
       applied_profile = excluded.applied_profile, applied_version = excluded.applied_version, applied_hash = excluded.applied_hash`,
  ).run({ agent: agentId, raw, now, off: s.off ? 1 : 0, profile: s.profile ?? null, version: s.version ?? null, hash: s.off ? null : s.hash });
}

/** An agent refused a configuration: which one, and why. */
export function recordConfigRefusal(db: DB, agentId: string, r: { hash: string; profile?: string; version?: number; reasons: string[] }, now = Date.now()): void {
  db.prepare(
    `INSERT INTO fleet_agent_status (agent_id, rejected_hash, rejected_profile, rejected_version, rejected_reasons, rejected_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(agent_id) DO UPDATE SET rejected_hash = excluded.rejected_hash, rejected_profile = excluded.rejected_profile,
       rejected_version = excluded.rejected_version, rejected_reasons = excluded.rejected_reasons, rejected_at = excluded.rejected_at`,
  ).run(agentId, r.hash, r.profile ?? null, r.version ?? null, JSON.stringify(r.reasons), now);
}

/** A command row for something pushed at a poll: delivered at once, its result stored as any command's. */
export function recordPushedCommand(db: DB, id: string, agentId: string, kind: string, summary: unknown, now: number, ttlMs: number): void {
  prepared(db, "INSERT INTO agent_commands (id, agent_id, kind, payload, created_at, expires_at, status, delivered_at) VALUES (?, ?, ?, ?, ?, ?, 'delivered', ?)").run(
    id,
    agentId,
    kind,
    JSON.stringify(summary),
    now,
    now + ttlMs,
    now,
  );
}

/** The summary stored for a pushed command (kind and what it carried), for its result. */
export function pushedCommand(db: DB, id: string, agentId: string): { kind: string; payload: unknown } | undefined {
  const r = prepared(db, 'SELECT kind, payload FROM agent_commands WHERE id = ? AND agent_id = ?').get(id, agentId) as { kind: string; payload: string } | undefined;
  return r ? { kind: r.kind, payload: JSON.parse(r.payload) as unknown } : undefined;
}
