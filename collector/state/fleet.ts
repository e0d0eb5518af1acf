// Central check configuration in the state database: every version of every profile (who, when, the
// file's text), and per agent what it reported running and what it refused, with the reasons.
import type { AgentConfigState } from '../../protocol/index.ts';
import { sql } from 'kysely';
import { recordAudit, type ActorKind } from './audit.ts';
import type { StateSql } from './sql/connect.ts';
import { textOrder, type Q } from './sql/query.ts';

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

const VERSION_COLUMNS = sql`name, version, hash, body, deleted, at, actor, actor_kind`;

/** The newest version of every profile ever recorded, deleted ones included. */
export async function latestProfileVersions(state: StateSql): Promise<ProfileVersionRow[]> {
  const rows = await sql<Record<string, unknown>>`SELECT p.name, p.version, p.hash, p.body, p.deleted, p.at, p.actor, p.actor_kind FROM fleet_profiles p
    JOIN (SELECT name, MAX(version) AS v FROM fleet_profiles GROUP BY name) m ON p.name = m.name AND p.version = m.v ORDER BY ${textOrder(state.driver, 'p.name')}`.execute(state.db);
  return rows.rows.map(toVersion);
}

/**
 * Grows with every recorded version: a collector that sees it change rebuilds what it serves. The sum
 * of the kept version numbers (PostgreSQL has no rowid): a new version adds its number and prunes at
 * most the one a hundred below it, so the sum only ever grows.
 */
export async function fleetRevision(state: StateSql): Promise<number> {
  const r = await sql<{ n: number }>`SELECT COALESCE(SUM(version), 0) AS n FROM fleet_profiles`.execute(state.db);
  return Number(r.rows[0].n);
}

export async function profileHistory(state: StateSql, name: string, limit = 50): Promise<ProfileVersionRow[]> {
  const rows = await sql<Record<string, unknown>>`SELECT ${VERSION_COLUMNS} FROM fleet_profiles WHERE name = ${name} ORDER BY version DESC LIMIT ${limit}`.execute(state.db);
  return rows.rows.map(toVersion);
}

export interface ProfileChange {
  name: string;
  hash: string;
  body: string;
  deleted: boolean;
}

/** Records new versions in one transaction, each with an audit entry (config_push); returns their numbers. */
export async function recordProfileVersions(
  state: StateSql,
  changes: readonly ProfileChange[],
  who: { actor: string; actorKind: ActorKind; address?: string },
  now = Date.now(),
): Promise<{ name: string; version: number; deleted: boolean }[]> {
  return state.db.transaction().execute(async (trx) => {
    const out: { name: string; version: number; deleted: boolean }[] = [];
    for (const c of changes) {
      const last = (await sql<{ v: number | null }>`SELECT MAX(version) AS v FROM fleet_profiles WHERE name = ${c.name}`.execute(trx)).rows[0];
      const version = Number(last?.v ?? 0) + 1;
      await sql`INSERT INTO fleet_profiles (name, version, hash, body, deleted, at, actor, actor_kind)
        VALUES (${c.name}, ${version}, ${c.hash}, ${c.body}, ${c.deleted ? 1 : 0}, ${now}, ${who.actor}, ${who.actorKind})`.execute(trx);
      await sql`DELETE FROM fleet_profiles WHERE name = ${c.name} AND version <= ${version - KEEP_VERSIONS}`.execute(trx);
      const detail = c.deleted ? `deleted (version ${version})` : `version ${version} (sha256 ${c.hash.slice(0, 12)})`;
      await recordAudit(trx, { ...who, action: 'config_push', target: `profile ${c.name}`, detail }, now);
      out.push({ name: c.name, version, deleted: c.deleted });
    }
    return out;
  });
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

/** Every agent's row (one per enrolled agent at most: the table is keyed by agent). */
export async function agentFleetRows(state: StateSql): Promise<Map<string, AgentFleetRow>> {
  const rows = (
    await sql<Record<string, unknown>>`SELECT agent_id, reported, reported_at, off, applied_profile, applied_version, applied_hash, applied_at,
      rejected_hash, rejected_profile, rejected_version, rejected_reasons, rejected_at FROM fleet_agent_status`.execute(state.db)
  ).rows;
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
export async function recordConfigReport(state: StateSql, agentId: string, raw: string, s: AgentConfigState, now = Date.now()): Promise<void> {
  // IS NOT DISTINCT FROM: the same hash, or none both times, keeps when it was first applied.
  await sql`INSERT INTO fleet_agent_status (agent_id, reported, reported_at, off, applied_profile, applied_version, applied_hash, applied_at)
     VALUES (${agentId}, ${raw}, ${now}, ${s.off ? 1 : 0}, ${s.profile ?? null}, ${s.version ?? null}, ${s.off ? null : s.hash}, ${now})
     ON CONFLICT (agent_id) DO UPDATE SET reported = excluded.reported, reported_at = excluded.reported_at, off = excluded.off,
       applied_at = CASE WHEN fleet_agent_status.applied_hash IS NOT DISTINCT FROM excluded.applied_hash THEN fleet_agent_status.applied_at ELSE excluded.applied_at END,
       applied_profile = excluded.applied_profile, applied_version = excluded.applied_version, applied_hash = excluded.applied_hash`.execute(state.db);
}

/** An agent refused a configuration: which one, and why. */
export async function recordConfigRefusal(state: StateSql, agentId: string, r: { hash: string; profile?: string; version?: number; reasons: string[] }, now = Date.now()): Promise<void> {
  await sql`INSERT INTO fleet_agent_status (agent_id, rejected_hash, rejected_profile, rejected_version, rejected_reasons, rejected_at)
     VALUES (${agentId}, ${r.hash}, ${r.profile ?? null}, ${r.version ?? null}, ${JSON.stringify(r.reasons)}, ${now})
     ON CONFLICT (agent_id) DO UPDATE SET rejected_hash = excluded.rejected_hash, rejected_profile = excluded.rejected_profile,
       rejected_version = excluded.rejected_version, rejected_reasons = excluded.rejected_reasons, rejected_at = excluded.rejected_at`.execute(state.db);
}

/** A command row for something pushed at a poll: delivered at once, its result stored as any command's. */
export async function recordPushedCommand(q: Q, id: string, agentId: string, kind: string, summary: unknown, now: number, ttlMs: number): Promise<void> {
  await sql`INSERT INTO agent_commands (id, agent_id, kind, payload, created_at, expires_at, status, delivered_at)
    VALUES (${id}, ${agentId}, ${kind}, ${JSON.stringify(summary)}, ${now}, ${now + ttlMs}, 'delivered', ${now})`.execute(q);
}

/** The summary stored for a pushed command (kind and what it carried), for its result. */
export async function pushedCommand(q: Q, id: string, agentId: string): Promise<{ kind: string; payload: unknown } | undefined> {
  const r = (await sql<{ kind: string; payload: string }>`SELECT kind, payload FROM agent_commands WHERE id = ${id} AND agent_id = ${agentId}`.execute(q)).rows[0];
  return r ? { kind: r.kind, payload: JSON.parse(r.payload) as unknown } : undefined;
}
