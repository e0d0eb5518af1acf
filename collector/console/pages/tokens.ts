// Renders the API token page for province-wide administrators: every token (never its secret or hash)
// with its role, scope and last use, and a revoke button for the active ones.
import type { AdminTokenRow } from '../../state/admin-tokens.ts';
import { html, path } from '../html.ts';
import { formatTime, t } from '../i18n.ts';
import { badge, CONSOLE, csrfField, flash, page, table, type PageContext } from '../layout.ts';
import { roleText } from './users.ts';

export interface TokensPageData {
  tokens: AdminTokenRow[];
  names: Map<string, string>;
  message?: string;
}

export function tokensPage(ctx: PageContext, d: TokensPageData): string {
  const L = ctx.locale;
  const revoke = (tk: AdminTokenRow) =>
    html`<form method="post" action="${CONSOLE}${path`/tokens/${String(tk.id)}/revoke`}" class="inline" data-confirm="${t(L, 'revokeToken')}: ${tk.name}?">${csrfField(ctx)}<button type="submit" class="danger" data-token-action="revoke" data-token="${tk.name}">${t(L, 'revoke')}</button></form>`;
  const body = html`
  ${flash(d.message)}
  <p class="muted">${t(L, 'tokensHint')}</p>
  <section>${table(
    [t(L, 'tokenName'), t(L, 'role'), t(L, 'agency'), t(L, 'since'), t(L, 'lastUsed'), t(L, 'state'), ''],
    d.tokens.map((tk) => [
      html`<code>${tk.name}</code>`,
      roleText(L, tk.role),
      tk.agency ? (d.names.get(tk.agency) ?? tk.agency) : t(L, 'wholeProvince'),
      formatTime(L, tk.createdAt),
      tk.lastUsed ? formatTime(L, tk.lastUsed) : t(L, 'never'),
      tk.revokedAt ? badge('revoked', `${t(L, 'revoked')} ${formatTime(L, tk.revokedAt)}`) : badge('ok', t(L, 'active')),
      tk.revokedAt ? '' : revoke(tk),
    ]),
    t(L, 'noRows'),
    'tokens',
  )}</section>`;
  return page(ctx, t(L, 'apiTokens'), body, { active: 'apiTokens' });
}
