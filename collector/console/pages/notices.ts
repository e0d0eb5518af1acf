// Renders the status page notices for province-wide administrators: publish an incident or planned
// maintenance, add updates, end it; what the public page will show, and nothing internal.
import type { Notice } from '../../status/notices.ts';
import type { StatusService } from '../../status/settings.ts';
import { html, path } from '../html.ts';
import { formatTime, t, toLocalDateTimeInput } from '../i18n.ts';
import { badge, CONSOLE, csrfField, flash, page, type PageContext } from '../layout.ts';

export interface NoticesPageData {
  enabled: boolean;
  services: StatusService[];
  notices: Notice[];
  now: number;
  message?: string;
  error?: string;
}

function noticeCard(ctx: PageContext, n: Notice, names: Map<string, string>, now: number) {
  const L = ctx.locale;
  const ended = n.endsAt !== undefined && n.endsAt <= now;
  return html`<article class="card notice" data-notice="${String(n.id)}">
    <h3>${n.kind === 'incident' ? t(L, 'noticeIncident') : t(L, 'noticeMaintenance')}: ${n.title} ${ended ? badge('revoked', t(L, 'noticeEnded')) : badge('warn', t(L, 'noticeOngoing'))}</h3>
    <p class="muted">${formatTime(L, n.startsAt)}${n.endsAt ? html` → ${formatTime(L, n.endsAt)}` : ''} · ${n.services.map((s) => names.get(s) ?? s).join(', ')} · ${n.createdBy}</p>
    <p>${n.body}</p>
    ${n.updates.length ? html`<ul>${n.updates.map((u) => html`<li>${formatTime(L, u.at)} (${u.author}): ${u.text}</li>`)}</ul>` : ''}
    ${ended
      ? ''
      : html`<form method="post" action="${CONSOLE}${path`/notices/${String(n.id)}/update`}" class="form inline-form">${csrfField(ctx)}
          <label>${t(L, 'addUpdate')} <input name="text" required maxlength="2000"></label><button type="submit" class="secondary">${t(L, 'addUpdate')}</button></form>
        <form method="post" action="${CONSOLE}${path`/notices/${String(n.id)}/end`}" class="inline">${csrfField(ctx)}<button type="submit" class="danger">${t(L, 'endNotice')}</button></form>`}
  </article>`;
}

export function noticesPage(ctx: PageContext, d: NoticesPageData): string {
  const L = ctx.locale;
  const names = new Map(d.services.map((s) => [s.id, L === 'en' ? (s.name.en ?? s.name.vi) : s.name.vi]));
  const body = html`
  ${flash(d.message)}${flash(d.error, 'error')}
  <p class="muted">${d.enabled ? t(L, 'statusNoticesHint') : t(L, 'statusDisabled')}</p>
  ${d.enabled
    ? html`<section><form method="post" action="${CONSOLE}/notices" class="card form" id="notice-form">${csrfField(ctx)}
    <h3>${t(L, 'addNotice')}</h3>
    <label>${t(L, 'noticeKind')} <select name="kind"><option value="incident">${t(L, 'noticeIncident')}</option><option value="maintenance">${t(L, 'noticeMaintenance')}</option></select></label>
    <label>${t(L, 'noticeTitle')} <input name="title" required maxlength="200"></label>
    <label>${t(L, 'noticeBody')} <textarea name="body" required maxlength="4000" rows="4"></textarea></label>
    <fieldset><legend>${t(L, 'noticeServices')}</legend>${d.services.map((s) => html`<label class="check"><input type="checkbox" name="services" value="${s.id}"> ${names.get(s.id)}</label>`)}</fieldset>
    <label>${t(L, 'startsAt')} <input type="datetime-local" name="startsAt" required value="${toLocalDateTimeInput(d.now)}"></label>
    <label>${t(L, 'endsAt')} <input type="datetime-local" name="endsAt"></label>
    <button type="submit">${t(L, 'addNotice')}</button>
  </form></section>`
    : ''}
  <section>${d.notices.map((n) => noticeCard(ctx, n, names, d.now))}</section>`;
  return page(ctx, t(L, 'statusNotices'), body, { active: 'statusNotices' });
}
