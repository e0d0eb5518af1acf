// Renders the audit log for province-wide administrators: newest first, one page at a time.
import type { AuditRow } from '../../state/audit.ts';
import { html } from '../html.ts';
import { formatTime, t } from '../i18n.ts';
import { CONSOLE, page, table, type PageContext } from '../layout.ts';

export interface AuditPageData {
  rows: AuditRow[];
  names: Map<string, string>;
  /** The id to page back from, when there are older rows. */
  olderThan?: number;
}

export function auditPage(ctx: PageContext, d: AuditPageData): string {
  const L = ctx.locale;
  const body = html`
  <p class="muted">${t(L, 'auditHint')}</p>
  <section>${table(
    [t(L, 'time'), t(L, 'actor'), t(L, 'action'), t(L, 'target'), t(L, 'agency'), t(L, 'address'), t(L, 'detail')],
    d.rows.map((r) => [
      formatTime(L, r.at),
      html`<code>${r.actor}</code>${r.actorKind === 'user' ? '' : html` <span class="muted">(${r.actorKind})</span>`}`,
      html`<code>${r.action}</code>`,
      r.target ?? '',
      r.agency ? (d.names.get(r.agency) ?? r.agency) : '',
      r.address ?? '',
      r.detail ?? '',
    ]),
    t(L, 'noRows'),
    'audit',
  )}
  ${d.olderThan ? html`<p><a href="${CONSOLE}/audit?before=${String(d.olderThan)}">${t(L, 'olderEntries')} →</a></p>` : ''}</section>`;
  return page(ctx, t(L, 'auditLog'), body, { active: 'auditLog' });
}
