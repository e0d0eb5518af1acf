// Renders the video-conference board: one tile per endpoint, a page at a time, and, for operators, the
// "check now" button.
import { PATHS } from '../../../protocol/index.ts';
import { html, type Html } from '../html.ts';
import { t, type Locale } from '../i18n.ts';
import { CONSOLE, page, type PageContext } from '../layout.ts';
import type { TileView } from '../views.ts';
import { videoTileGrid } from './overview.ts';

/** One page of the board; `agency` when it shows one agency's endpoints. */
type BoardPage = TileView & { page: number; pages: number; agency?: string };

function pager(L: Locale, b: BoardPage): Html | string {
  if (b.pages <= 1) return '';
  const query = (p: number) => `?page=${p}${b.agency ? `&agency=${encodeURIComponent(b.agency)}` : ''}`;
  const link = (p: number, label: string) => html`<a href="${CONSOLE}/videoconf${query(p)}" rel="${p < b.page ? 'prev' : 'next'}">${label}</a>`;
  return html`<nav class="pager">${b.page > 1 ? link(b.page - 1, t(L, 'previousPage')) : ''} <span>${t(L, 'pageOf', { page: b.page, pages: b.pages })}</span> ${b.page < b.pages ? link(b.page + 1, t(L, 'nextPage')) : ''}</nav>`;
}

export function videoconfPage(ctx: PageContext, d: { board: BoardPage; names: Map<string, string>; canCheck: boolean }): string {
  const L = ctx.locale;
  const body = html`
  <p class="lead"><strong id="vc-ready">${d.board.ready}/${d.board.total}</strong> ${t(L, 'ready').toLowerCase()}</p>
  ${d.canCheck
    ? html`<p><button type="button" id="vc-check" data-url="${PATHS.videoconfCheck}" data-busy="${t(L, 'checking')}" data-unavailable="${t(L, 'checkUnavailable')}">${t(L, 'checkNow')}</button> <span id="vc-check-result" role="status"></span></p>`
    : ''}
  ${pager(L, d.board)}
  ${videoTileGrid(L, d.board.shown, d.names)}
  ${pager(L, d.board)}`;
  return page(ctx, t(L, 'videoconf'), body, { active: 'videoconf', refreshSeconds: 60 });
}
