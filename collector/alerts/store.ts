// Alerting's tables behind one class on the SQL layer (either engine): alert episodes, the events waiting
// to be mailed, new notifications, the storm log and agent cadence, so that alert state survives a restart
// and is shared by every collector on one database (silences: silence-store.ts; the queue: queue-store.ts).
import { sql } from 'kysely';
import type { StateSql } from '../state/sql/connect.ts';
import { changes, objectColumn, type Q } from '../state/sql/query.ts';
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

/** What a caller that runs alone needs in order to act on a row another collector may be changing. */
export interface AlertOpen {
  fingerprint: string;
  rule: string;
  severity: Severity;
  agency: string;
  agent?: string;
  labels: Record<string, string>;
  value?: number;
  activeSince: number;
}

/**
 * Alert state, events, the storm log, agent cadence and new notifications through the SQL layer (either
 * engine). One store per handle: the state itself, or a transaction (`transaction` gives the callback a
 * store bound to it).
 */
export class AlertStore {
  constructor(
    readonly state: StateSql,
    private readonly q: Q = state.db,
  ) {}

  /** `fn` with a store whose statements run in one transaction (the same one when already inside one). */
  async transaction<T>(fn: (store: AlertStore) => Promise<T>): Promise<T> {
    if (this.q.isTransaction) return fn(this);
    return this.q.transaction().execute((trx) => fn(new AlertStore(this.state, trx)));
  }

  /**
   * A new pending alert, or the open one of the same fingerprint another collector (or an earlier run)
   * already has: at most one open alert per fingerprint, whoever sees the condition first.
   */
  async openAlert(a: AlertOpen, tries = 3): Promise<{ row: AlertRow; created: boolean }> {
    const r = await sql<Raw>`INSERT INTO alerts (fingerprint, rule, severity, agency, agent, labels, value, state, active_since)
      VALUES (${a.fingerprint}, ${a.rule}, ${a.severity}, ${a.agency}, ${a.agent ?? null}, ${JSON.stringify(a.labels)}, ${a.value ?? null}, 'pending', ${a.activeSince})
      ON CONFLICT (fingerprint) WHERE state IN ('pending', 'firing') DO NOTHING RETURNING *`.execute(this.q);
    if (r.rows[0]) return { row: alertOf(r.rows[0]), created: true };
    const open = await sql<Raw>`SELECT * FROM alerts WHERE fingerprint = ${a.fingerprint} AND state IN ('pending', 'firing')`.execute(this.q);
    if (open.rows[0]) return { row: alertOf(open.rows[0]), created: false };
    // Resolved between the two statements by someone else: try again, which now inserts (a few times at most).
    if (tries <= 1) throw new Error(`alert ${a.fingerprint}: its open row kept changing while being opened`);
    return this.openAlert(a, tries - 1);
  }

  /** Update columns by their SQL names (only the known ones). */
  async update(id: number, fields: Record<string, unknown>): Promise<void> {
    const keys = Object.keys(fields).filter((k) => UPDATABLE.has(k));
    if (keys.length === 0) return;
    const sets = keys.map((k) => sql`${sql.ref(k)} = ${k === 'labels' ? JSON.stringify(fields[k]) : fields[k]}`);
    await sql`UPDATE alerts SET ${sql.join(sets)} WHERE id = ${id}`.execute(this.q);
  }

  /**
   * A pending alert becomes firing, unless it is no longer pending (another collector fired or dropped
   * it first): the row as fired, or undefined when this caller did not fire it.
   */
  async fire(id: number, now: number, value: number | null, labels: Record<string, string>): Promise<AlertRow | undefined> {
    const r = await sql<Raw>`UPDATE alerts SET state = 'firing', fired_at = ${now}, value = ${value}, labels = ${JSON.stringify(labels)}
      WHERE id = ${id} AND state = 'pending' RETURNING *`.execute(this.q);
    return r.rows[0] ? alertOf(r.rows[0]) : undefined;
  }

  /**
   * A firing alert resolves, unless someone resolved it already or (with `whileClear`) saw its condition
   * hold again since (clear_since reset): the row as resolved, or undefined when this caller did not.
   */
  async resolve(id: number, now: number, whileClear: boolean): Promise<AlertRow | undefined> {
    const r = await sql<Raw>`UPDATE alerts SET state = 'resolved', resolved_at = ${now}
      WHERE id = ${id} AND state = 'firing' ${whileClear ? sql`AND clear_since IS NOT NULL` : sql``} RETURNING *`.execute(this.q);
    return r.rows[0] ? alertOf(r.rows[0]) : undefined;
  }

