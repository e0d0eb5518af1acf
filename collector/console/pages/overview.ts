// Renders the wall-display overview (agencies by district, video endpoints, active alerts) and the
// video tile grid and state badge other pages reuse.
import type { AlertRow } from '../../alerts/store.ts';
import { html, path, type Html } from '../html.ts';
import { formatNumber, formatTime, t, type Locale } from '../i18n.ts';
import { badge, CONSOLE, page, type PageContext } from '../layout.ts';
import { byDistrict, type AgencyStatus, type TileView, type VideoTile } from '../views.ts';
import { alertTable } from './alerts.ts';
import { videoconfReason } from '../videoconf-reason.ts';

export function stateBadge(L: Locale, s: AgencyStatus['state']): Html {
  return badge(s, t(L, s === 'ok' ? 'statusOk' : s === 'silent' ? 'statusSilent' : 'statusNone'));
}

export function videoTileGrid(L: Locale, tiles: VideoTile[], names: Map<string, string>): Html {
  if (tiles.length === 0) return html`<p class="empty">${t(L, 'noData')}</p>`;
  return html`<div class="tiles">${tiles.map(
    (v) => html`<div class="tile ${v.ready ? 'ready' : 'down'}" data-endpoint="${v.endpoint}">
      <div class="tname">${v.endpoint}</div>
      <div class="tsub">${names.get(v.agency) ?? v.agency}</div>
      <div class="tstate">${v.ready ? t(L, 'ready') : t(L, 'notReady')}</div>
      <div class="tnums">${t(L, 'mos')} ${formatNumber(L, v.mos, 2)} · ${t(L, 'loss')} ${formatNumber(L, v.lossPercent)}% · ${t(L, 'rtt')} ${formatNumber(L, v.rttMs)} ms</div>
      ${v.reason ? html`<div class="treason">${videoconfReason(L, v.reason)}</div>` : ''}
      <div class="ttime">${formatTime(L, v.time)}</div>
    </div>`,
  )}</div>`;
}

/** Under a grid that shows part of the tiles: how many there are, and the board that has them all. */
export function tilesNote(L: Locale, video: TileView, agency?: string): Html | string {
  if (video.shown.length >= video.total) return '';
  const board = `${CONSOLE}/videoconf${agency ? `?agency=${encodeURIComponent(agency)}` : ''}`;
  return html`<p class="muted tiles-note">${t(L, 'tilesShown', { shown: video.shown.length, n: video.total })} <a href="${board}">${t(L, 'seeVideoBoard')}</a></p>`;
}

export interface OverviewData {
  statuses: AgencyStatus[];
  /** A preview of the tiles (views.tilePreview): a wall display shows a glance, the board has them all. */
  video: TileView;
  /** The newest active alerts, and how many are active in all. */
  alerts: AlertRow[];
  alertTotal: number;
  /** Distinct addresses behind brute force, spraying or a login after failures in the last 24 h (state/auth-findings.ts). */
  attackingSources: number;
  names: Map<string, string>;
  now: number;
}

export function overviewPage(ctx: PageContext, d: OverviewData): string {
  const L = ctx.locale;
  const reporting = d.statuses.filter((s) => s.state === 'ok').length;
  const groups = byDistrict(d.statuses);
  const body = html`
  <section class="counts">
    <div class="big" id="reporting-count">${t(L, 'reportingCount', { n: reporting, total: d.statuses.length })}</div>
    <div class="sub">${t(L, 'activeAlerts')}: <strong id="active-alert-count">${d.alertTotal}</strong> · ${t(L, 'attackingSources')}: <strong id="attacking-sources">${d.attackingSources}</strong> · ${t(L, 'dataAsOf')} ${formatTime(L, d.now)}</div>
  </section>
  <div class="cols">
    <section class="col">
      <h2>${t(L, 'agencies')}</h2>
      ${groups.map(
        (g) => html`<div class="district"><h3>${g.district ?? t(L, 'provinceLevel')} <span class="muted">${g.items.filter((i) => i.state === 'ok').length}/${g.items.length}</span></h3>
          <ul class="agencies">${g.items.map(
            (s) => html`<li class="agency ${s.state}"><a href="${CONSOLE}${path`/agencies/${s.agency.id}`}">${s.agency.name}</a> ${stateBadge(L, s.state)}
              <span class="muted">${s.lastSeen ? formatTime(L, s.lastSeen) : ''}</span></li>`,
          )}</ul></div>`,
      )}
    </section>
    <section class="col">
      <h2>${t(L, 'videoconf')}</h2>
      ${tilesNote(L, d.video)}
      ${videoTileGrid(L, d.video.shown, d.names)}
      <h2>${t(L, 'activeAlerts')}</h2>
      ${alertTable(ctx, d.alerts, d.names, { actions: false })}
      ${d.alerts.length < d.alertTotal ? html`<p class="muted">${t(L, 'alertsShown', { shown: d.alerts.length, n: d.alertTotal })} <a href="${CONSOLE}/alerts">${t(L, 'seeAllAlerts')}</a></p>` : ''}
    </section>
  </div>`;
  return page(ctx, t(L, 'overview'), body, { active: 'overview', refreshSeconds: 60 });
}
