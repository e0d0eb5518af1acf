// The audit log: who did what, from where (logins, silences, acknowledgements, user and token changes,
// agent revocation and rotation, enrolment codes), for province-wide administrators to review.
// Bounded: failed logins are recorded within a budget, and the table has a row ceiling besides the
// retention it shares with the alert history.
import { sql } from 'kysely';
import type { Principal } from './admin-tokens.ts';
import type { StateSql } from './sql/connect.ts';
import { changes, type Q } from './sql/query.ts';

export const AUDIT_ACTIONS = [
  'login',
  'login_failed',
  'logout',
  'alert_ack',
  'silence_add',
  'silence_remove',
  'user_add',
  'user_password',
  'user_disable',
  'user_enable',
  'token_create',
  'token_revoke',
  'agent_revoke',
  'agent_rotate',
  'enroll_code',
  'test_mail',
  'test_channel',
  'config_push',
  'notice_add',
  'notice_update',
  'notice_end',
  'release_add',
  'release_rollout',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type ActorKind = 'user' | 'token' | 'cli' | 'system' | 'anonymous';

export interface AuditEntry {
  actor: string;
  actorKind: ActorKind;
  action: AuditAction;
  /** What was acted on: a user name, an alert or silence id, an agent id, a token name. */
  target?: string;
  /** The agency the action concerns, so that a scoped view can be offered later. */
  agency?: string;
  address?: string;
  /** A short free text (a silence's matchers, a role); never a secret. */
  detail?: string;
}

export interface AuditRow extends Required<Pick<AuditEntry, 'actor' | 'actorKind' | 'action'>> {
  id: number;
  at: number;
  target?: string;
  agency?: string;
  address?: string;
  detail?: string;
}

/** The most rows kept, whatever the retention: the oldest go first. */
export const AUDIT_MAX_ROWS = 500_000;

const clip = (s: string | undefined, n: number) => (s === undefined ? null : s.slice(0, n));

/** One entry, on the caller's transaction when given one (a change and its audit row commit together). */
export async function recordAudit(q: Q, e: AuditEntry, now = Date.now()): Promise<void> {
  await sql`INSERT INTO audit_log (at, actor, actor_kind, action, target, agency, address, detail)
    VALUES (${now}, ${e.actor.slice(0, 128)}, ${e.actorKind}, ${e.action}, ${clip(e.target, 200)}, ${clip(e.agency, 64)}, ${clip(e.address, 64)}, ${clip(e.detail, 500)})`.execute(q);
}

/** The actor of an API or console action, as the audit log names it. */
export function actorOf(principal: Principal | undefined): Pick<AuditEntry, 'actor' | 'actorKind'> {
  return principal ? { actor: principal.name, actorKind: principal.kind } : { actor: '-', actorKind: 'anonymous' };
}

interface AuditDbRow {
  id: number;
  at: number;
  actor: string;
  actor_kind: ActorKind;
  action: AuditAction;
  target: string | null;
  agency: string | null;
  address: string | null;
  detail: string | null;
}

/** Newest first; `before` pages back by id. At most 1,000 rows. */
export async function listAudit(state: StateSql, opts: { limit?: number; before?: number; action?: AuditAction } = {}): Promise<AuditRow[]> {
  // Built here rather than as `? IS NULL OR ...`: PostgreSQL cannot type a bare parameter.
  const before = opts.before !== undefined ? sql`AND id < ${opts.before}` : sql``;
  const action = opts.action !== undefined ? sql`AND action = ${opts.action}` : sql``;
  const limit = Math.min(Math.max(opts.limit ?? 200, 1), 1000);
  const rows = (await sql<AuditDbRow>`SELECT id, at, actor, actor_kind, action, target, agency, address, detail FROM audit_log WHERE 1 = 1 ${before} ${action} ORDER BY id DESC LIMIT ${limit}`.execute(state.db)).rows;
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    actorKind: r.actor_kind,
    action: r.action,
    target: r.target ?? undefined,
    agency: r.agency ?? undefined,
    address: r.address ?? undefined,
    detail: r.detail ?? undefined,
  }));
}

/** Deletes rows older than `before` and any beyond the row ceiling; returns how many went. */
export async function pruneAudit(state: StateSql, before: number, maxRows = AUDIT_MAX_ROWS): Promise<number> {
  const old = changes(await sql`DELETE FROM audit_log WHERE at < ${before}`.execute(state.db));
  const over = changes(await sql`DELETE FROM audit_log WHERE id <= (SELECT id FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET ${maxRows})`.execute(state.db));
  return old + over;
}

/** A silence's matchers as one short line for the audit log. */
export function matcherText(matchers: Record<string, string>): string {
  return Object.entries(matchers).map(([k, v]) => `${k}=${v}`).join(', ');
}
