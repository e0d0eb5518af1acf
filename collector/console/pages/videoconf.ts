// Renders the video-conference board: one tile per endpoint and, for operators, the "check now" button.
import { PATHS } from '../../../protocol/index.ts';
import { html } from '../html.ts';
import { t } from '../i18n.ts';
import { page, type PageContext } from '../layout.ts';
import type { VideoTile } from '../views.ts';
import { videoTileGrid } from './overview.ts';

export function videoconfPage(ctx: PageContext, d: { tiles: VideoTile[]; names: Map<string, string>; canCheck: boolean }): string {
  const L = ctx.locale;
  const ready = d.tiles.filter((x) => x.ready).length;
  const body = html`
  <p class="lead"><strong id="vc-ready">${ready}/${d.tiles.length}</strong> ${t(L, 'ready').toLowerCase()}</p>
  ${d.canCheck
    ? html`<p><button type="button" id="vc-check" data-url="${PATHS.videoconfCheck}" data-busy="${t(L, 'checking')}" data-unavailable="${t(L, 'checkUnavailable')}">${t(L, 'checkNow')}</button> <span id="vc-check-result" role="status"></span></p>`
    : ''}
  ${videoTileGrid(L, d.tiles, d.names)}`;
  return page(ctx, t(L, 'videoconf'), body, { active: 'videoconf', refreshSeconds: 60 });
}