  /** A pending alert whose condition cleared before `for` never existed as far as anyone is told. */
  async dropPending(id: number): Promise<void> {
    await this.transaction(async (s) => {
      await sql`DELETE FROM alerts WHERE id = ${id} AND state = 'pending'`.execute(s.q);
      await sql`DELETE FROM alert_events WHERE alert_id = ${id}`.execute(s.q);
    });
  }

  async get(id: number): Promise<AlertRow | undefined> {
    const r = await sql<Raw>`SELECT * FROM alerts WHERE id = ${id}`.execute(this.q);
    return r.rows[0] ? alertOf(r.rows[0]) : undefined;
  }

  async open(): Promise<AlertRow[]> {
    return (await sql<Raw>`SELECT * FROM alerts WHERE state IN ('pending', 'firing') ORDER BY id`.execute(this.q)).rows.map(alertOf);
  }

  async firing(): Promise<AlertRow[]> {
    return (await sql<Raw>`SELECT * FROM alerts WHERE state = 'firing' ORDER BY id`.execute(this.q)).rows.map(alertOf);
  }

  /** Resolved alerts whose firing was mailed and whose resolve has not been handled yet. */
  async awaitingResolve(): Promise<AlertRow[]> {
    return (await sql<Raw>`SELECT * FROM alerts WHERE state = 'resolved' AND last_notified_at IS NOT NULL AND resolve_notified_at IS NULL ORDER BY id`.execute(this.q)).rows.map(alertOf);
  }

  /**
   * Marks `a` told of `kind` at `now` unless someone told it already (its mark moved since `a` was read):
   * true when this caller is the one to tell it. A conditional write, so two notifiers never both are.
   */
  async claimNotice(a: AlertRow, kind: EventKind, now: number): Promise<boolean> {
    const q =
      kind === 'firing'
        ? sql`UPDATE alerts SET last_notified_at = ${now} WHERE id = ${a.id} AND last_notified_at IS NULL`
        : kind === 'repeat'
          ? sql`UPDATE alerts SET last_notified_at = ${now} WHERE id = ${a.id} AND last_notified_at = ${a.lastNotifiedAt}`
          : kind === 'resolved'
            ? sql`UPDATE alerts SET resolve_notified_at = ${now} WHERE id = ${a.id} AND resolve_notified_at IS NULL`
            : sql`UPDATE alerts SET escalated_at = ${now} WHERE id = ${a.id} AND escalated_at IS NULL`;
    return changes(await q.execute(this.q)) > 0;
  }

  // Events waiting for their group to be mailed

  async addEvent(alertId: number, kind: EventKind, agency: string, now: number): Promise<void> {
    await sql`INSERT INTO alert_events (alert_id, kind, agency, created_at) VALUES (${alertId}, ${kind}, ${agency}, ${now}) ON CONFLICT DO NOTHING`.execute(this.q);
  }

  async hasEvent(alertId: number, kind: EventKind): Promise<boolean> {
    return (await sql`SELECT 1 AS one FROM alert_events WHERE alert_id = ${alertId} AND kind = ${kind}`.execute(this.q)).rows.length > 0;
  }

  /** Agencies whose oldest waiting event is at least groupWait old. */
  async dueGroups(before: number): Promise<string[]> {
    const r = await sql<{ agency: string }>`SELECT agency FROM alert_events GROUP BY agency HAVING MIN(created_at) <= ${before} ORDER BY agency`.execute(this.q);
    return r.rows.map((x) => x.agency);
  }

  /** An agency's waiting events, taken (deleted) in one statement: two takers never both get one. */
  async takeEvents(agency: string): Promise<{ alertId: number; kind: EventKind }[]> {
    const r = await sql<{ alert_id: number; kind: EventKind; created_at: number }>`DELETE FROM alert_events WHERE agency = ${agency} RETURNING alert_id, kind, created_at`.execute(this.q);
    return r.rows.sort((a, b) => a.created_at - b.created_at || a.alert_id - b.alert_id).map((x) => ({ alertId: x.alert_id, kind: x.kind }));
  }

  // Notifications: history and the outgoing queue in one table

  async addNotification(
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
  ): Promise<number> {
    return this.transaction(async (s) => {
      const r = await sql<{ id: number }>`INSERT INTO notifications (created_at, channel, agency, kind, recipients, subject, alert_ids, text_body, html_body, status, next_attempt_at)
        VALUES (${now}, ${n.channel ?? EMAIL_CHANNEL}, ${n.agency}, ${n.kind}, ${JSON.stringify(n.recipients)}, ${n.subject}, ${JSON.stringify(n.alertIds)}, ${n.text ?? null}, ${n.html ?? null}, ${n.status}, ${n.status === 'queued' ? now : null})
        RETURNING id`.execute(s.q);
      const id = Number(r.rows[0].id);
      for (const [i, a] of (n.attachments ?? []).entries()) {
        await sql`INSERT INTO notification_attachments (notification_id, position, filename, content_type, content) VALUES (${id}, ${i}, ${a.filename}, ${a.contentType}, ${a.content})`.execute(s.q);
      }
      return id;
    });
  }

