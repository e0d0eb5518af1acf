import type { AlertRow } from '../../alerts/store.ts';
import type { AgencyRow } from '../../state/agencies.ts';
import type { AgentRow } from '../../state/agents.ts';
import type { DeviceView } from '../../state/devices.ts';
import { html, type Html } from '../html.ts';
import { formatNumber, formatTime, t, type Locale } from '../i18n.ts';
import { badge, page, table, type PageContext } from '../layout.ts';
import type { AgencyStatus, CertView, CheckView, VideoTile } from '../views.ts';
import { alertTable } from './alerts.ts';
import { certTable } from './certificates.ts';
import { stateBadge, videoTileGrid } from './overview.ts';
import { agentTable } from './agents.ts';

export interface AgencyPageData {
  agency: AgencyRow;
  status: AgencyStatus;
  agents: AgentRow[];
  devices: DeviceView[];
  certs: CertView[];
  checks: CheckView[];
  scores: { agent: string; scorePercent?: number; passed?: number; failed?: number; time: number }[];
  tiles: VideoTile[];
  alerts: AlertRow[];
  names: Map<string, string>;
  canAdmin: boolean;
  summarize: (a: AlertRow) => string;
}

function statusText(L: Locale, s: string): string {
  const key = s === 'pass' ? 'pass' : s === 'waived' ? 'waived' : s === 'not_applicable' ? 'notApplicable' : s === 'error' ? 'error' : 'fail';
  return t(L, key);
}

function deviceTable(ctx: PageContext, devices: DeviceView[]): Html {
  const L = ctx.locale;
  const shown = devices.filter((d) => d.new || d.exposures.length > 0);
  return html`<p class="muted">${t(L, 'devices')}: ${devices.length} · ${t(L, 'newDevices')}: ${devices.filter((d) => d.new).length} · ${t(L, 'exposed')}: ${devices.filter((d) => d.exposures.length > 0).length}</p>
  ${table(
    ['IP', 'MAC', t(L, 'vendor'), t(L, 'hostname'), t(L, 'firstSeen'), ''],
    shown.map((d) => [
      d.ip,
      html`<code>${d.mac}</code>`,
      d.vendor ?? '',
      d.hostname ?? '',
      formatTime(L, Date.parse(d.firstSeen)),
      html`${d.new ? badge('new', t(L, 'newDevices')) : ''} ${d.exposures.map((e) => badge('exposed', `${e.service}/${e.port}`))}`,
    ]),
    t(L, 'noRows'),
    'devices',
  )}`;
}

function checkTable(ctx: PageContext, checks: CheckView[]): Html {
  const L = ctx.locale;
  return table(
    [t(L, 'securityChecks'), t(L, 'severity'), t(L, 'status'), t(L, 'remediation')],
    checks.map((c) => [
      html`<strong>${c.title}</strong><div class="muted">${c.checkId} · ${c.agent}${c.detail ? html` · ${c.detail}` : ''}</div>`,
      badge(c.severity, c.severity),
      badge(c.status === 'pass' ? 'ok' : c.status, statusText(L, c.status)),
      c.status === 'pass' || c.status === 'not_applicable' ? '' : (c.remediation ?? ''),
    ]),
    t(L, 'noData'),
    'checks',
  );
}

export function agencyPage(ctx: PageContext, d: AgencyPageData): string {
  const L = ctx.locale;
  const body = html`
  <p class="lead">${stateBadge(L, d.status.state)} ${d.agency.district ?? t(L, 'provinceLevel')} · ${t(L, 'lastSeen')}: ${d.status.lastSeen ? formatTime(L, d.status.lastSeen) : t(L, 'never')}</p>
  <section><h2>${t(L, 'activeAlerts')}</h2>${alertTable(ctx, d.alerts, d.names, { actions: false, summarize: d.summarize })}</section>
  <section><h2>${t(L, 'agentsTitle')}</h2>${agentTable(ctx, d.agents, d.names, { canAdmin: d.canAdmin })}</section>
  <section><h2>${t(L, 'videoconf')}</h2>${videoTileGrid(L, d.tiles, d.names)}</section>
  <section><h2>${t(L, 'devices')}</h2>${deviceTable(ctx, d.devices)}</section>
  <section><h2>${t(L, 'certificates')}</h2>${certTable(ctx, d.certs, d.names, { agencyColumn: false })}</section>
  <section><h2>${t(L, 'securityChecks')}</h2>
    ${d.scores.map((s) => html`<p>${t(L, 'score')} (${s.agent}): <strong>${formatNumber(L, s.scorePercent)}%</strong> · ${t(L, 'pass')} ${s.passed ?? '–'} · ${t(L, 'fail')} ${s.failed ?? '–'} · ${formatTime(L, s.time)}</p>`)}
    ${checkTable(ctx, d.checks)}</section>`;
  return page(ctx, d.agency.name, body);
}
