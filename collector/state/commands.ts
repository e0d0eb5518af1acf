/**
 * Commands for agents (the collector cannot call an agent behind NAT, so agents poll for them) and
 * what each agent last said it runs. A command is pending until an agent takes it, delivered until
 * its result comes back (done, failed, unsupported), and expired when nobody took it in time.
 */
import { randomBytes } from 'node:crypto';
import type { AgentCommand, CommandResult, WireSample } from '../../protocol/index.ts';
import { sql } from 'kysely';
import type { StateSql } from './sql/connect.ts';
import { changes, textOrder } from './sql/query.ts';

export type CommandStatus = 'pending' | 'delivered' | 'done' | 'failed' | 'unsupported' | 'expired';

export interface CommandRow {
  id: string;
  agentId: string;
  kind: string;
  payload: unknown;
  createdAt: number;
  expiresAt: number;
  deliveredAt?: number;
  finishedAt?: number;
  status: CommandStatus;
  result?: StoredResult;
}

/** The result as kept: the accepted samples carry the agency and agent tags from the token. */
export interface StoredResult extends Omit<CommandResult, 'samples'> {
  samples: WireSample[];
  rejected: number;
}

/** Old rows are of no use to anyone once their operator stopped waiting. */
const KEEP_MS = 7 * 86_400_000;

/** Queues a command for an agent; its id. */
export async function createCommand(state: StateSql, agentId: string, kind: string, payload: unknown, ttlMs: number, now = Date.now()): Promise<string> {
  const id = `cmd-${now.toString(36)}-${randomBytes(6).toString('hex')}`;
  await sql`INSERT INTO agent_commands (id, agent_id, kind, payload, created_at, expires_at)
    VALUES (${id}, ${agentId}, ${kind}, ${JSON.stringify(payload ?? null)}, ${now}, ${now + ttlMs})`.execute(state.db);
  return id;
}

/**
 * Hand the agent its pending commands (oldest first, at most 20), marking them delivered; expired ones
 * are closed. Each is marked only if still pending: with several collectors on one database, a command
 * two polls of the same agent saw at once goes to one of them.
 */
export async function takeCommands(state: StateSql, agentId: string, now = Date.now()): Promise<AgentCommand[]> {
  return state.db.transaction().execute(async (trx) => {
    await sql`UPDATE agent_commands SET status = 'expired' WHERE agent_id = ${agentId} AND status = 'pending' AND expires_at <= ${now}`.execute(trx);
    const rows = (
      await sql<{ id: string; kind: string; payload: string; created_at: number; expires_at: number }>`SELECT id, kind, payload, created_at, expires_at FROM agent_commands
        WHERE agent_id = ${agentId} AND status = 'pending' ORDER BY created_at, ${textOrder(state.driver, 'id')} LIMIT 20`.execute(trx)
    ).rows;
    const taken: AgentCommand[] = [];
    for (const r of rows) {
      const marked = await sql`UPDATE agent_commands SET status = 'delivered', delivered_at = ${now} WHERE id = ${r.id} AND status = 'pending'`.execute(trx);
      if (changes(marked) !== 1) continue;
      taken.push({ id: r.id, kind: r.kind, payload: JSON.parse(r.payload) as unknown, createdAt: new Date(r.created_at).toISOString(), expiresAt: new Date(r.expires_at).toISOString() });
    }
    return taken;
  });
}

export async function hasPendingCommands(state: StateSql, agentId: string, now = Date.now()): Promise<boolean> {
  const r = await sql`SELECT 1 AS one FROM agent_commands WHERE agent_id = ${agentId} AND status = 'pending' AND expires_at > ${now} LIMIT 1`.execute(state.db);
  return r.rows.length > 0;
}

/** Store an agent's answer: 'unknown' when the command is not that agent's, 'finished' when it already is. */
export async function finishCommand(state: StateSql, agentId: string, id: string, result: StoredResult, now = Date.now()): Promise<'ok' | 'unknown' | 'finished'> {
  const row = (await sql<{ agent_id: string }>`SELECT agent_id FROM agent_commands WHERE id = ${id}`.execute(state.db)).rows[0];
  if (!row || row.agent_id !== agentId) return 'unknown';
  // Conditional: of two answers racing (two collectors), one is stored and the other is told it came late.
  const r = await sql`UPDATE agent_commands SET status = ${result.status}, finished_at = ${now}, result = ${JSON.stringify(result)}
    WHERE id = ${id} AND status IN ('pending', 'delivered')`.execute(state.db);
  return changes(r) === 1 ? 'ok' : 'finished';
}

/** The commands with these ids (the caller bounds how many: one per agent asked). */
export async function getCommands(state: StateSql, ids: readonly string[]): Promise<CommandRow[]> {
  if (ids.length === 0) return [];
  const rows = (
    await sql<Record<string, unknown>>`SELECT id, agent_id, kind, payload, created_at, expires_at, delivered_at, finished_at, status, result FROM agent_commands
      WHERE id IN (${sql.join(ids)})`.execute(state.db)
  ).rows;
  return rows.map((r) => ({
    id: r.id as string,
    agentId: r.agent_id as string,
    kind: r.kind as string,
    payload: JSON.parse(r.payload as string) as unknown,
    createdAt: r.created_at as number,
    expiresAt: r.expires_at as number,
    deliveredAt: (r.delivered_at as number | null) ?? undefined,
    finishedAt: (r.finished_at as number | null) ?? undefined,
    status: r.status as CommandStatus,
    result: r.result ? (JSON.parse(r.result as string) as StoredResult) : undefined,
  }));
}

/** Commands whose wait is over and that nobody finished become `expired`; week-old rows go. */
export async function sweepCommands(state: StateSql, now = Date.now()): Promise<void> {
  await sql`UPDATE agent_commands SET status = 'expired' WHERE status IN ('pending', 'delivered') AND expires_at <= ${now}`.execute(state.db);
  await sql`DELETE FROM agent_commands WHERE created_at < ${now - KEEP_MS}`.execute(state.db);
}

/** What an agent said it runs at its last poll. */
export async function recordPoll(state: StateSql, agentId: string, checks: readonly string[], now = Date.now()): Promise<void> {
  await sql`INSERT INTO agent_polls (agent_id, checks, polled_at) VALUES (${agentId}, ${checks.join(',')}, ${now})
    ON CONFLICT (agent_id) DO UPDATE SET checks = excluded.checks, polled_at = excluded.polled_at`.execute(state.db);
}

export interface PollingAgent {
  id: string;
  agency: string;
  hostname: string;
  checks: string[];
  polledAt: number;
}

/** Active agents that reported running `checkType` at their last poll, optionally of one agency. */
export async function agentsRunning(state: StateSql, checkType: string, agency?: string): Promise<PollingAgent[]> {
  const ofAgency = agency ? sql`AND a.agency = ${agency}` : sql``;
  const rows = (
    await sql<{ id: string; agency: string; hostname: string; checks: string; polled_at: number }>`SELECT a.id, a.agency, a.hostname, p.checks, p.polled_at
      FROM agent_polls p JOIN agents a ON a.id = p.agent_id
      WHERE a.revoked_at IS NULL ${ofAgency} ORDER BY ${textOrder(state.driver, 'a.agency')}, ${textOrder(state.driver, 'a.hostname')}`.execute(state.db)
  ).rows;
  return rows
    .map((r) => ({ id: r.id, agency: r.agency, hostname: r.hostname, checks: r.checks.split(',').filter(Boolean), polledAt: r.polled_at }))
    .filter((r) => r.checks.includes(checkType));
}
