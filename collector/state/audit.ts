// The audit log: who did what, from where (logins, silences, acknowledgements, user and token changes,
// agent revocation and rotation, enrolment codes), for province-wide administrators to review.
// Bounded: failed logins are recorded within a budget, and the table has a row ceiling besides the
// retention it shares with the alert history.
import type { Principal } from './admin-tokens.ts';
import type { DB } from './db.ts';

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

export function recordAudit(db: DB, e: AuditEntry, now = Date.now()): void {
  db.prepare('INSERT INTO audit_log (at, actor, actor_kind, action, target, agency, address, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
    now,
    e.actor.slice(0, 128),
    e.actorKind,
    e.action,
    clip(e.target, 200),
    clip(e.agency, 64),
    clip(e.address, 64),
    clip(e.detail, 500),
  );
}

/** The actor of an API or console action, as the audit log names it. */
export function actorOf(principal: Principal | undefined): Pick<AuditEntry, 'actor' | 'actorKind'> {
  return principal ? { actor: principal.name, actorKind: principal.kind } : { actor: '-', actorKind: 'anonymous' };
}

/** Newest first; `before` pages back by id. */
export function listAudit(db: DB, opts: { limit?: number; before?: number; action?: AuditAction } = {}): AuditRow[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (opts.before !== undefined) where.push('id < ?'), args.push(opts.before);
  if (opts.action !== undefined) where.push('action = ?'), args.push(opts.action);
  const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
  const rows = db.prepare(sql).all(...args, Math.min(Math.max(opts.limit ?? 200, 1), 1000)) as Record<string, unknown>[];
  return rows.map((r) => ({
    id: r.id as number,
    at: r.at as number,
    actor: r.actor as string,
    actorKind: r.actor_kind as ActorKind,
    action: r.action as AuditAction,
    target: (r.target as string | null) ?? undefined,
    agency: (r.agency as string | null) ?? undefined,
    address: (r.address as string | null) ?? undefined,
    detail: (r.detail as string | null) ?? undefined,
  }));
}

/** Deletes rows older than `before` and any beyond the row ceiling; returns how many went. */
export function pruneAudit(db: DB, before: number, maxRows = AUDIT_MAX_ROWS): number {
  const old = db.prepare('DELETE FROM audit_log WHERE at < ?').run(before).changes;
  const over = db.prepare('DELETE FROM audit_log WHERE id <= (SELECT id FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET ?)').run(maxRows).changes;
  return old + over;
}

/** A silence's matchers as one short line for the audit log. */
export function matcherText(matchers: Record<string, string>): string {
  return Object.entries(matchers).map(([k, v]) => `${k}=${v}`).join(', ');
}
