// The intrusion signals of one agency (auth_events findings) as the agency page shows them: the newest
// first, what happened, from where, to which accounts, how often and whether it is still going.
import type { AuthFindingRow } from '../../state/auth-findings.ts';
import { html, type Html } from '../html.ts';
import { formatTime, t, type TextKey } from '../i18n.ts';
import { badge, table, type PageContext } from '../layout.ts';
import { previewNote } from '../paging.ts';

const KINDS = new Set(['brute_force', 'password_spraying', 'success_after_failures', 'new_admin', 'log_cleared']);

export function authFindingsTable(ctx: PageContext, findings: { rows: AuthFindingRow[]; total: number }): Html {
  const L = ctx.locale;
  const kind = (k: string) => (KINDS.has(k) ? t(L, `authKind_${k}` as TextKey) : k);
  const severe = (k: string) => (k === 'brute_force' || k === 'password_spraying' ? 'warning' : 'critical');
  return html`<p class="muted">${t(L, 'authHint')}</p>
  ${previewNote(L, findings.rows.length, findings.total)}
  ${table(
    [t(L, 'authKind'), t(L, 'hostname'), t(L, 'authService'), t(L, 'authSource'), t(L, 'authUsers'), t(L, 'authCount'), t(L, 'authPeriod'), t(L, 'status')],
    findings.rows.map((f) => [
      html`${badge(severe(f.kind), kind(f.kind))}${f.detail ? html`<div class="muted">${f.detail}</div>` : ''}`,
      f.host ?? f.agent,
      f.service,
      html`<code>${f.source}</code>`,
      f.users,
      String(f.count),
      html`${formatTime(L, f.firstSeen)} – ${formatTime(L, f.lastSeen)}`,
      f.active ? badge('critical', t(L, 'authOngoing')) : badge('ok', t(L, 'authEnded')),
    ]),
    t(L, 'authNone'),
    'auth-findings',
  )}`;
}
