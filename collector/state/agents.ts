// Enrolled agents: their tokens (hash only), last contact, revocation and token rotation.
import { randomBytes } from 'node:crypto';
import { hashSecret, newAgentToken } from '../secrets.ts';
import { prepared, type DB } from './db.ts';

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

export function agentIdFor(hostname: string): string {
  const base = hostname.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'agent';
  return `${base}-${randomBytes(3).toString('hex')}`;
}

/** Register a new agent and return its token: the only time the token exists in clear. */
export function createAgent(db: DB, a: { agency: string; hostname: string; os?: string; version?: string }, now = Date.now()): { agent: AgentRow; token: string } {
  const token = newAgentToken();
  const id = agentIdFor(a.hostname);
  db.prepare(
    'INSERT INTO agents (id, agency, hostname, os, version, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(id, a.agency, a.hostname, a.os ?? null, a.version ?? null, hashSecret(token), now);
  return { agent: getAgent(db, id)!, token };
}

/**
 * The agent a bearer token belongs to, unless revoked. When a rotation was asked for, a new token
 * is issued on this contact (`rotatedToken`, to hand to the agent); the old one keeps working until
 * the agent first uses the new one, so a lost answer never locks an agency out.
 */
export function agentByToken(db: DB, token: string): (AgentRow & { district?: string; rotatedToken?: string }) | undefined {
  const hash = hashSecret(token);
  const r = prepared(
    db,
    `SELECT agents.*, agencies.district AS agency_district FROM agents LEFT JOIN agencies ON agencies.id = agents.agency
     WHERE (agents.token_hash = ? OR agents.next_token_hash = ?) AND agents.revoked_at IS NULL`,
  ).get(hash, hash) as Record<string, unknown> | undefined;
  if (!r) return undefined;
  const row = { ...toRow(r), ...(r.agency_district ? { district: r.agency_district as string } : {}) };
  if (r.next_token_hash === hash) {
    db.prepare('UPDATE agents SET token_hash = next_token_hash, next_token_hash = NULL, rotate_requested = 0 WHERE id = ?').run(r.id);
    return row;
  }
  if (r.rotate_requested === 1) {
    const fresh = newAgentToken();
    db.prepare('UPDATE agents SET next_token_hash = ? WHERE id = ?').run(hashSecret(fresh), r.id);
    return { ...row, rotatedToken: fresh };
  }
  return row;
}

export function getAgent(db: DB, id: string): AgentRow | undefined {
  const r = db.prepare('SELECT * FROM agents WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  return r ? toRow(r) : undefined;
}

export function listAgents(db: DB, opts: { agency?: string } = {}): AgentRow[] {
  const rows = (
    opts.agency
      ? db.prepare('SELECT * FROM agents WHERE agency = ? ORDER BY agency, hostname').all(opts.agency)
      : db.prepare('SELECT * FROM agents ORDER BY agency, hostname').all()
  ) as Record<string, unknown>[];
  return rows.map(toRow);
}

export function touchAgent(db: DB, id: string, seen: { at: number; address?: string; version?: string }): void {
  prepared(db, 'UPDATE agents SET last_seen = ?, last_address = COALESCE(?, last_address), version = COALESCE(?, version) WHERE id = ?').run(
    seen.at,
    seen.address ?? null,
    seen.version ?? null,
    id,
  );
}

export function revokeAgent(db: DB, id: string, now = Date.now()): boolean {
  return db.prepare('UPDATE agents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id).changes === 1;
}

/** Ask for a new token: it is handed to the agent on its next contact. */
export function requestTokenRotation(db: DB, id: string): boolean {
  return db.prepare('UPDATE agents SET rotate_requested = 1 WHERE id = ? AND revoked_at IS NULL').run(id).changes === 1;
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
