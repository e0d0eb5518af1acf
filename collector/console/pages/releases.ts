// Renders the agent versions page: the fleet by running version, each channel's rollout with its
// progress (agents on the target, pending, refused, rolled back), and per agent its update state and reason.
import type { RolloutEntry, UpdateAgentStatus } from '../../../protocol/index.ts';
import { html, path } from '../html.ts';
import { formatTime, t, type TextKey } from '../i18n.ts';
import { badge, CONSOLE, page, table, type PageContext } from '../layout.ts';
import { pageHref, pager, type PageOf } from '../paging.ts';

const BADGE: Record<string, string> = { current: 'ok', pending: 'queued', refused: 'fail', 'rolled-back': 'fail', none: 'none', off: 'none', unknown: 'none' };
const STATES = ['current', 'pending', 'refused', 'rolled-back'] as const;

export interface ReleasesPageData {
  versions: Record<string, number>;
  rollouts: RolloutEntry[];
  /** Every agent in scope (progress counts), and the page of them shown. */
  all: UpdateAgentStatus[];
  agents: PageOf<UpdateAgentStatus>;
  agency?: string;
  names: Map<string, string>;
}

const stateText = (L: PageContext['locale'], s: string) => t(L, `releaseState_${s.replace('-', '_')}` as TextKey);

export function releasesPage(ctx: PageContext, d: ReleasesPageData): string {
  const L = ctx.locale;
  const agencyLink = (id: string) => html`<a href="${CONSOLE}${path`/agencies/${id}`}">${d.names.get(id) ?? id}</a>`;
  const versions = table(
    [t(L, 'fleetVersion'), t(L, 'agents')],
    Object.entries(d.versions)
      .sort((a, b) => b[1] - a[1])
      .map(([v, n]) => [html`<code>${v}</code>`, String(n)]),
    t(L, 'noRows'),
    'release-versions',
  );
  const rollouts = table(
    [t(L, 'releaseChannel'), t(L, 'fleetVersion'), t(L, 'releaseScope'), t(L, 'releaseProgress'), t(L, 'fleetChanged')],
    d.rollouts.map((r) => {
      const mine = d.all.filter((a) => a.channel === r.channel && a.target === r.version);
      const count = (s: string) => mine.filter((a) => a.state === s).length;
      return [
        html`<code>${r.channel}</code>`,
        html`<code>${r.version}</code>`,
        html`${r.percent}%${r.agencies.length ? html` · ${r.agencies.map((a, i) => html`${i ? ', ' : ''}${agencyLink(a)}`)}` : ''}`,
        html`<span data-rollout-progress="${r.channel}">${count('current')}/${mine.length}</span> ${STATES.filter((s) => s !== 'current' && count(s) > 0).map((s) => html` ${badge(BADGE[s], `${stateText(L, s)}: ${count(s)}`)}`)}`,
        html`${formatTime(L, Date.parse(r.createdAt))} <span class="muted">${r.createdBy}</span>`,
      ];
    }),
    t(L, 'releaseNoRollouts'),
    'rollouts',
  );
  const nav = pager(L, pageHref(`${CONSOLE}/releases`, { agency: d.agency }), d.agents);
  const agents = table(
    [t(L, 'agency'), t(L, 'hostname'), t(L, 'releaseChannel'), t(L, 'fleetApplied'), t(L, 'releaseTarget'), t(L, 'state'), t(L, 'fleetReasons')],
    d.agents.rows.map((a) => [
      agencyLink(a.agency),
      html`${a.hostname} <code class="muted">${a.agent}</code>`,
      a.channel ? html`<code>${a.channel}</code>` : '–',
      a.version ? html`<code>${a.version}</code>` : '–',
      a.target ? html`<code>${a.target}</code>` : '–',
      html`<span data-update-state="${a.state}">${badge(BADGE[a.state] ?? 'none', stateText(L, a.state))}</span>`,
      a.message ? html`<code>${a.message}</code>` : '',
    ]),
    t(L, 'noRows'),
    'release-agents',
  );
  const body = html`<p class="lead">${t(L, 'releasesHint')}</p>
    <h2>${t(L, 'releaseVersions')}</h2>${versions}
    <h2>${t(L, 'releaseRollouts')}</h2>${rollouts}
    <h2>${t(L, 'fleetAgents')} <span class="muted">${d.agents.total}</span></h2>${nav}${agents}${nav}`;
  return page(ctx, t(L, 'releases'), body, { active: 'releases' });
}
