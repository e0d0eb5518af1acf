// Renders the alert pages: active and past alerts, one alert with its notifications, silences, and
// the notification history of every channel with the test-mail form and the channels' test buttons; the
// alert table is reused by other pages.
import type { AlertRow, NotificationRow, SilenceRow } from '../../alerts/store.ts';
import { html, path, type Html } from '../html.ts';
import { formatTime, t, toLocalDateTimeInput } from '../i18n.ts';
import { badge, CONSOLE, csrfField, flash, page, table, type PageContext } from '../layout.ts';

export interface AlertsPageData {
  active: AlertRow[];
  history: AlertRow[];
  silences: SilenceRow[];
  rules: string[];
  agencies: { id: string; name: string }[];
  names: Map<string, string>;
  canAct: boolean;
  now: number;
  message?: string;
  error?: string;
  summarize: (a: AlertRow) => string;
}

export function alertTable(ctx: PageContext, alerts: AlertRow[], names: Map<string, string>, opts: { actions: boolean; summarize?: (a: AlertRow) => string }): Html {
  const L = ctx.locale;
  return table(
    ['#', t(L, 'severity'), t(L, 'agency'), t(L, 'rule'), t(L, 'since'), t(L, 'state'), ''],
    alerts.map((a) => [
      html`<a href="${CONSOLE}${path`/alerts/${a.id}`}">${a.id}</a>`,
      badge(a.severity, a.severity),
      html`<a href="${CONSOLE}${path`/agencies/${a.agency}`}">${names.get(a.agency) ?? a.agency}</a>`,
      html`<span class="rule">${a.rule}</span>${opts.summarize ? html`<div class="summary">${opts.summarize(a)}</div>` : ''}`,
      formatTime(L, a.firedAt ?? a.activeSince),
      a.state === 'resolved'
        ? html`${t(L, 'resolved')} ${formatTime(L, a.resolvedAt)}`
        : a.ackedAt
          ? html`${t(L, 'acked')}: ${a.ackedBy} ${formatTime(L, a.ackedAt)}`
          : a.suppressedAt
            ? html`${t(L, 'firing')} ${badge('suppressed', t(L, 'silenced'))}`
            : t(L, 'firing'),
      opts.actions && a.state === 'firing' && !a.ackedAt
        ? html`<form method="post" action="${CONSOLE}${path`/alerts/${a.id}/ack`}" class="inline">${csrfField(ctx)}<button type="submit" data-ack="${a.id}">${t(L, 'acknowledge')}</button></form>`
        : '',
    ]),
    t(L, 'noActiveAlerts'),
    'alerts',
  );
}

function silenceForm(ctx: PageContext, d: AlertsPageData): Html {
  const L = ctx.locale;
  const scoped = ctx.user?.agency;
  return html`<form method="post" action="${CONSOLE}/silences" class="card form" id="silence-form">
    ${csrfField(ctx)}
    <h3>${t(L, 'newSilence')}</h3>
    <label>${t(L, 'agency')} <select name="agency">
      ${scoped ? '' : html`<option value="">${t(L, 'anyAgency')}</option>`}
      ${d.agencies.map((a) => html`<option value="${a.id}">${a.name}</option>`)}
    </select></label>
    <label>${t(L, 'rule')} <select name="rule"><option value="">${t(L, 'anyRule')}</option>${d.rules.map((r) => html`<option value="${r}">${r}</option>`)}</select></label>
    <label>${t(L, 'labelsOptional')} <input name="labels" maxlength="300" placeholder="target=127.0.0.1"></label>
    <label>${t(L, 'reason')} <input name="reason" required minlength="3" maxlength="300"></label>
    <label>${t(L, 'endsAt')} <input type="datetime-local" name="endsAt" required value="${toLocalDateTimeInput(d.now + 2 * 3_600_000)}"></label>
    <button type="submit">${t(L, 'silence')}</button>
  </form>`;
}

function silenceTable(ctx: PageContext, d: AlertsPageData): Html {
  const L = ctx.locale;
  return table(
    ['#', t(L, 'rule'), t(L, 'reason'), t(L, 'author'), t(L, 'endsAt'), ''],
    d.silences.map((s) => [
      s.id,
      html`<code>${Object.entries(s.matchers).map(([k, v]) => `${k}=${v}`).join(', ')}</code>`,
      s.reason,
      s.author,
      formatTime(L, s.endsAt),
      d.canAct ? html`<form method="post" action="${CONSOLE}${path`/silences/${s.id}/remove`}" class="inline">${csrfField(ctx)}<button type="submit" class="secondary">${t(L, 'remove')}</button></form>` : '',
    ]),
    t(L, 'noRows'),
    'silences',
  );
}

