// Console accounts, for province-wide administrators: add (with a generated password shown once), reset a
// password, disable and enable, never locking out the last active province-wide admin.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseRole } from '../../state/admin-tokens.ts';
import { getAgency } from '../../state/agencies.ts';
import { createUser, generatePassword, getUser, listUsers, setDisabled, setPassword, userByName, USER_NAME_PATTERN } from '../../state/users.ts';
import { formBody, IdParams, text, type ConsoleContext } from '../context.ts';
import { t } from '../i18n.ts';
import { CONSOLE } from '../layout.ts';
import { usersPage, type UsersPageData } from '../pages/users.ts';

const UserForm = formBody({ name: text(256), role: text(32), agency: text(64) });
const ActionForm = formBody({});

export default async function userRoutes(app: FastifyInstance, { cx }: { cx: ConsoleContext }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  const renderUsers = async (request: FastifyRequest, reply: FastifyReply, extra: Partial<UsersPageData> = {}, status = 200) =>
    cx.send(reply, usersPage(cx.ctxOf(request, reply), { users: await listUsers(cx.services.state), agencies: await cx.visibleAgencies(request), names: await cx.names(), self: cx.userName(request), ...extra }), status);
  const activeProvinceAdmins = async () => (await listUsers(cx.services.state)).filter((u) => u.role === 'admin' && !u.agency && u.disabledAt === undefined);

  r.get(`${CONSOLE}/users`, { preValidation: cx.needUserAdmin }, async (request, reply) => {
    const done = (request.query as Record<string, unknown>).done;
    return renderUsers(request, reply, { message: done ? t(cx.localeOf(request, reply), 'saved') : undefined });
  });

  r.post(`${CONSOLE}/users`, { preValidation: cx.needUserAdmin, schema: { body: UserForm } }, async (request, reply) => {
    const form = request.body;
    const L = cx.localeOf(request, reply);
    const name = (form.name ?? '').trim();
    const role = parseRole(form.role);
    const agency = form.agency || undefined;
    if (!USER_NAME_PATTERN.test(name)) return renderUsers(request, reply, { error: t(L, 'badUserName', { name: name.slice(0, 64) }) }, 400);
    if (!role) return renderUsers(request, reply, { error: t(L, 'badRole', { role: (form.role ?? '').slice(0, 20) }) }, 400);
    if (agency && !(await getAgency(cx.services.state, agency))?.active) return renderUsers(request, reply, { error: t(L, 'unknownAgency', { agency }) }, 400);
    if (await userByName(cx.services.state, name)) return renderUsers(request, reply, { error: t(L, 'userExists') }, 400);
    const password = generatePassword();
    await createUser(cx.services.state, { name, password, role, agency });
    request.log.info({ user: name, role, agency, by: cx.userName(request) }, 'console user added from the console');
    await cx.audit(request, 'user_add', { target: name, agency, detail: role });
    // Shown once, on this response only: never in a URL, a log or a later page.
    return renderUsers(request, reply, { shown: { name, password } });
  });

  r.post(`${CONSOLE}/users/:id/password`, { preValidation: cx.needUserAdmin, schema: { params: IdParams, body: ActionForm } }, async (request, reply) => {
    const user = await getUser(cx.services.state, Number(request.params.id));
    if (!user) return cx.fail(request, reply, 404);
    const password = generatePassword();
    await setPassword(cx.services.state, user.name, password); // ends the user's sessions
    request.log.info({ user: user.name, by: cx.userName(request) }, 'console password reset from the console');
    await cx.audit(request, 'user_password', { target: user.name, agency: user.agency });
    // For one's own account too: this page shows the new password; the next click asks to log in with it.
    return renderUsers(request, reply, { shown: { name: user.name, password } });
  });

  for (const action of ['disable', 'enable'] as const) {
    r.post(`${CONSOLE}/users/:id/${action}`, { preValidation: cx.needUserAdmin, schema: { params: IdParams, body: ActionForm } }, async (request, reply) => {
      const user = await getUser(cx.services.state, Number(request.params.id));
      if (!user) return cx.fail(request, reply, 404);
      const L = cx.localeOf(request, reply);
      if (action === 'disable') {
        if (user.name === cx.userName(request)) return renderUsers(request, reply, { error: t(L, 'cannotDisableSelf') }, 400);
        const admins = await activeProvinceAdmins();
        if (admins.length === 1 && admins[0].id === user.id) return renderUsers(request, reply, { error: t(L, 'lastAdmin') }, 400);
      }
      const { tokensRevoked } = await setDisabled(cx.services.state, user.id, action === 'disable');
      request.log.info({ user: user.name, by: cx.userName(request), action, tokensRevoked }, 'console user changed from the console');
      await cx.audit(request, action === 'disable' ? 'user_disable' : 'user_enable', { target: user.name, agency: user.agency, detail: tokensRevoked ? `${tokensRevoked} API token(s) named after the account revoked` : undefined });
      return reply.redirect(`${CONSOLE}/users?done=${action}`, 303);
    });
  }
}
