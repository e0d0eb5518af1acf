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
import { HasherBusyError } from '../../state/password-hasher.ts';
import { KeyLimiter, LogBudget } from '../../server/key-limiter.ts';
import { recordAudit } from '../../state/audit.ts';

// Bounds above the inputs' own maxlength: the route trims and cuts, as it always did.
const LoginForm = formBody({ username: text(256), password: text(1024), next: text(2048) });
const LogoutForm = formBody({});

/** Login attempts per address: 10 at once, then one every 6 s (config `login`). */
export const LOGIN_PER_ADDRESS = { perSecond: 1 / 6, burst: 10 };
/** Password checks for all addresses together: 10 a second (half a core of scrypt), 20 at once. */
export const LOGIN_GLOBAL = { perSecond: 10, burst: 20 };

/**
 * Only a path inside the console, in printable ASCII: never another host, a protocol-relative URL or
 * a header break. A Location header cannot carry other characters (Node refuses them, which once
 * turned a good login into a 500), and the console's own links are percent-encoded anyway.
 */
const safeNext = (next: unknown) => (typeof next === 'string' && next.startsWith(`${CONSOLE}/`) && !next.startsWith('//') && /^[\x21-\x7e]{1,2000}$/.test(next) && !next.includes('\\') ? next : `${CONSOLE}/`);

export default async function sessionRoutes(app: FastifyInstance, { cx }: { cx: ConsoleContext }) {
  const throttle = new LoginThrottle(cx.services.state);
  const failedLogins = new LogBudget(30);
  // Every attempt costs a scrypt hash (some 50 ms of a core): besides the (address, user) lock above,
  // an address gets a budget of its own (a spray over many user names), and all addresses together
  // one more (many addresses); what is over budget is refused before any hashing.
  const limits = cx.services.config?.login;
  const perAddress = new KeyLimiter(limits ? { perSecond: limits.perAddressPerMinute / 60, burst: limits.perAddressBurst } : LOGIN_PER_ADDRESS);
  const everyone = new KeyLimiter(limits ? { perSecond: limits.allPerSecond, burst: limits.allBurst } : LOGIN_GLOBAL);
  const budgetWait = (address: string): number => {
    const mine = perAddress.take(address);
    if (!mine.ok) return mine.retryAfterSeconds;
    const all = everyone.take('all');
    return all.ok ? 0 : all.retryAfterSeconds;
  };
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
    const locked = (seconds: number) => {
      reply.header('retry-after', String(Math.ceil(seconds)));
      return cx.send(reply, loginPage(ctx, { name, error: t(ctx.locale, 'loginLocked', { s: Math.ceil(seconds) }), next: safeNext(form.next) }), 429);
    };
    // The budgets first: they are in memory, so a flood is turned away without asking the state database.
    const overBudget = budgetWait(request.ip);
    if (overBudget > 0) return locked(overBudget);
    const lockedFor = (await throttle.retryAfterMs(request.ip, name)) / 1000;
    if (lockedFor > 0) return locked(lockedFor);
    let user;
    try {
      // A name with control characters is no one's (and PostgreSQL's text cannot even hold a NUL).
      // eslint-disable-next-line no-control-regex
      user = name && password && !/[\u0000-\u001f]/.test(name) ? await checkLogin(cx.services.state, name, password.slice(0, 200)) : undefined;
    } catch (err) {
      if (err instanceof HasherBusyError) return locked(5);
      throw err;
    }
    if (!user) {
      await throttle.failure(request.ip, name);
      // Within a budget: a flood must not fill the audit log (the per-address budgets bound it too).
      let entry: Promise<void> | undefined;
      failedLogins.log(Date.now(), (skipped) => {
        entry = cx.audit(request, 'login_failed', { target: name, detail: skipped ? `${skipped} more failed logins not recorded in the minute before` : undefined });
      });
      await entry;
      request.log.warn({ user: name, ip: request.ip }, 'console login failed');
      return cx.send(reply, loginPage(ctx, { name, error: t(ctx.locale, 'loginFailed'), next: safeNext(form.next) }), 401);
    }
    await throttle.success(request.ip, name);
    const id = await createSession(cx.services.state, user.id, request.ip);
    await recordAudit(cx.services.state.db, { actor: user.name, actorKind: 'user', action: 'login', address: request.ip, agency: user.agency });
    setSessionCookie(request, reply, id, Math.floor(SESSION_TTL_MS / 1000));
    return reply.redirect(safeNext(form.next), 303);
  });

  r.post(`${CONSOLE}/logout`, { preValidation: cx.need('viewer'), schema: { body: LogoutForm } }, async (request, reply) => {
    await endSession(cx.services.state, request.consoleSession!.id);
    await cx.audit(request, 'logout');
    clearSessionCookie(request, reply);
    return reply.redirect(`${CONSOLE}/login`, 303);
  });
}
