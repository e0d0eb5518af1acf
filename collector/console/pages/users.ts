// Renders the console accounts page for administrators (a newly set password is shown once).
import type { Role } from '../../state/admin-tokens.ts';
import type { UserRow } from '../../state/users.ts';
import { html, path } from '../html.ts';
import { formatTime, t, type Locale, type TextKey } from '../i18n.ts';
import { badge, CONSOLE, csrfField, flash, page, table, type PageContext } from '../layout.ts';

const ROLE_TEXT: Record<Role, TextKey> = { viewer: 'roleViewer', operator: 'roleOperator', admin: 'roleAdmin' };
export const roleText = (L: Locale, role: Role) => t(L, ROLE_TEXT[role]);

export interface UsersPageData {
  users: UserRow[];
  agencies: { id: string; name: string }[];
  names: Map<string, string>;
  /** The signed-in admin: no disable button on their own row. */
  self: string;
  /** A password just set: shown on this response only. */
  shown?: { name: string; password: string };
  message?: string;
  error?: string;
}

/** Console users, for province-wide administrators: add, reset a password, disable and enable. */
export function usersPage(ctx: PageContext, d: UsersPageData): string {
  const L = ctx.locale;
  const action = (u: UserRow, what: 'password' | 'disable' | 'enable', label: string, cls: string) =>
    html`<form method="post" action="${CONSOLE}${path`/users/${String(u.id)}/${what}`}" class="inline"${what === 'enable' ? '' : html` data-confirm="${label}: ${u.name}?"`}>${csrfField(ctx)}<button type="submit" class="${cls}" data-user-action="${what}" data-user="${u.name}">${label}</button></form>`;
  const body = html`
  ${flash(d.message)}${flash(d.error, 'error')}
  ${d.shown
    ? html`<div class="card code-shown"><p>${t(L, 'passwordShown', { name: d.shown.name })}</p><p class="code" id="new-password">${d.shown.password}</p></div>`
    : ''}
  <section><h2>${t(L, 'users')}</h2>
  ${table(
    [t(L, 'userName'), t(L, 'role'), t(L, 'agency'), t(L, 'lastLogin'), t(L, 'state'), ''],
    d.users.map((u) => [
      html`<code>${u.name}</code>`,
      roleText(L, u.role),
      u.agency ? (d.names.get(u.agency) ?? u.agency) : t(L, 'wholeProvince'),
      u.lastLoginAt ? formatTime(L, u.lastLoginAt) : t(L, 'never'),
      u.disabledAt ? badge('revoked', t(L, 'userDisabled')) : badge('ok', t(L, 'active')),
      html`${action(u, 'password', t(L, 'resetPassword'), 'secondary')}
        ${u.name === d.self ? '' : u.disabledAt ? action(u, 'enable', t(L, 'enableUser'), 'secondary') : action(u, 'disable', t(L, 'disableUser'), 'danger')}`,
    ]),
    t(L, 'noRows'),
    'users',
  )}</section>
  <section><form method="post" action="${CONSOLE}/users" class="card form" id="user-form">${csrfField(ctx)}
    <h3>${t(L, 'addUser')}</h3>
    <label>${t(L, 'userName')} <input name="name" required maxlength="64" pattern="[A-Za-z0-9][A-Za-z0-9._@\\-]{0,63}" autocomplete="off"></label>
    <label>${t(L, 'role')} <select name="role">${(['viewer', 'operator', 'admin'] as const).map((r) => html`<option value="${r}">${roleText(L, r)}</option>`)}</select></label>
    <label>${t(L, 'agency')} <select name="agency"><option value="">${t(L, 'wholeProvince')}</option>${d.agencies.map((a) => html`<option value="${a.id}">${a.name}</option>`)}</select></label>
    <button type="submit">${t(L, 'addUser')}</button>
  </form></section>`;
  return page(ctx, t(L, 'users'), body, { active: 'users' });
}
