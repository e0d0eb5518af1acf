// Renders the certificate inventory page (a page of rows at a time) and the certificate table the agency
// page reuses.
import { html, path, type Html } from '../html.ts';
import { formatNumber, formatTime, t } from '../i18n.ts';
import { badge, CONSOLE, page, table, type PageContext } from '../layout.ts';
import { pageHref, pager, type PageOf } from '../paging.ts';
import { EXPIRING_DAYS, type CertView } from '../views.ts';

export function certTable(ctx: PageContext, certs: CertView[], names: Map<string, string>, opts: { agencyColumn: boolean }): Html {
  const L = ctx.locale;
  const state = (c: CertView) =>
    html`${c.expired ? badge('expired', t(L, 'expired')) : c.daysLeft !== undefined && c.daysLeft <= EXPIRING_DAYS ? badge('expiring', t(L, 'expiring')) : c.daysLeft !== undefined ? badge('ok', t(L, 'valid')) : badge('none', t(L, 'noData'))}
      ${c.problems.map((p) => badge('warning', p))}${c.error ? html`<div class="muted">${c.error}</div>` : ''}`;
  return table(
    [...(opts.agencyColumn ? [t(L, 'agency')] : []), t(L, 'target'), t(L, 'subject'), t(L, 'issuer'), t(L, 'daysLeft'), t(L, 'expiresAt'), t(L, 'status')],
    certs.map((c) => [
      ...(opts.agencyColumn ? [html`<a href="${CONSOLE}${path`/agencies/${c.agency}`}">${names.get(c.agency) ?? c.agency}</a>`] : []),
      html`<code>${c.where}</code>`,
      c.subject ?? '',
      c.issuer ?? '',
      formatNumber(L, c.daysLeft, 0),
      formatTime(L, c.notAfter),
      state(c),
    ]),
    t(L, 'noData'),
    'certs',
  );
}

export function certificatesPage(ctx: PageContext, certs: PageOf<CertView> & { expired: number; expiring: number }, names: Map<string, string>, agency?: string): string {
  const L = ctx.locale;
  const nav = pager(L, pageHref(`${CONSOLE}/certificates`, { agency }), certs);
  const body = html`<p class="lead">${t(L, 'expired')}: <strong>${certs.expired}</strong> · ${t(L, 'expiring')} (≤ ${EXPIRING_DAYS} ${t(L, 'days')}): <strong>${certs.expiring}</strong> · ${certs.total}</p>
    ${nav}${certTable(ctx, certs.rows, names, { agencyColumn: true })}${nav}`;
  return page(ctx, t(L, 'certificates'), body, { active: 'certificates' });
}
