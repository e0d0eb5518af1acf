// Alerting's SQLite tables behind one class: alerts, acknowledgements, the notification history and the
// mail queue, so that state survives a restart and the CLI and console see it too (silences: silence-store.ts).
import type { DB } from '../state/db.ts';
import type { Severity } from './rules.ts';

export type AlertState = 'pending' | 'firing' | 'resolved';

export interface AlertRow {
  id: number;
  fingerprint: string;
  rule: string;
  severity: Severity;
  agency: string;
  agent: string | null;
  labels: Record<string, string>;
  value: number | null;
  state: AlertState;
  activeSince: number;
  firedAt: number | null;
  resolvedAt: number | null;
  lastNotifiedAt: number | null;
  resolveNotifiedAt: number | null;
  suppressedAt: number | null;
  escalatedAt: number | null;
  ackedAt: number | null;
  ackedBy: string | null;
  ackNote: string | null;
  /** Since when the condition of a firing alert no longer holds (its resolveAfter countdown). */
  clearSince: number | null;
}

export type EventKind = 'firing' | 'repeat' | 'resolved' | 'escalation';

export type { SilenceRow } from './silence-store.ts';

/** `sending`: claimed by one collector's delivery, until sent, failed or its claim runs out (queue-store.ts). */
export type NotificationStatus = 'queued' | 'sending' | 'sent' | 'suppressed' | 'held';

/** The channel of a notification that goes out as an e-mail (the others carry a configured channel's name). */
export const EMAIL_CHANNEL = 'email';

export interface NotificationRow {
  id: number;
  createdAt: number;
  /** `email`, or the name of the configured channel (webhook, Telegram) it goes through. */
  channel: string;
  agency: string;
  kind: string;
  recipients: string[];
  subject: string;
  alertIds: number[];
  status: NotificationStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastError: string | null;
  sentAt: number | null;
}

export interface MailAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface OutgoingMail extends NotificationRow {
  text: string;
  html: string;
}

type Raw = Record<string, unknown>;
const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * A JSON object column as an object; {} for anything else (a row damaged or written by hand), so one bad
 * row cannot stop every reader of the table. A silence read as {} matches nothing (see silences.ts).
 */
