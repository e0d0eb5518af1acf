// Renders the agents list and the enrolment codes page (a new code is shown once), plus the agents
// table the agency page reuses.
import type { AgentRow } from '../../state/agents.ts';
import type { EnrollCodeRow } from '../../state/enroll-codes.ts';
import { html, path, type Html } from '../html.ts';
import { formatTime, t } from '../i18n.ts';
import { badge, CONSOLE, csrfField, flash, page, table, type PageContext } from '../layout.ts';
import { pageHref, pager, type PageOf } from '../paging.ts';

export function agentTable(ctx: PageContext, agents: AgentRow[], names: Map<string, string>, opts: { canAdmin: boolean }): Html {
  const L = ctx.locale;
  return table(
    ['ID', t(L, 'agency'), t(L, 'hostname'), t(L, 'version'), t(L, 'lastSeen'), t(L, 'address'), t(L, 'state'), ''],
    agents.map((a) => [
      html`<code>${a.id}</code>`,
      html`<a href="${CONSOLE}${path`/agencies/${a.agency}`}">${names.get(a.agency) ?? a.agency}</a>`,
      a.hostname,
      a.version ?? '',
      a.lastSeen ? formatTime(L, a.lastSeen) : t(L, 'never'),
      a.lastAddress ?? '',
      a.revokedAt ? badge('revoked', t(L, 'revoked')) : badge('ok', t(L, 'active')),
      opts.canAdmin && !a.revokedAt
        ? html`<form method="post" action="${CONSOLE}${path`/agents/${a.id}/rotate`}" class="inline">${csrfField(ctx)}<button type="submit" class="secondary">${t(L, 'rotate')}</button></form>
           <form method="post" action="${CONSOLE}${path`/agents/${a.id}/revoke`}" class="inline" data-confirm="${t(L, 'revoke')} ${a.id}?">${csrfField(ctx)}<button type="submit" class="danger" data-revoke="${a.id}">${t(L, 'revoke')}</button></form>`
        : '',
    ]),
    t(L, 'noRows'),
    'agents',
  );
}

export interface AgentsPageData {
  /** A page of the agents (all of them in a province; thousands nationally). */
  agents: PageOf<AgentRow>;
  /** The agency the list is narrowed to (`?agency=`), for the page links. */
  agency?: string;
  codes: EnrollCodeRow[];
  agencies: { id: string; name: string }[];
  names: Map<string, string>;
  canAdmin: boolean;
  newCode?: { code: string; agency: string; expiresAt: number };
  message?: string;
  error?: string;
}

const TTLS = ['1h', '24h', '7d'];

export function agentsPage(ctx: PageContext, d: AgentsPageData): string {
  const L = ctx.locale;
  const nav = pager(L, pageHref(`${CONSOLE}/agents`, { agency: d.agency }), d.agents);
  const body = html`
  ${flash(d.message)}${flash(d.error, 'error')}
  ${d.newCode
    ? html`<div class="card code-shown"><p>${t(L, 'codeCreated')}</p><p class="code" id="new-code">${d.newCode.code}</p>
        <p class="muted">${d.names.get(d.newCode.agency) ?? d.newCode.agency} · ${t(L, 'expiresAt')} ${formatTime(L, d.newCode.expiresAt)}</p>
        <p class="muted"><code>canhgac-agent enroll --config /etc/canhgac/agent.yaml --code ${d.newCode.code}</code></p></div>`
    : ''}
  <section><h2>${t(L, 'agentsTitle')} <span class="muted">${d.agents.total}</span></h2>${nav}${agentTable(ctx, d.agents.rows, d.names, { canAdmin: d.canAdmin })}${nav}</section>
  <div class="cols">
    <section class="col"><h2>${t(L, 'enrollCodes')}</h2>
    ${table(
      [t(L, 'agency'), t(L, 'note'), t(L, 'expiresAt'), t(L, 'usedBy')],
      d.codes.map((c) => [d.names.get(c.agency) ?? c.agency, c.note ?? '', formatTime(L, c.expiresAt), c.usedAt ? html`<code>${c.usedBy}</code> ${formatTime(L, c.usedAt)}` : t(L, 'unused')]),
      t(L, 'noRows'),
      'codes',
    )}</section>
    ${d.canAdmin
      ? html`<section class="col"><form method="post" action="${CONSOLE}/enroll-codes" class="card form" id="code-form">${csrfField(ctx)}
        <h3>${t(L, 'createCode')}</h3>
        <label>${t(L, 'agency')} <select name="agency">${d.agencies.map((a) => html`<option value="${a.id}">${a.name}</option>`)}</select></label>
        <label>${t(L, 'validFor')} <select name="ttl">${TTLS.map((x) => html`<option value="${x}" ${x === '24h' ? html`selected` : ''}>${x}</option>`)}</select></label>
        <label>${t(L, 'note')} <input name="note" maxlength="200"></label>
        <button type="submit">${t(L, 'createCode')}</button></form></section>`
      : ''}
  </div>`;
  return page(ctx, t(L, 'agents'), body, { active: 'agents' });
}
