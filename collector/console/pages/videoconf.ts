// Renders the video-conference board: one tile per endpoint, a page at a time, and, for operators, the
// "check now" button.
import { PATHS } from '../../../protocol/index.ts';
import { html } from '../html.ts';
import { t } from '../i18n.ts';
import { CONSOLE, page, type PageContext } from '../layout.ts';
import { pageHref, pager } from '../paging.ts';
import type { TileView } from '../views.ts';
import { videoTileGrid } from './overview.ts';

/** One page of the board; `agency` when it shows one agency's endpoints. */
type BoardPage = TileView & { page: number; pages: number; agency?: string };

export function videoconfPage(ctx: PageContext, d: { board: BoardPage; names: Map<string, string>; canCheck: boolean }): string {
  const L = ctx.locale;
  const body = html`
  <p class="lead"><strong id="vc-ready">${d.board.ready}/${d.board.total}</strong> ${t(L, 'ready').toLowerCase()}</p>
  ${d.canCheck
    ? html`<p><button type="button" id="vc-check" data-url="${PATHS.videoconfCheck}" data-busy="${t(L, 'checking')}" data-unavailable="${t(L, 'checkUnavailable')}">${t(L, 'checkNow')}</button> <span id="vc-check-result" role="status"></span></p>`
    : ''}
  ${pager(L, pageHref(`${CONSOLE}/videoconf`, { agency: d.board.agency }), d.board)}
  ${videoTileGrid(L, d.board.shown, d.names)}
  ${pager(L, pageHref(`${CONSOLE}/videoconf`, { agency: d.board.agency }), d.board)}`;
  return page(ctx, t(L, 'videoconf'), body, { active: 'videoconf', refreshSeconds: 60 });
}
