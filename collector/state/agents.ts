// Enrolled agents: their tokens (hash only), last contact, revocation and token rotation.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { hashSecret, newAgentToken } from '../secrets.ts';
import { agentTokenCache, tokensChanged } from './agent-token-cache.ts';
import type { StateSql } from './sql/connect.ts';
import { changes, textOrder, type Q } from './sql/query.ts';

export interface AgentRow {
  id: string;
  agency: string;
  hostname: string;
  os?: string;
  version?: string;
  createdAt: number;
  lastSeen?: number;
  lastAddress?: string;
  revokedAt?: number;
}

export type TokenAgent = AgentRow & { district?: string; rotatedToken?: string };

export function agentIdFor(hostname: string): string {
  const base = hostname.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'agent';
  return `${base}-${randomBytes(3).toString('hex')}`;
}

/**
 * Register a new agent and return its token: the only time the token exists in clear. `q` is the
 * state's handle or a caller's transaction (enrolment redeems the code in the same one).
 */
export async function createAgent(q: Q, a: { agency: string; hostname: string; os?: string; version?: string }, now = Date.now()): Promise<{ agent: AgentRow; token: string }> {
  const token = newAgentToken();
  const id = agentIdFor(a.hostname);
  const r = await sql<Record<string, unknown>>`INSERT INTO agents (id, agency, hostname, os, version, token_hash, created_at)
    VALUES (${id}, ${a.agency}, ${a.hostname}, ${a.os ?? null}, ${a.version ?? null}, ${hashSecret(token)}, ${now}) RETURNING *`.execute(q);
  return { agent: toRow(r.rows[0]), token };
}

/**
 * The agent a bearer token belongs to, unless revoked. When a rotation was asked for, a new token
 * is issued on this contact (`rotatedToken`, to hand to the agent); the old one keeps working until
 * the agent first uses the new one, so a lost answer never locks an agency out. A plain answer is
 * cached for a few seconds (agent-token-cache.ts): the ingest path asks this on every request.
 */
export async function agentByToken(state: StateSql, token: string, now = Date.now()): Promise<TokenAgent | undefined> {
  const hash = hashSecret(token);
  const cache = agentTokenCache<TokenAgent>(state);
  if (state.changedElsewhere?.()) cache.clear();
  const cached = cache.get(hash, now);
  if (cached) return cached;
  const r = (
    await sql<Record<string, unknown>>`SELECT agents.*, agencies.district AS agency_district FROM agents LEFT JOIN agencies ON agencies.id = agents.agency
      WHERE (agents.token_hash = ${hash} OR agents.next_token_hash = ${hash}) AND agents.revoked_at IS NULL`.execute(state.db)
  ).rows[0];
  if (!r) return undefined;
  const row: TokenAgent = { ...toRow(r), ...(r.agency_district ? { district: r.agency_district as string } : {}) };
  if (r.next_token_hash === hash) {
    // The agent uses its new token: it becomes the only one. Guarded, so that two requests racing
    // with the new token (on two collectors) promote it once and never null the token.
    await sql`UPDATE agents SET token_hash = next_token_hash, next_token_hash = NULL, rotate_requested = 0
      WHERE id = ${row.id} AND next_token_hash = ${hash}`.execute(state.db);
    // The old token stops working on every collector.
    await tokensChanged(state, row.id);
    return row;
  }
  if (r.rotate_requested === 1) {
    const fresh = newAgentToken();
    await sql`UPDATE agents SET next_token_hash = ${hashSecret(fresh)} WHERE id = ${row.id} AND revoked_at IS NULL`.execute(state.db);
    return { ...row, rotatedToken: fresh };
  }
  cache.put(hash, row, now);
  return row;
}

export async function getAgent(state: StateSql, id: string): Promise<AgentRow | undefined> {
  const r = await sql<Record<string, unknown>>`SELECT * FROM agents WHERE id = ${id}`.execute(state.db);
  return r.rows[0] ? toRow(r.rows[0]) : undefined;
}

export async function listAgents(state: StateSql, opts: { agency?: string } = {}): Promise<AgentRow[]> {
  const where = opts.agency ? sql`WHERE agency = ${opts.agency}` : sql``;
  const r = await sql<Record<string, unknown>>`SELECT * FROM agents ${where} ORDER BY ${textOrder(state.driver, 'agency')}, ${textOrder(state.driver, 'hostname')}`.execute(state.db);
  return r.rows.map(toRow);
}

export async function touchAgent(state: StateSql, id: string, seen: { at: number; address?: string; version?: string }): Promise<void> {
  await sql`UPDATE agents SET last_seen = ${seen.at}, last_address = COALESCE(${seen.address ?? null}, last_address), version = COALESCE(${seen.version ?? null}, version)
    WHERE id = ${id}`.execute(state.db);
}

/** Refuses the agent's token from now on, on every collector. */
export async function revokeAgent(state: StateSql, id: string, now = Date.now()): Promise<boolean> {
  const r = await sql`UPDATE agents SET revoked_at = ${now} WHERE id = ${id} AND revoked_at IS NULL`.execute(state.db);
  await tokensChanged(state, id);
  return changes(r) === 1;
}

/** Ask for a new token: it is handed to the agent on its next contact. */
export async function requestTokenRotation(state: StateSql, id: string): Promise<boolean> {
  const r = await sql`UPDATE agents SET rotate_requested = 1 WHERE id = ${id} AND revoked_at IS NULL`.execute(state.db);
  await tokensChanged(state, id);
  return changes(r) === 1;
}

function toRow(r: Record<string, unknown>): AgentRow {
  return {
    id: r.id as string,
    agency: r.agency as string,
    hostname: r.hostname as string,
    os: (r.os as string | null) ?? undefined,
    version: (r.version as string | null) ?? undefined,
    createdAt: r.created_at as number,
    lastSeen: (r.last_seen as number | null) ?? undefined,
    lastAddress: (r.last_address as string | null) ?? undefined,
    revokedAt: (r.revoked_at as number | null) ?? undefined,
  };
}