  async notification(id: number): Promise<OutgoingMail | undefined> {
    const r = await sql<Raw>`SELECT * FROM notifications WHERE id = ${id}`.execute(this.q);
    return r.rows[0] ? notificationOf(r.rows[0]) : undefined;
  }

  // Storm control: who got how many mails lately

  async mailsTo(recipient: string, since: number): Promise<number> {
    const r = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM mail_log WHERE recipient = ${recipient} AND at > ${since} AND held = 0`.execute(this.q);
    return Number(r.rows[0].n);
  }

  async logMail(recipient: string, notificationId: number, now: number, held: boolean): Promise<void> {
    await sql`INSERT INTO mail_log (recipient, notification_id, at, held) VALUES (${recipient}, ${notificationId}, ${now}, ${held ? 1 : 0})`.execute(this.q);
  }

  /** Recipients with held mails whose first hold is older than `before`. */
  async heldDue(before: number): Promise<{ recipient: string; notificationIds: number[] }[]> {
    const rows = (await sql<{ recipient: string; notification_id: number; at: number }>`SELECT recipient, notification_id, at FROM mail_log WHERE held = 1 AND summarized_at IS NULL ORDER BY at, notification_id`.execute(this.q)).rows;
    const by = new Map<string, { first: number; ids: number[] }>();
    for (const r of rows) {
      const e = by.get(r.recipient) ?? { first: r.at, ids: [] };
      e.ids.push(r.notification_id);
      by.set(r.recipient, e);
    }
    return [...by].filter(([, e]) => e.first <= before).map(([recipient, e]) => ({ recipient, notificationIds: e.ids }));
  }

  async markSummarized(recipient: string, now: number): Promise<void> {
    await sql`UPDATE mail_log SET summarized_at = ${now} WHERE recipient = ${recipient} AND held = 1 AND summarized_at IS NULL`.execute(this.q);
  }

  // Agent cadence for the agent-silent rule

  /**
   * Every collector's arrivals, with the host name the agent enrolled with: the leader may never have seen
   * an agent that reports to another collector, and its silent-agent mail names the host all the same.
   */
  async loadCadence(): Promise<CadenceRow[]> {
    const r = await sql<Raw>`SELECT c.agent, c.agency, c.interval_ms, c.last_arrival, a.hostname FROM alert_agent_cadence c
      LEFT JOIN agents a ON a.id = c.agent ORDER BY c.agent`.execute(this.q);
    return r.rows.map((x) => ({ agent: x.agent as string, agency: x.agency as string, intervalMs: x.interval_ms as number | null, lastArrival: x.last_arrival as number, host: (x.hostname as string | null) ?? undefined }));
  }

  /**
   * What this collector learnt about agents' cadence. The latest arrival wins whoever saw it: several
   * collectors each save the agents they see, and an agent that moved keeps the arrival of its new one.
   */
  async saveCadence(rows: { agent: string; agency: string; intervalMs?: number; lastArrival: number }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.transaction(async (s) => {
      for (const r of rows) {
        await sql`INSERT INTO alert_agent_cadence (agent, agency, interval_ms, last_arrival) VALUES (${r.agent}, ${r.agency}, ${r.intervalMs ?? null}, ${r.lastArrival})
          ON CONFLICT (agent) DO UPDATE SET agency = excluded.agency,
            interval_ms = COALESCE(excluded.interval_ms, alert_agent_cadence.interval_ms),
            last_arrival = CASE WHEN excluded.last_arrival > alert_agent_cadence.last_arrival THEN excluded.last_arrival ELSE alert_agent_cadence.last_arrival END`.execute(s.q);
      }
    });
  }

  async forgetCadence(agent: string): Promise<void> {
    await sql`DELETE FROM alert_agent_cadence WHERE agent = ${agent}`.execute(this.q);
  }

  /** Agents whose token was revoked (collector/state/agents.ts sets revoked_at). */
  async revokedAgents(): Promise<string[]> {
    return (await sql<{ id: string }>`SELECT id FROM agents WHERE revoked_at IS NOT NULL ORDER BY id`.execute(this.q)).rows.map((r) => r.id);
  }
}

export interface CadenceRow {
  agent: string;
  agency: string;
  intervalMs: number | null;
  lastArrival: number;
  /** The agent's enrolled host name (agents.hostname), when it is enrolled. */
  host?: string;
}
