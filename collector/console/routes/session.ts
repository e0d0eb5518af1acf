// Signing in and out of the console: the login form (throttled per address and user) and logout.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createSession, endSession, SESSION_TTL_MS } from '../../state/sessions.ts';
import { checkLogin } from '../../state/users.ts';
import { formBody, text, type ConsoleContext } from '../context.ts';
import { t } from '../i18n.ts';
import { CONSOLE } from '../layout.ts';
import { LoginThrottle } from '../login-throttle.ts';
import { loginPage } from '../pages/login.ts';
import { clearSessionCookie, sameOrigin, setSessionCookie } from '../session-cookie.ts';

// Bounds above the inputs' own maxlength: the route trims and cuts, as it always did.
const LoginForm = formBody({ username: text(256), password: text(1024), next: text(2048) });
const LogoutForm = formBody({});

/** Only a path inside the console: never another host, a protocol-relative URL or a header break. */
// Only a console path in printable ASCII: a Location header cannot carry other characters (Node
// refuses them, which once turned a good login into a 500), and the console's own links are
// percent-encoded anyway.
const safeNext = (next: unknown) => (typeof next === 'string' && next.startsWith(`${CONSOLE}/`) && !next.startsWith('//') && /^[\x21-\x7e]{1,2000}$/.test(next) && !next.includes('\\') ? next : `${CONSOLE}/`);

export default async function sessionRoutes(app: FastifyInstance, { cx }: { cx: ConsoleContext }) {
  const { db } = cx;
  const throttle = new LoginThrottle();
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(`${CONSOLE}/login`, async (request, reply) => {
    const next = (request.query as Record<string, unknown>).next;
    return cx.send(reply, loginPage(cx.ctxOf(request, reply), { next: safeNext(next) }));
  });

  // Another site's form is turned away before its body is looked at.
  const sameOriginOnly = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!sameOrigin(request)) return cx.fail(request, reply, 403, t(cx.localeOf(request, reply), 'csrfFailed'));
  };

  r.post(`${CONSOLE}/login`, { preValidation: sameOriginOnly, schema: { body: LoginForm } }, async (request, reply) => {
    const form = request.body;
    const ctx = cx.ctxOf(request, reply);
    const name = (form.username ?? '').trim().slice(0, 64);
    const password = form.password ?? '';
    const wait = throttle.retryAfterMs(request.ip, name);
    if (wait > 0) {
      reply.header('retry-after', String(Math.ceil(wait / 1000)));
      return cx.send(reply, loginPage(ctx, { name, error: t(ctx.locale, 'loginLocked', { s: Math.ceil(wait / 1000) }), next: safeNext(form.next) }), 429);
    }
    const user = name && password ? await checkLogin(db, name, password.slice(0, 200)) : undefined;
    if (!user) {
      throttle.failure(request.ip, name);
      request.log.warn({ user: name, ip: request.ip }, 'console login failed');
      return cx.send(reply, loginPage(ctx, { name, error: t(ctx.locale, 'loginFailed'), next: safeNext(form.next) }), 401);
    }
    throttle.success(request.ip, name);
    const id = createSession(db, user.id, request.ip);
    setSessionCookie(request, reply, id, Math.floor(SESSION_TTL_MS / 1000));
    return reply.redirect(safeNext(form.next), 303);
  });

  r.post(`${CONSOLE}/logout`, { preValidation: cx.need('viewer'), schema: { body: LogoutForm } }, async (request, reply) => {
    endSession(db, request.consoleSession!.id);
    clearSessionCookie(request, reply);
    return reply.redirect(`${CONSOLE}/login`, 303);
  });
}