function objectColumn(text: unknown): Record<string, string> {
  try {
    const v: unknown = JSON.parse(String(text));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** An alerts row as read (the operators' queries in alert-queries.ts read them too). */
export function alertOf(r: Raw): AlertRow {
  const out: Raw = {};
  for (const [k, v] of Object.entries(r)) out[camel(k)] = v;
  out.labels = objectColumn(r.labels);
  return out as unknown as AlertRow;
}

/** A notifications row as read (the queue's claims read them too). */
export function notificationOf(r: Raw): OutgoingMail {
  return {
    id: r.id as number,
    createdAt: r.created_at as number,
    channel: (r.channel as string | undefined) ?? EMAIL_CHANNEL,
    agency: r.agency as string,
    kind: r.kind as string,
    recipients: JSON.parse(r.recipients as string),
    subject: r.subject as string,
    alertIds: JSON.parse(r.alert_ids as string),
    status: r.status as NotificationStatus,
    attempts: r.attempts as number,
    nextAttemptAt: r.next_attempt_at as number | null,
    lastError: r.last_error as string | null,
    sentAt: r.sent_at as number | null,
    text: (r.text_body as string) ?? '',
    html: (r.html_body as string) ?? '',
  };
}

const UPDATABLE = new Set(['clear_since', 'severity', 'labels', 'value', 'state', 'active_since', 'fired_at', 'resolved_at', 'last_notified_at', 'resolve_notified_at', 'suppressed_at', 'escalated_at']);

/** Alert state, silences and notification history in SQLite: what survives a restart. */
export class AlertStore {
  constructor(readonly db: DB) {}

  openAlert(a: { fingerprint: string; rule: string; severity: Severity; agency: string; agent?: string; labels: Record<string, string>; value?: number; activeSince: number }): number {
    const r = this.db
      .prepare(`INSERT INTO alerts (fingerprint, rule, severity, agency, agent, labels, value, state, active_since) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)`)
      .run(a.fingerprint, a.rule, a.severity, a.agency, a.agent ?? null, JSON.stringify(a.labels), a.value ?? null, a.activeSince);
    return Number(r.lastInsertRowid);
  }

  /** Update columns by their SQL names (only the known ones). */
  update(id: number, fields: Record<string, unknown>): void {
    const keys = Object.keys(fields).filter((k) => UPDATABLE.has(k));
    if (keys.length === 0) return;
    const values = keys.map((k) => (k === 'labels' ? JSON.stringify(fields[k]) : fields[k]));
    this.db.prepare(`UPDATE alerts SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE id = ?`).run(...values, id);
  }

  /** A pending alert whose condition cleared before `for` never existed as far as anyone is told. */
  dropPending(id: number): void {
    this.db.prepare(`DELETE FROM alerts WHERE id = ? AND state = 'pending'`).run(id);
    this.db.prepare('DELETE FROM alert_events WHERE alert_id = ?').run(id);
  }

  get(id: number): AlertRow | undefined {
    const r = this.db.prepare('SELECT * FROM alerts WHERE id = ?').get(id) as Raw | undefined;
    return r ? alertOf(r) : undefined;
  }

  open(): AlertRow[] {
    return (this.db.prepare(`SELECT * FROM alerts WHERE state IN ('pending', 'firing')`).all() as Raw[]).map(alertOf);
  }

  firing(): AlertRow[] {
    return (this.db.prepare(`SELECT * FROM alerts WHERE state = 'firing' ORDER BY id`).all() as Raw[]).map(alertOf);
  }

  /** Resolved alerts whose firing was mailed and whose resolve has not been handled yet. */
  awaitingResolve(): AlertRow[] {
    return (this.db.prepare(`SELECT * FROM alerts WHERE state = 'resolved' AND last_notified_at IS NOT NULL AND resolve_notified_at IS NULL ORDER BY id`).all() as Raw[]).map(alertOf);
  }

  // Events waiting for their group to be mailed

  addEvent(alertId: number, kind: EventKind, agency: string, now: number): void {
    this.db.prepare('INSERT OR IGNORE INTO alert_events (alert_id, kind, agency, created_at) VALUES (?, ?, ?, ?)').run(alertId, kind, agency, now);
  }

  hasEvent(alertId: number, kind: EventKind): boolean {
    return this.db.prepare('SELECT 1 FROM alert_events WHERE alert_id = ? AND kind = ?').get(alertId, kind) !== undefined;
  }

  /** Agencies whose oldest waiting event is at least groupWait old. */
  dueGroups(before: number): string[] {
    return (this.db.prepare('SELECT agency FROM alert_events GROUP BY agency HAVING MIN(created_at) <= ?').all(before) as { agency: string }[]).map((r) => r.agency);
  }

  takeEvents(agency: string): { alertId: number; kind: EventKind }[] {
    const rows = this.db.prepare('SELECT alert_id, kind FROM alert_events WHERE agency = ? ORDER BY created_at, alert_id').all(agency) as { alert_id: number; kind: EventKind }[];
    this.db.prepare('DELETE FROM alert_events WHERE agency = ?').run(agency);
    return rows.map((r) => ({ alertId: r.alert_id, kind: r.kind }));
  }

  // Notifications: history and the outgoing queue in one table

  addNotification(
    n: {
      agency: string;
      kind: string;
      recipients: string[];
      subject: string;
      alertIds: number[];
      text?: string;
      html?: string;
      status: NotificationStatus;
      attachments?: MailAttachment[];
      /** Default `email`. */
      channel?: string;
    },
    now: number,
  ): number {
    return this.db.transaction(() => {
      const r = this.db
        .prepare(`INSERT INTO notifications (created_at, channel, agency, kind, recipients, subject, alert_ids, text_body, html_body, status, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(now, n.channel ?? EMAIL_CHANNEL, n.agency, n.kind, JSON.stringify(n.recipients), n.subject, JSON.stringify(n.alertIds), n.text ?? null, n.html ?? null, n.status, n.status === 'queued' ? now : null);
      const id = Number(r.lastInsertRowid);
      const add = this.db.prepare('INSERT INTO notification_attachments (notification_id, position, filename, content_type, content) VALUES (?, ?, ?, ?, ?)');
      (n.attachments ?? []).forEach((a, i) => add.run(id, i, a.filename, a.contentType, a.content));
      return id;
    })();
  }

  notification(id: number): OutgoingMail | undefined {
    const r = this.db.prepare('SELECT * FROM notifications WHERE id = ?').get(id) as Raw | undefined;
    return r ? notificationOf(r) : undefined;
  }

  // Storm control: who got how many mails lately

  mailsTo(recipient: string, since: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM mail_log WHERE recipient = ? AND at > ? AND held = 0').get(recipient, since) as { n: number }).n;
  }

  logMail(recipient: string, notificationId: number, now: number, held: boolean): void {
    this.db.prepare('INSERT INTO mail_log (recipient, notification_id, at, held) VALUES (?, ?, ?, ?)').run(recipient, notificationId, now, held ? 1 : 0);
  }

  /** Recipients with held mails whose first hold is older than `before`. */
  heldDue(before: number): { recipient: string; notificationIds: number[] }[] {
    const rows = this.db.prepare('SELECT recipient, notification_id, at FROM mail_log WHERE held = 1 AND summarized_at IS NULL ORDER BY at').all() as { recipient: string; notification_id: number; at: number }[];
    const by = new Map<string, { first: number; ids: number[] }>();
    for (const r of rows) {
      const e = by.get(r.recipient) ?? { first: r.at, ids: [] };
      e.ids.push(r.notification_id);
      by.set(r.recipient, e);
    }
    return [...by].filter(([, e]) => e.first <= before).map(([recipient, e]) => ({ recipient, notificationIds: e.ids }));
  }

  markSummarized(recipient: string, now: number): void {
    this.db.prepare('UPDATE mail_log SET summarized_at = ? WHERE recipient = ? AND held = 1 AND summarized_at IS NULL').run(now, recipient);
  }

  // Agent cadence for the agent-silent rule

  loadCadence(): { agent: string; agency: string; intervalMs: number | null; lastArrival: number }[] {
    return (this.db.prepare('SELECT * FROM alert_agent_cadence').all() as Raw[]).map((r) => ({ agent: r.agent as string, agency: r.agency as string, intervalMs: r.interval_ms as number | null, lastArrival: r.last_arrival as number }));
  }

  saveCadence(rows: { agent: string; agency: string; intervalMs?: number; lastArrival: number }[]): void {
    const stmt = this.db.prepare('INSERT INTO alert_agent_cadence (agent, agency, interval_ms, last_arrival) VALUES (?, ?, ?, ?) ON CONFLICT(agent) DO UPDATE SET agency = excluded.agency, interval_ms = excluded.interval_ms, last_arrival = excluded.last_arrival');
    this.db.transaction(() => {
      for (const r of rows) stmt.run(r.agent, r.agency, r.intervalMs ?? null, r.lastArrival);
    })();
  }

  forgetCadence(agent: string): void {
    this.db.prepare('DELETE FROM alert_agent_cadence WHERE agent = ?').run(agent);
  }

  /** Agents whose token was revoked (collector/state/agents.ts sets revoked_at). */
  revokedAgents(): string[] {
    return (this.db.prepare('SELECT id FROM agents WHERE revoked_at IS NOT NULL').all() as { id: string }[]).map((r) => r.id);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
