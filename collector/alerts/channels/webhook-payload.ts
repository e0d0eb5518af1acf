// The JSON body of a webhook notification, schema version 1 (README "Webhook"): built when the notification
// is queued, so every retry sends the same document; bounded in alerts, labels and text.
import { renderMail, descriptionOf, links, locationOf, measuredOf, MAX_LISTED_ALERTS, summaryOf, type AlertView, type Locale, type MailContext, type RenderedMail } from '../templates.ts';

/** Raised only for a change a receiver must adapt to; new optional fields keep the version. */
export const WEBHOOK_SCHEMA_VERSION = 1;
export const WEBHOOK_BODY_TYPE = 'canhgac.notification';
const MAX_LABELS = 40;
const MAX_LABEL_CHARS = 256;
const MAX_TEXT_CHARS = 1000;
const MAX_MESSAGE_CHARS = 32_000;

export type WebhookKind = 'alert' | 'repeat' | 'escalation' | 'storm-summary' | 'test';

export interface WebhookAlert {
  id: number;
  status: 'firing' | 'resolved';
  rule: string;
  severity: string;
  summary: string;
  description: string | null;
  location: string | null;
  measured: string | null;
  value: number | null;
  labels: Record<string, string>;
  startsAt: string;
  endsAt: string | null;
  acknowledgedBy: string | null;
  consoleUrl: string | null;
  grafanaUrl: string | null;
}

/** What is queued: the body without `id`, which the notification gets only when it is stored. */
export interface WebhookDocument {
  version: typeof WEBHOOK_SCHEMA_VERSION;
  type: typeof WEBHOOK_BODY_TYPE;
  channel: string;
  kind: WebhookKind;
  createdAt: string;
  locale: Locale;
  agency: { id: string; name: string } | null;
  subject: string;
  text: string;
  alerts: WebhookAlert[];
  alertsOmitted: number;
  held?: { subject: string; at: string }[];
}

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const iso = (t: number) => new Date(t).toISOString();

function labelsOf(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels).slice(0, MAX_LABELS)) out[cut(k, 64)] = cut(String(v), MAX_LABEL_CHARS);
  return out;
}

function alertOf(a: AlertView, resolved: boolean, ctx: MailContext): WebhookAlert {
  const l = links(a, ctx);
  const description = descriptionOf(a, ctx.locale, ctx.agencyName);
  return {
    id: a.id,
    status: resolved ? 'resolved' : 'firing',
    rule: a.ruleName,
    severity: a.severity,
    summary: cut(summaryOf(a, ctx.locale, ctx.agencyName), MAX_TEXT_CHARS),
    description: description ? cut(description, MAX_TEXT_CHARS) : null,
    location: cut(locationOf(a.labels) ?? '', MAX_TEXT_CHARS) || null,
    measured: measuredOf(a, ctx.locale) ?? null,
    value: a.value,
    labels: labelsOf(a.labels),
    startsAt: iso(a.firedAt),
    endsAt: a.resolvedAt ? iso(a.resolvedAt) : null,
    acknowledgedBy: a.ackedBy ?? null,
    consoleUrl: l.console ?? null,
    grafanaUrl: l.grafana ?? null,
  };
}

/** One group of alerts of one agency, as the e-mail of the same group says it (same subject and text). */
export function webhookAlertDocument(channel: string, ctx: MailContext & { agency: string }, now: number): { mail: RenderedMail; doc: WebhookDocument } {
  const mail = renderMail(ctx);
  const all = [...ctx.firing.map((a) => ({ a, resolved: false })), ...ctx.resolved.map((a) => ({ a, resolved: true }))];
  const listed = all.slice(0, MAX_LISTED_ALERTS);
  const doc: WebhookDocument = {
    version: WEBHOOK_SCHEMA_VERSION,
    type: WEBHOOK_BODY_TYPE,
    channel,
    kind: ctx.kind,
    createdAt: iso(now),
    locale: ctx.locale,
    agency: ctx.agency ? { id: ctx.agency, name: ctx.agencyName } : null,
    subject: mail.subject,
    text: cut(mail.text, MAX_MESSAGE_CHARS),
    alerts: listed.map(({ a, resolved }) => alertOf(a, resolved, ctx)),
    alertsOmitted: all.length - listed.length,
  };
  return { mail, doc };
}

/** A storm summary or a test message: no alerts, a subject and a text (and the held subjects of a summary). */
export function webhookNoticeDocument(
  channel: string,
  kind: 'storm-summary' | 'test',
  locale: Locale,
  message: { subject: string; text: string },
  now: number,
  held?: { subject: string; at: number }[],
): WebhookDocument {
  return {
    version: WEBHOOK_SCHEMA_VERSION,
    type: WEBHOOK_BODY_TYPE,
    channel,
    kind,
    createdAt: iso(now),
    locale,
    agency: null,
    subject: message.subject,
    text: cut(message.text, MAX_MESSAGE_CHARS),
    alerts: [],
    alertsOmitted: 0,
    ...(held ? { held: held.slice(0, 500).map((h) => ({ subject: cut(h.subject, MAX_TEXT_CHARS), at: iso(h.at) })) } : {}),
  };
}

/** The body as sent: `id` (the notification's, the same on every retry) right after the version and type. */
export function webhookBody(queued: string, id: number): Buffer {
  const { version, type, ...rest } = JSON.parse(queued) as WebhookDocument;
  return Buffer.from(JSON.stringify({ version, type, id, ...rest }), 'utf8');
}
