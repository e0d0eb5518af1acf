// Renders the central configuration page: the profiles (version, who changed them and when, whom they
// are assigned to) and per agent its profile, the version it applied, and whether it is pending or
// refused it, with the reasons the agent gave.
import type { FleetAgentStatus, FleetState, ProfileSummary } from '../../../protocol/index.ts';
import { html, path } from '../html.ts';
import { formatTime, t, type TextKey } from '../i18n.ts';
import { badge, CONSOLE, page, table, type PageContext } from '../layout.ts';
import { pageHref, pager, type PageOf } from '../paging.ts';

const BADGE: Record<FleetState, string> = { applied: 'ok', none: 'none', pending: 'queued', rejected: 'fail', off: 'none', error: 'fail', unknown: 'none' };

export interface FleetPageData {
  profiles: ProfileSummary[];
  agents: PageOf<FleetAgentStatus>;
  agency?: string;
  names: Map<string, string>;
}

export function fleetPage(ctx: PageContext, d: FleetPageData): string {
  const L = ctx.locale;
  const agencyLink = (id: string) => html`<a href="${CONSOLE}${path`/agencies/${id}`}">${d.names.get(id) ?? id}</a>`;
  const profiles = table(
    [t(L, 'fleetProfile'), t(L, 'fleetVersion'), t(L, 'fleetChanged'), t(L, 'agencies'), t(L, 'agents'), t(L, 'fleetChecks')],
    d.profiles.map((p) => [
      html`<code>${p.name}</code>${p.description ? html`<div class="muted">${p.description}</div>` : ''}`,
      String(p.version),
      html`${formatTime(L, Date.parse(p.changedAt))} <span class="muted">${p.changedBy}</span>`,
      p.agencies.length ? html`${p.agencies.map((a, i) => html`${i ? ', ' : ''}${agencyLink(a)}`)}` : '–',
      String(p.agents.length),
      String(p.checks),
    ]),
    t(L, 'fleetNoProfiles'),
    'profiles',
  );
  const nav = pager(L, pageHref(`${CONSOLE}/fleet`, { agency: d.agency }), d.agents);
  const agents = table(
    [t(L, 'agency'), t(L, 'hostname'), t(L, 'fleetProfile'), t(L, 'fleetApplied'), t(L, 'state'), t(L, 'fleetReasons')],
    d.agents.rows.map((a) => [
      agencyLink(a.agency),
      html`${a.hostname} <code class="muted">${a.agent}</code>`,
      a.profile ? html`<code>${a.profile}</code> v${a.desiredVersion}` : '–',
      a.appliedProfile ? html`<code>${a.appliedProfile}</code> v${a.appliedVersion}${a.appliedAt ? html` <span class="muted">${formatTime(L, Date.parse(a.appliedAt))}</span>` : ''}` : '–',
      html`<span data-fleet-state="${a.state}">${badge(BADGE[a.state], t(L, `fleetState_${a.state}` as TextKey))}</span>`,
      a.reasons.length ? html`<ul class="reasons">${a.reasons.slice(0, 20).map((r) => html`<li><code>${r}</code></li>`)}</ul>${a.reasons.length > 20 ? html`<span class="muted">+${a.reasons.length - 20}</span>` : ''}` : '',
    ]),
    t(L, 'noRows'),
    'fleet-agents',
  );
  const body = html`<p class="lead">${t(L, 'fleetHint')}</p>
    <h2>${t(L, 'fleetProfiles')}</h2>${profiles}
    <h2>${t(L, 'fleetAgents')} <span class="muted">${d.agents.total}</span></h2>${nav}${agents}${nav}`;
  return page(ctx, t(L, 'fleet'), body, { active: 'fleet' });
}
