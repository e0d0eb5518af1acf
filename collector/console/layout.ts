// The frame of every console page (head with only external script and stylesheet, navigation by role,
// language switch) and the small pieces pages share: tables, badges, flash messages, the CSRF field.
import { roleAtLeast, type Role } from '../state/admin-tokens.ts';
import { html, type Html, type Interpolation } from './html.ts';
import { t, type Locale, type TextKey } from './i18n.ts';

/** What every page needs to know about the request. */
export interface PageContext {
  locale: Locale;
  /** Path and query of this page (for the language switch). */
  url: string;
  user?: { name: string; role: Role; agency?: string; agencyName?: string };
  csrf?: string;
}

export const CONSOLE = '/console';
export const ASSET_VERSION = '1';

const NAV: { key: TextKey; href: string; role?: Role; unscoped?: boolean }[] = [
  { key: 'overview', href: `${CONSOLE}/` },
  { key: 'videoconf', href: `${CONSOLE}/videoconf` },
  { key: 'alerts', href: `${CONSOLE}/alerts` },
  { key: 'notifications', href: `${CONSOLE}/notifications` },
  { key: 'certificates', href: `${CONSOLE}/certificates` },
  { key: 'webIntegrity', href: `${CONSOLE}/web` },
  { key: 'agents', href: `${CONSOLE}/agents` },
  { key: 'fleet', href: `${CONSOLE}/fleet` },
  { key: 'releases', href: `${CONSOLE}/releases` },
  { key: 'report', href: `${CONSOLE}/report`, unscoped: true },
  { key: 'users', href: `${CONSOLE}/users`, role: 'admin', unscoped: true },
  { key: 'apiTokens', href: `${CONSOLE}/tokens`, role: 'admin', unscoped: true },
  { key: 'auditLog', href: `${CONSOLE}/audit`, role: 'admin', unscoped: true },
  { key: 'statusNotices', href: `${CONSOLE}/notices`, role: 'admin', unscoped: true },
];

function langSwitchUrl(ctx: PageContext): string {
  const u = new URL(ctx.url, 'http://x');
  u.searchParams.set('lang', ctx.locale === 'vi' ? 'en' : 'vi');
  return u.pathname + u.search;
}

/** `refreshSeconds`: wall-display pages (overview, video board) reload themselves. */
export function page(ctx: PageContext, title: string, body: Interpolation, opts: { active?: TextKey; refreshSeconds?: number } = {}): string {
  const L = ctx.locale;
  const nav = ctx.user
    ? html`<nav class="nav">${NAV.filter((n) => !(n.unscoped && ctx.user?.agency) && (!n.role || roleAtLeast(ctx.user?.role, n.role))).map(
        (n) => html`<a href="${n.href}" class="${opts.active === n.key ? 'on' : ''}">${t(L, n.key)}</a>`,
      )}</nav>`
    : '';
  const who = ctx.user
    ? html`<span class="who">${ctx.user.name} · ${ctx.user.role}${ctx.user.agencyName ? html` · ${ctx.user.agencyName}` : ''}</span>
        <form method="post" action="${CONSOLE}/logout" class="inline">${csrfField(ctx)}<button type="submit" class="link">${t(L, 'logout')}</button></form>`
    : '';
  return `<!doctype html>\n${html`<html lang="${L}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${opts.refreshSeconds ? html`<meta http-equiv="refresh" content="${opts.refreshSeconds}">` : ''}
${ctx.csrf ? html`<meta name="csrf-token" content="${ctx.csrf}">` : ''}
<title>${title} · ${t(L, 'appName')}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${CONSOLE}/assets/console.css?v=${ASSET_VERSION}">
<script src="${CONSOLE}/assets/console.js?v=${ASSET_VERSION}" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="${CONSOLE}/">${t(L, 'appName')}</a>
  ${nav}
  <div class="right">${who}<a class="lang" href="${langSwitchUrl(ctx)}">${t(L, 'language')}</a></div>
</header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>`}`;
}

export function csrfField(ctx: PageContext): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}">`;
}

export function table(headers: Interpolation[], rows: Interpolation[][], empty: string, cls = ''): Html {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<table class="grid ${cls}"><thead><tr>${headers.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${rows.map(
    (r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`,
  )}</tbody></table>`;
}

export function badge(kind: string, text: string): Html {
  return html`<span class="badge ${kind}">${text}</span>`;
}

export function flash(message: string | undefined, kind: 'ok' | 'error' = 'ok'): Html | '' {
  return message ? html`<p class="flash ${kind}" role="status">${message}</p>` : '';
}
