// Paging of the console's long lists (video board, agents, certificates): one page of rows by `?page=`
// and the links between pages, so that no page renders more than a few hundred rows however large the
// province (or one runaway agent) makes a list.
import { html, type Html } from './html.ts';
import { t, type Locale } from './i18n.ts';

export interface PageOf<T> {
  rows: T[];
  total: number;
  /** 1-based, clamped to the pages there are. */
  page: number;
  pages: number;
}

/** `?page=` read leniently: anything but a plain number is page 1. */
export function pageParam(query: unknown): number {
  const v = (query as Record<string, unknown> | undefined)?.page;
  return typeof v === 'string' && /^[0-9]{1,6}$/.test(v) ? Math.max(1, Number(v)) : 1;
}

/** `?agency=` of a list a province-wide user narrows to one agency; anything that is not an agency id is ignored. */
export function agencyParam(query: unknown): string | undefined {
  const v = (query as Record<string, unknown> | undefined)?.agency;
  return typeof v === 'string' && /^[a-z0-9][a-z0-9-]{0,62}$/.test(v) ? v : undefined;
}

export function pageCount(total: number, size: number): number {
  return Math.max(1, Math.ceil(total / size));
}

export function paginate<T>(rows: T[], page: number, size: number): PageOf<T> {
  const pages = pageCount(rows.length, size);
  const p = Math.min(Math.max(1, Math.floor(page) || 1), pages);
  return { rows: rows.slice((p - 1) * size, p * size), total: rows.length, page: p, pages };
}

/** Links to the previous and next page, and where this one is; nothing for a single page. */
export function pager(L: Locale, href: (page: number) => string, p: { page: number; pages: number }): Html | string {
  if (p.pages <= 1) return '';
  const link = (n: number, label: string, rel: string) => html`<a href="${href(n)}" rel="${rel}">${label}</a>`;
  return html`<nav class="pager">${p.page > 1 ? link(p.page - 1, t(L, 'previousPage'), 'prev') : ''} <span>${t(L, 'pageOf', { page: p.page, pages: p.pages })}</span> ${p.page < p.pages ? link(p.page + 1, t(L, 'nextPage'), 'next') : ''}</nav>`;
}

/** `?page=N` plus the other parameters of a list, for pager links. */
export function pageHref(base: string, params: Record<string, string | undefined> = {}): (page: number) => string {
  return (page) => {
    const q = new URLSearchParams();
    q.set('page', String(page));
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
    return `${base}?${q.toString()}`;
  };
}

/** Under a list that shows only its first rows: how many there are, and where the whole list is. */
export function previewNote(L: Locale, shown: number, total: number, href?: string): Html | string {
  if (shown >= total) return '';
  return html`<p class="muted">${t(L, 'rowsShown', { shown, n: total })}${href ? html` <a href="${href}">${t(L, 'seeAll')}</a>` : ''}</p>`;
}
