// Renders the login form and the plain message page shown for refused or failed console requests.
import { html } from '../html.ts';
import { t } from '../i18n.ts';
import { CONSOLE, flash, page, type PageContext } from '../layout.ts';

export function loginPage(ctx: PageContext, d: { name?: string; error?: string; next?: string }): string {
  const L = ctx.locale;
  const body = html`${flash(d.error, 'error')}
  <form method="post" action="${CONSOLE}/login" class="card form login" id="login-form">
    <input type="hidden" name="next" value="${d.next ?? ''}">
    <label>${t(L, 'username')} <input name="username" autocomplete="username" required maxlength="64" value="${d.name ?? ''}" autofocus></label>
    <label>${t(L, 'password')} <input type="password" name="password" autocomplete="current-password" required maxlength="200"></label>
    <button type="submit">${t(L, 'login')}</button>
  </form>`;
  return page(ctx, t(L, 'login'), body);
}

export function messagePage(ctx: PageContext, title: string, message: string): string {
  return page(ctx, title, html`<p class="flash error">${message}</p><p><a href="${CONSOLE}/">${t(ctx.locale, 'overview')}</a></p>`);
}
