/**
 * Commands for agents (the collector cannot call an agent behind NAT, so agents poll for them) and
 * what each agent last said it runs. A command is pending until an agent takes it, delivered until
 * its result comes back (done, failed, unsupported), and expired when nobody took it in time.
 */
import { randomBytes } from 'node:crypto';
import type { AgentCommand, CommandResult, WireSample } from '../../protocol/index.ts';
import { prepared, type DB } from './db.ts';

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

export function createCommand(db: DB, agentId: string, kind: string, payload: unknown, ttlMs: number, now = Date.now()): string {
  const id = `cmd-${now.toString(36)}-${randomBytes(6).toString('hex')}`;
  db.prepare('INSERT INTO agent_commands (id, agent_id, kind, payload, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)').run(
    id,
    agentId,
    kind,
    JSON.stringify(payload ?? null),
    now,
    now + ttlMs,
  );
  return id;
}

/** Hand the agent its pending commands (oldest first), marking them delivered; expired ones are closed. */
export function takeCommands(db: DB, agentId: string, now = Date.now()): AgentCommand[] {
  return db.transaction(() => {
    prepared(db, "UPDATE agent_commands SET status = 'expired' WHERE agent_id = ? AND status = 'pending' AND expires_at <= ?").run(agentId, now);
    const rows = prepared(db, "SELECT * FROM agent_commands WHERE agent_id = ? AND status = 'pending' ORDER BY created_at, id LIMIT 20").all(agentId) as Record<string, unknown>[];
    const mark = prepared(db, "UPDATE agent_commands SET status = 'delivered', delivered_at = ? WHERE id = ?");
    for (const r of rows) mark.run(now, r.id);
    return rows.map((r) => ({
      id: r.id as string,
      kind: r.kind as string,
      payload: JSON.parse(r.payload as string) as unknown,
      createdAt: new Date(r.created_at as number).toISOString(),
      expiresAt: new Date(r.expires_at as number).toISOString(),
    }));
  })();
}

export function hasPendingCommands(db: DB, agentId: string, now = Date.now()): boolean {
  return prepared(db, "SELECT 1 FROM agent_commands WHERE agent_id = ? AND status = 'pending' AND expires_at > ? LIMIT 1").get(agentId, now) !== undefined;
}

/** Store an agent's answer. False when the command is not that agent's or is already finished. */
export function finishCommand(db: DB, agentId: string, id: string, result: StoredResult, now = Date.now()): 'ok' | 'unknown' | 'finished' {
  const row = db.prepare('SELECT agent_id, status FROM agent_commands WHERE id = ?').get(id) as { agent_id: string; status: CommandStatus } | undefined;
  if (!row || row.agent_id !== agentId) return 'unknown';
  if (row.status !== 'pending' && row.status !== 'delivered') return 'finished';
  db.prepare('UPDATE agent_commands SET status = ?, finished_at = ?, result = ? WHERE id = ?').run(result.status, now, JSON.stringify(result), id);
  return 'ok';
}

export function getCommands(db: DB, ids: readonly string[]): CommandRow[] {
  if (ids.length === 0) return [];
  const rows = db.prepare(`SELECT * FROM agent_commands WHERE id IN (${ids.map(() => '?').join(',')})`).all(...ids) as Record<string, unknown>[];
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
export function sweepCommands(db: DB, now = Date.now()): void {
  db.prepare("UPDATE agent_commands SET status = 'expired' WHERE status IN ('pending', 'delivered') AND expires_at <= ?").run(now);
  db.prepare('DELETE FROM agent_commands WHERE created_at < ?').run(now - KEEP_MS);
}

/** What an agent said it runs at its last poll. */
export function recordPoll(db: DB, agentId: string, checks: readonly string[], now = Date.now()): void {
  prepared(db, 'INSERT INTO agent_polls (agent_id, checks, polled_at) VALUES (?, ?, ?) ON CONFLICT(agent_id) DO UPDATE SET checks = excluded.checks, polled_at = excluded.polled_at').run(
    agentId,
    checks.join(','),
    now,
  );
}

export interface PollingAgent {
  id: string;
  agency: string;
  hostname: string;
  checks: string[];
  polledAt: number;
}

/** Active agents that reported running `checkType` at their last poll, optionally of one agency. */
export function agentsRunning(db: DB, checkType: string, agency?: string): PollingAgent[] {
  const rows = db
    .prepare(
      `SELECT a.id, a.agency, a.hostname, p.checks, p.polled_at FROM agent_polls p JOIN agents a ON a.id = p.agent_id
       WHERE a.revoked_at IS NULL ${agency ? 'AND a.agency = ?' : ''} ORDER BY a.agency, a.hostname`,
    )
    .all(...(agency ? [agency] : [])) as { id: string; agency: string; hostname: string; checks: string; polled_at: number }[];
  return rows
    .map((r) => ({ id: r.id, agency: r.agency, hostname: r.hostname, checks: r.checks.split(',').filter(Boolean), polledAt: r.polled_at }))
    .filter((r) => r.checks.includes(checkType));
}
