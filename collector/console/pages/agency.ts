// Renders one agency's console page from data the route gathered (no database access here, as in
// every pages/ module): agents, devices, certificates, security checks, video endpoints, alerts; a long
// list shows its first rows and says how many there are.
import type { AlertRow } from '../../alerts/store.ts';
import type { AgencyRow } from '../../state/agencies.ts';
import type { AgentRow } from '../../state/agents.ts';
import type { DeviceView } from '../../state/devices.ts';
import { html, type Html } from '../html.ts';
import { formatNumber, formatTime, t } from '../i18n.ts';
import { badge, CONSOLE, page, table, type PageContext } from '../layout.ts';
import { previewNote, type PageOf } from '../paging.ts';
import type { ComplianceAgent } from '../../../protocol/index.ts';
import { PREVIEW_ROWS, type AgencyStatus, type CertView, type TileView } from '../views.ts';
import { alertTable } from './alerts.ts';
import { certTable } from './certificates.ts';
import { stateBadge, tilesNote, videoTileGrid } from './overview.ts';
import { agentTable } from './agents.ts';
import { authFindingsTable } from './auth-findings.ts';
import type { AuthFindingRow } from '../../state/auth-findings.ts';

export interface AgencyPageData {
  agency: AgencyRow;
  status: AgencyStatus;
  agents: AgentRow[];
  devices: DeviceView[];
  /** The agency's first certificates (soonest expiry first) and how many it has. */
  certs: PageOf<CertView>;
  compliance: ComplianceAgent[];
  /** A preview of the agency's tiles (views.tilePreview). */
  video: TileView;
  alerts: AlertRow[];
  /** The agency's newest intrusion signals (auth_events) and how many it has. */
  authFindings: { rows: AuthFindingRow[]; total: number };
  names: Map<string, string>;
  canAdmin: boolean;
  summarize: (a: AlertRow) => string;
}

function deviceTable(ctx: PageContext, devices: DeviceView[]): Html {
  const L = ctx.locale;
  const notable = devices.filter((d) => d.new || d.exposures.length > 0);
  const shown = notable.slice(0, PREVIEW_ROWS);
  return html`<p class="muted">${t(L, 'devices')}: ${devices.length} · ${t(L, 'newDevices')}: ${devices.filter((d) => d.new).length} · ${t(L, 'exposed')}: ${devices.filter((d) => d.exposures.length > 0).length}</p>
  ${previewNote(L, shown.length, notable.length)}
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

function checkTable(ctx: PageContext, agents: ComplianceAgent[]): Html {
  const L = ctx.locale;
  if (agents.length === 0) return html`<p class="empty">${t(L, 'noData')}</p>`;
  return html`${agents.map(
    (a) => html`<h3>${a.hostname} · ${t(L, 'score')}: <strong class="score">${formatNumber(L, a.scorePercent)}%</strong>
      <span class="muted">${t(L, 'pass')} ${a.passed} · ${t(L, 'fail')} ${a.failed} · ${t(L, 'error')} ${a.errors} · ${t(L, 'waived')} ${a.waived} · ${formatTime(L, a.measuredAt ? Date.parse(a.measuredAt) : undefined)}</span></h3>
    ${table(
      [t(L, 'securityChecks'), t(L, 'severity'), t(L, 'status'), t(L, 'remediation')],
      [
        ...a.failing.map((c) => [
          html`<strong>${c.title[L]}</strong><div class="muted">${c.checkId}${c.detail ? html` · ${c.detail}` : ''}</div>`,
          badge(c.severity, c.severity),
          badge(c.status, t(L, c.status === 'error' ? 'error' : 'fail')),
          c.remediation[L],
        ]),
        ...a.waivers.map((w) => [
          html`<strong>${w.title[L]}</strong><div class="muted">${w.checkId}${w.detail ? html` · ${w.detail}` : ''}</div>`,
          badge(w.severity, w.severity),
          badge('waived', t(L, 'waived')),
          html`${w.by ?? ''}: ${w.reason ?? ''} (${w.until ?? ''})`,
        ]),
      ],
      t(L, 'noFailures'),
      'checks',
    )}`,
  )}`;
}

export function agencyPage(ctx: PageContext, d: AgencyPageData): string {
  const L = ctx.locale;
  const body = html`
  <p class="lead">${stateBadge(L, d.status.state)} ${d.agency.district ?? t(L, 'provinceLevel')} · ${t(L, 'lastSeen')}: ${d.status.lastSeen ? formatTime(L, d.status.lastSeen) : t(L, 'never')}</p>
  <section><h2>${t(L, 'activeAlerts')}</h2>${alertTable(ctx, d.alerts, d.names, { actions: false, summarize: d.summarize })}</section>
  <section id="auth-findings"><h2>${t(L, 'authFindings')}</h2>${authFindingsTable(ctx, d.authFindings)}</section>
  <section><h2>${t(L, 'agentsTitle')}</h2>${previewNote(L, Math.min(d.agents.length, PREVIEW_ROWS), d.agents.length, `${CONSOLE}/agents?agency=${encodeURIComponent(d.agency.id)}`)}${agentTable(ctx, d.agents.slice(0, PREVIEW_ROWS), d.names, { canAdmin: d.canAdmin })}</section>
  <section><h2>${t(L, 'videoconf')}</h2>${tilesNote(L, d.video, d.agency.id)}${videoTileGrid(L, d.video.shown, d.names)}</section>
  <section><h2>${t(L, 'devices')}</h2>${deviceTable(ctx, d.devices)}</section>
  <section><h2>${t(L, 'certificates')}</h2>${previewNote(L, d.certs.rows.length, d.certs.total, `${CONSOLE}/certificates?agency=${encodeURIComponent(d.agency.id)}`)}${certTable(ctx, d.certs.rows, d.names, { agencyColumn: false })}</section>
  <section><h2>${t(L, 'securityChecks')}</h2>${checkTable(ctx, d.compliance)}</section>`;
  return page(ctx, d.agency.name, body);
}