export function alertsPage(ctx: PageContext, d: AlertsPageData): string {
  const L = ctx.locale;
  const body = html`
    ${flash(d.message)}${flash(d.error, 'error')}
    <section><h2>${t(L, 'activeAlerts')} (${d.active.length})</h2>${alertTable(ctx, d.active, d.names, { actions: d.canAct, summarize: d.summarize })}</section>
    <div class="cols">
      <section class="col"><h2>${t(L, 'silences')}</h2>${silenceTable(ctx, d)}</section>
      ${d.canAct ? html`<section class="col">${silenceForm(ctx, d)}</section>` : ''}
    </div>
    <section><h2>${t(L, 'alertHistory')}</h2>${alertTable(ctx, d.history, d.names, { actions: false, summarize: d.summarize })}</section>`;
  return page(ctx, t(L, 'alerts'), body, { active: 'alerts' });
}

export function alertPage(ctx: PageContext, a: AlertRow, d: { names: Map<string, string>; canAct: boolean; summary: string; notifications: NotificationRow[] }): string {
  const L = ctx.locale;
  const body = html`
    <p class="lead">${badge(a.severity, a.severity)} ${d.summary}</p>
    ${alertTable(ctx, [a], d.names, { actions: d.canAct })}
    <h2>Labels</h2>
    <table class="grid kv">${Object.entries(a.labels).map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</table>
    <h2>${t(L, 'notifications')}</h2>
    ${notificationTable(ctx, d.notifications, d.names)}`;
  return page(ctx, `${t(L, 'alerts')} #${a.id}`, body, { active: 'alerts' });
}

export function notificationTable(ctx: PageContext, rows: NotificationRow[], names: Map<string, string>): Html {
  const L = ctx.locale;
  return table(
    ['#', t(L, 'sentAt'), t(L, 'agency'), t(L, 'channel'), t(L, 'kind'), t(L, 'subject'), t(L, 'recipients'), t(L, 'status')],
    rows.map((n) => [
      n.id,
      formatTime(L, n.sentAt ?? n.createdAt),
      names.get(n.agency) ?? n.agency,
      html`<span class="channel">${n.channel === 'email' ? 'e-mail' : n.channel}</span>`,
      html`<span class="kind">${n.kind}</span>`,
      html`${n.subject}${n.alertIds.length ? html` <span class="muted">(${n.alertIds.map((id) => html`<a href="${CONSOLE}${path`/alerts/${id}`}">#${id}</a> `)})</span>` : ''}`,
      n.recipients.join(', '),
      html`${badge(n.status, n.status)}${n.lastError ? html`<div class="muted">${n.lastError}</div>` : ''}`,
    ]),
    t(L, 'noRows'),
    'notifications',
  );
}

export interface TestMailForm {
  /** The relay mails go through, e.g. smtp.example.vn:587; undefined when the config has no smtp section. */
  relay?: string;
  result?: { ok: boolean; message: string };
  to?: string;
}

/** The configured channels besides mail (never a secret: a webhook's origin, a chat id), and the result of a test. */
export interface ChannelsCard {
  list: { name: string; type: string; target: string; route: string }[];
  /** Province-wide admins may send a test message through each. */
  canTest: boolean;
  result?: { ok: boolean; message: string };
}

function channelsCard(ctx: PageContext, c: ChannelsCard): Html {
  const L = ctx.locale;
  const test = (name: string) =>
    html`<form method="post" action="${CONSOLE}/test-channel" class="inline">${csrfField(ctx)}<input type="hidden" name="name" value="${name}"><button type="submit" data-test-channel="${name}">${t(L, 'sendTestMessage')}</button></form>`;
  return html`${flash(c.result?.message, c.result?.ok === false ? 'error' : 'ok')}
    <section class="card" id="channels"><h3>${t(L, 'channels')}</h3><p class="muted">${t(L, 'channelsHint')}</p>
    ${table(
      [t(L, 'channel'), t(L, 'channelType'), t(L, 'channelTarget'), t(L, 'channelRoute'), ''],
      c.list.map((ch) => [ch.name, ch.type, ch.target, ch.route, c.canTest ? test(ch.name) : '']),
      t(L, 'noChannels'),
      'channels',
    )}</section>`;
}

/** The notification history of every channel; for province-wide admins also a test mail and test messages. */
export function notificationsPage(ctx: PageContext, rows: NotificationRow[], names: Map<string, string>, testMail?: TestMailForm, channels?: ChannelsCard): string {
  const L = ctx.locale;
  const form = testMail
    ? html`${flash(testMail.result?.message, testMail.result?.ok === false ? 'error' : 'ok')}
      <form method="post" action="${CONSOLE}/test-mail" class="card form" id="test-mail-form">${csrfField(ctx)}
        <h3>${t(L, 'testMail')}</h3>
        <p class="muted">${testMail.relay ? t(L, 'testMailVia', { relay: testMail.relay }) : t(L, 'noSmtp')}</p>
        <label>${t(L, 'recipients')} <input name="to" type="email" required maxlength="254" value="${testMail.to ?? ''}"></label>
        <button type="submit" ${testMail.relay ? '' : html`disabled`}>${t(L, 'sendTestMail')}</button>
      </form>`
    : '';
  return page(ctx, t(L, 'notifications'), html`${form}${channels ? channelsCard(ctx, channels) : ''}${notificationTable(ctx, rows, names)}`, { active: 'notifications' });
}
