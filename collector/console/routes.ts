import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseDuration } from '../../protocol/index.ts';
import { AlertStore, type AlertRow } from '../alerts/store.ts';
import { sendTestMail } from '../alerts/delivery.ts';
import { summaryOf } from '../alerts/templates.ts';
import type { CollectorServices } from '../server/services.ts';
import { ROLE_RANK, type Principal, type Role } from '../state/admin-tokens.ts';
import { getAgency, listAgencies } from '../state/agencies.ts';
import { getAgent, listAgents, requestTokenRotation, revokeAgent } from '../state/agents.ts';
import { listDevices } from '../state/devices.ts';
import { createEnrollCode, listEnrollCodes } from '../state/enroll-codes.ts';
import { createSession, endSession, sessionById, SESSION_TTL_MS, type Session } from '../state/sessions.ts';
import { checkLogin, createUser, generatePassword, getUser, listUsers, principalOfUser, setDisabled, setPassword, userByName, USER_NAME_PATTERN } from '../state/users.ts';
import { t, parseLocalDateTime, type Locale } from './i18n.ts';
import { CONSOLE, type PageContext } from './layout.ts';
import { LoginThrottle } from './login-throttle.ts';
import { agencyPage } from './pages/agency.ts';
import { agentsPage } from './pages/agents.ts';
import { alertPage, alertsPage, notificationsPage } from './pages/alerts.ts';
import { certificatesPage } from './pages/certificates.ts';
import { loginPage, messagePage } from './pages/login.ts';
import { overviewPage } from './pages/overview.ts';
import { usersPage, type UsersPageData } from './pages/users.ts';
import { videoconfPage } from './pages/videoconf.ts';
import { clearSessionCookie, LANG_COOKIE, parseCookies, sameOrigin, sameToken, sessionIdOf, setLangCookie, setSessionCookie } from './session-cookie.ts';
import { agencyStatuses, certificates, compliance, videoTiles } from './views.ts';
import { reportRoutes } from './report-routes.ts';

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: Session;
  }
}

export interface ConsoleOptions {
  services: CollectorServices;
}

const ASSETS = join(import.meta.dirname, 'assets');
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type Form = Record<string, string>;

/**
 * The web console: server-rendered pages under /console on the collector's own port, logins with
 * sessions, and the session as a way into the operator API (with the same agency scoping).
 */
export default async function consoleRoutes(app: FastifyInstance, opts: ConsoleOptions) {
  const { db } = opts.services;
  const latest = opts.services.latest;
  const throttle = new LoginThrottle();
  const store = new AlertStore(db);
  const rules = new Map((opts.services.config?.alerting.alerts.rules ?? []).map((r) => [r.name, r]));
  const css = readFileSync(join(ASSETS, 'console.css'));
  const js = readFileSync(join(ASSETS, 'console.js'));

  // The session opens the operator API too; an unsafe method needs the CSRF token as a header, so a
  // cross-site form can never act with the cookie.
  app.principalResolvers.push((request): Principal | undefined => {
    const id = sessionIdOf(request);
    if (!id) return undefined;
    const session = sessionById(db, id);
    if (!session) return undefined;
    if (UNSAFE.has(request.method) && !sameToken(request.headers['x-csrf-token'] as string | undefined, session.csrf)) return undefined;
    return principalOfUser(session.user);
  });

  // Forms post urlencoded bodies; this parser exists only inside the console's scope.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => {
    const form: Form = {};
    for (const [k, v] of new URLSearchParams(body as string)) if (!(k in form)) form[k] = v;
    done(null, form);
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.getHeader('content-security-policy')) reply.header('content-security-policy', CSP);
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('cross-origin-opener-policy', 'same-origin');
    if (_request.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000');
    if (!reply.getHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  const localeOf = (request: FastifyRequest, reply: FastifyReply): Locale => {
    const q = (request.query as Record<string, unknown> | undefined)?.lang;
    if (q === 'vi' || q === 'en') {
      setLangCookie(request, reply, q);
      return q;
    }
    return parseCookies(request.headers.cookie)[LANG_COOKIE] === 'en' ? 'en' : 'vi';
  };

  const names = () => new Map(listAgencies(db, { includeInactive: true }).map((a) => [a.id, a.name]));

  const ctxOf = (request: FastifyRequest, reply: FastifyReply): PageContext => {
    const s = request.consoleSession;
    return {
      locale: localeOf(request, reply),
      url: request.url,
      csrf: s?.csrf,
      user: s ? { name: s.user.name, role: s.user.role, agency: s.user.agency, agencyName: s.user.agency ? getAgency(db, s.user.agency)?.name : undefined } : undefined,
    };
  };

  const send = (reply: FastifyReply, body: string, status = 200) => reply.code(status).type('text/html; charset=utf-8').send(body);

  const fail = (request: FastifyRequest, reply: FastifyReply, status: number, message?: string) => {
    const ctx = ctxOf(request, reply);
    const title = status === 403 ? t(ctx.locale, 'forbidden') : status === 404 ? t(ctx.locale, 'notFound') : t(ctx.locale, 'badRequest');
    return send(reply, messagePage(ctx, title, message ?? title), status);
  };

  /** preHandler: a valid session with at least `role`; a form post must also carry its CSRF token. */
  const need = (role: Role) => async (request: FastifyRequest, reply: FastifyReply) => {
    const id = sessionIdOf(request);
    const session = id ? sessionById(db, id) : undefined;
    if (!session) {
      if (request.method === 'GET') return reply.redirect(`${CONSOLE}/login?next=${encodeURIComponent(request.url)}`, 303);
      return fail(request, reply, 403, t(localeOf(request, reply), 'csrfFailed'));
    }
    request.consoleSession = session;
    request.principal = principalOfUser(session.user);
    if (UNSAFE.has(request.method)) {
      const form = (request.body ?? {}) as Form;
      if (!sameOrigin(request) || !sameToken(form._csrf, session.csrf)) return fail(request, reply, 403, t(localeOf(request, reply), 'csrfFailed'));
    }
    if (ROLE_RANK[session.user.role] < ROLE_RANK[role]) return fail(request, reply, 403);
  };

  /** The agency a scoped user may see; undefined for everyone else. */
  const scopeOf = (request: FastifyRequest) => request.consoleSession?.user.agency;
  const mayAct = (request: FastifyRequest, role: Role) => ROLE_RANK[request.consoleSession!.user.role] >= ROLE_RANK[role];
  const summarize = (locale: Locale) => (a: AlertRow) =>
    summaryOf({ id: a.id, rule: rules.get(a.rule), ruleName: a.rule, severity: a.severity, agency: a.agency, labels: a.labels, value: a.value, firedAt: a.firedAt ?? a.activeSince }, locale, names().get(a.agency));
  const visibleAgencies = (request: FastifyRequest) => listAgencies(db).filter((a) => !scopeOf(request) || a.id === scopeOf(request)).map((a) => ({ id: a.id, name: a.name }));
  // Accounts and the mail relay: province-wide administrators only (an agency-scoped admin manages agents).
  const needUserAdmin = [need('admin'), async (request: FastifyRequest, reply: FastifyReply) => (scopeOf(request) ? fail(request, reply, 403) : undefined)];

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    const status = err.validation ? 400 : (err.statusCode ?? 500);
    if (status >= 500) request.log.error({ err }, 'console page failed');
    return fail(request, reply, status >= 500 ? 500 : status, status >= 500 ? 'internal error' : err.message);
  });

  // Assets: local files, no CDN (agencies have no internet).
  app.get(`${CONSOLE}/assets/console.css`, async (_q, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(css));
  app.get(`${CONSOLE}/assets/console.js`, async (_q, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(js));
  app.get('/', async (_q, reply) => reply.redirect(`${CONSOLE}/`, 302));
  app.get(CONSOLE, async (_q, reply) => reply.redirect(`${CONSOLE}/`, 302));

  // Login / logout

  const safeNext = (next: unknown) => (typeof next === 'string' && next.startsWith(`${CONSOLE}/`) && !next.startsWith('//') && !/[\\\r\n]/.test(next) ? next : `${CONSOLE}/`);

  app.get(`${CONSOLE}/login`, async (request, reply) => {
    const next = (request.query as Record<string, string>).next;
    return send(reply, loginPage(ctxOf(request, reply), { next: safeNext(next) }));
  });

  app.post(`${CONSOLE}/login`, async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    const ctx = ctxOf(request, reply);
    const name = (form.username ?? '').trim().slice(0, 64);
    const password = form.password ?? '';
    if (!sameOrigin(request)) return fail(request, reply, 403, t(ctx.locale, 'csrfFailed'));
    const wait = throttle.retryAfterMs(request.ip, name);
    if (wait > 0) {
      reply.header('retry-after', String(Math.ceil(wait / 1000)));
      return send(reply, loginPage(ctx, { name, error: t(ctx.locale, 'loginLocked', { s: Math.ceil(wait / 1000) }), next: safeNext(form.next) }), 429);
    }
    const user = name && password ? await checkLogin(db, name, password.slice(0, 200)) : undefined;
    if (!user) {
      throttle.failure(request.ip, name);
      request.log.warn({ user: name, ip: request.ip }, 'console login failed');
      return send(reply, loginPage(ctx, { name, error: t(ctx.locale, 'loginFailed'), next: safeNext(form.next) }), 401);
    }
    throttle.success(request.ip, name);
    const id = createSession(db, user.id, request.ip);
    setSessionCookie(request, reply, id, Math.floor(SESSION_TTL_MS / 1000));
    return reply.redirect(safeNext(form.next), 303);
  });

  app.post(`${CONSOLE}/logout`, { preHandler: need('viewer') }, async (request, reply) => {
    endSession(db, request.consoleSession!.id);
    clearSessionCookie(request, reply);
    return reply.redirect(`${CONSOLE}/login`, 303);
  });

  // Pages

  app.get(`${CONSOLE}/`, { preHandler: need('viewer') }, async (request, reply) => {
    const scope = scopeOf(request);
    const now = Date.now();
    return send(reply, overviewPage(ctxOf(request, reply), { statuses: agencyStatuses(db, now, scope), tiles: videoTiles(latest, scope), alerts: store.list({ state: 'active', agency: scope }), names: names(), now }));
  });

  app.get<{ Params: { id: string } }>(`${CONSOLE}/agencies/:id`, { preHandler: need('viewer') }, async (request, reply) => {
    const id = request.params.id;
    const scope = scopeOf(request);
    if (scope && scope !== id) return fail(request, reply, 403);
    const agency = getAgency(db, id);
    if (!agency) return fail(request, reply, 404);
    const ctx = ctxOf(request, reply);
    const status = agencyStatuses(db, Date.now(), id)[0] ?? { agency, agents: 0, state: 'none' as const };
    return send(
      reply,
      agencyPage(ctx, {
        agency,
        status,
        agents: listAgents(db, { agency: id }),
        devices: listDevices(db, id),
        certs: certificates(db, id),
        compliance: compliance(db, id),
        tiles: videoTiles(latest, id),
        alerts: store.list({ state: 'active', agency: id }),
        names: names(),
        canAdmin: mayAct(request, 'admin'),
        summarize: summarize(ctx.locale),
      }),
    );
  });

  app.get(`${CONSOLE}/videoconf`, { preHandler: need('viewer') }, async (request, reply) => {
    const scope = scopeOf(request);
    return send(reply, videoconfPage(ctxOf(request, reply), { tiles: videoTiles(latest, scope), names: names(), canCheck: mayAct(request, 'operator') }));
  });

  const renderAlerts = (request: FastifyRequest, reply: FastifyReply, status = 200, msg: { message?: string; error?: string } = {}) => {
    const scope = scopeOf(request);
    const ctx = ctxOf(request, reply);
    const now = Date.now();
    const silences = store.silences(now).filter((s) => !scope || s.matchers.agency === scope);
    return send(
      reply,
      alertsPage(ctx, {
        active: store.list({ state: 'active', agency: scope }),
        history: store.list({ state: 'resolved', agency: scope, limit: 100 }),
        silences,
        rules: [...rules.keys()].sort(),
        agencies: visibleAgencies(request),
        names: names(),
        canAct: mayAct(request, 'operator'),
        now,
        summarize: summarize(ctx.locale),
        ...msg,
      }),
      status,
    );
  };

  app.get(`${CONSOLE}/alerts`, { preHandler: need('viewer') }, async (request, reply) => {
    const q = request.query as Record<string, string>;
    return renderAlerts(request, reply, 200, { message: q.ok ? t(ctxOf(request, reply).locale, 'saved') : undefined });
  });

  const alertInScope = (request: FastifyRequest, raw: string) => {
    const id = Number(raw);
    const a = Number.isSafeInteger(id) && id > 0 ? store.get(id) : undefined;
    if (!a || a.state === 'pending') return undefined;
    const scope = scopeOf(request);
    return scope && a.agency !== scope ? undefined : a;
  };

  app.get<{ Params: { id: string } }>(`${CONSOLE}/alerts/:id`, { preHandler: need('viewer') }, async (request, reply) => {
    const a = alertInScope(request, request.params.id);
    if (!a) return fail(request, reply, 404);
    const ctx = ctxOf(request, reply);
    const notifications = store.notifications({ agency: a.agency, limit: 500 }).filter((n) => n.alertIds.includes(a.id));
    return send(reply, alertPage(ctx, a, { names: names(), canAct: mayAct(request, 'operator'), summary: summarize(ctx.locale)(a), notifications }));
  });

  app.post<{ Params: { id: string } }>(`${CONSOLE}/alerts/:id/ack`, { preHandler: need('operator') }, async (request, reply) => {
    const a = alertInScope(request, request.params.id);
    if (!a) return fail(request, reply, 404);
    const form = request.body as Form;
    store.acknowledge(a.id, request.consoleSession!.user.name, form.note?.slice(0, 300) || undefined, Date.now());
    return reply.redirect(`${CONSOLE}/alerts?ok=1`, 303);
  });

  app.post(`${CONSOLE}/silences`, { preHandler: need('operator') }, async (request, reply) => {
    const form = request.body as Form;
    const L = ctxOf(request, reply).locale;
    const scope = scopeOf(request);
    const matchers: Record<string, string> = {};
    const agency = scope ?? (form.agency || undefined);
    if (agency) {
      if (!getAgency(db, agency)) return renderAlerts(request, reply, 400, { error: `agency: unknown agency "${agency}"` });
      matchers.agency = agency;
    }
    if (form.rule) {
      if (!rules.has(form.rule)) return renderAlerts(request, reply, 400, { error: `rule: unknown rule "${form.rule}"` });
      matchers.rule = form.rule;
    }
    for (const pair of (form.labels ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
      const m = /^([a-z_][a-z0-9_]{0,62})=(.{1,200})$/.exec(pair);
      if (!m || m[1] === 'agency') return renderAlerts(request, reply, 400, { error: `labels: expected label=value pairs separated by commas, got "${pair}"` });
      matchers[m[1]] = m[2];
    }
    const reason = (form.reason ?? '').trim();
    const endsAt = parseLocalDateTime(form.endsAt ?? '');
    const now = Date.now();
    if (Object.keys(matchers).length === 0) return renderAlerts(request, reply, 400, { error: `${t(L, 'silence')}: choose an agency, a rule or a label (a silence of everything is refused)` });
    if (reason.length < 3) return renderAlerts(request, reply, 400, { error: `${t(L, 'reason')}: at least 3 characters` });
    if (endsAt === undefined || endsAt <= now || endsAt > now + 90 * 86_400_000) return renderAlerts(request, reply, 400, { error: `${t(L, 'endsAt')}: expected a time in the next 90 days, got "${form.endsAt ?? ''}"` });
    store.addSilence({ matchers, startsAt: now, endsAt, reason: reason.slice(0, 300), author: request.consoleSession!.user.name }, now);
    return reply.redirect(`${CONSOLE}/alerts?ok=1`, 303);
  });

  app.post<{ Params: { id: string } }>(`${CONSOLE}/silences/:id/remove`, { preHandler: need('operator') }, async (request, reply) => {
    const s = store.silence(Number(request.params.id) || 0);
    const scope = scopeOf(request);
    if (!s || (scope && s.matchers.agency !== scope)) return fail(request, reply, 404);
    store.removeSilence(s.id, request.consoleSession!.user.name, Date.now());
    return reply.redirect(`${CONSOLE}/alerts?ok=1`, 303);
  });

  const smtp = opts.services.config?.alerting.smtp;
  const relay = smtp ? `${smtp.host}:${smtp.port}` : undefined;
  const renderNotifications = (request: FastifyRequest, reply: FastifyReply, testMail?: { to?: string; result?: { ok: boolean; message: string } }, status = 200) => {
    const provinceAdmin = mayAct(request, 'admin') && !scopeOf(request);
    const rows = store.notifications({ agency: scopeOf(request), limit: 300 });
    return send(reply, notificationsPage(ctxOf(request, reply), rows, names(), provinceAdmin ? { relay, ...testMail } : undefined), status);
  };

  app.get(`${CONSOLE}/notifications`, { preHandler: need('viewer') }, async (request, reply) => renderNotifications(request, reply));

  // The same test as `canhgac-collector test-mail`: host, TLS mode, credentials and sender in one go.
  app.post(`${CONSOLE}/test-mail`, { preHandler: needUserAdmin }, async (request, reply) => {
    const to = ((request.body as Form).to ?? '').trim();
    const L = ctxOf(request, reply).locale;
    if (!/^[^@\s]+@[^@\s]+$/.test(to) || to.length > 254) return renderNotifications(request, reply, { to: to.slice(0, 254), result: { ok: false, message: `to: expected an e-mail address, got "${to.slice(0, 254)}"` } }, 400);
    if (!smtp) return renderNotifications(request, reply, { to, result: { ok: false, message: t(L, 'noSmtp') } }, 400);
    try {
      await sendTestMail(smtp, opts.services.config!.alerting.alerts, to);
      request.log.info({ to, relay, by: request.consoleSession!.user.name }, 'test mail sent from the console');
      return renderNotifications(request, reply, { to, result: { ok: true, message: t(L, 'testMailSent', { to, relay: relay! }) } });
    } catch (err) {
      const error = (err as Error).message.slice(0, 300);
      request.log.warn({ to, relay, err: error }, 'test mail from the console failed');
      return renderNotifications(request, reply, { to, result: { ok: false, message: t(L, 'testMailFailed', { to, relay: relay!, error }) } }, 502);
    }
  });

  app.get(`${CONSOLE}/certificates`, { preHandler: need('viewer') }, async (request, reply) => {
    return send(reply, certificatesPage(ctxOf(request, reply), certificates(db, scopeOf(request)), names()));
  });

  const renderAgents = (request: FastifyRequest, reply: FastifyReply, extra: { newCode?: { code: string; agency: string; expiresAt: number }; message?: string; error?: string } = {}, status = 200) => {
    const scope = scopeOf(request);
    return send(
      reply,
      agentsPage(ctxOf(request, reply), {
        agents: listAgents(db, { agency: scope }),
        codes: listEnrollCodes(db, { agency: scope, limit: 50 }),
        agencies: visibleAgencies(request),
        names: names(),
        canAdmin: mayAct(request, 'admin'),
        ...extra,
      }),
      status,
    );
  };

  app.get(`${CONSOLE}/agents`, { preHandler: need('viewer') }, async (request, reply) => {
    const q = request.query as Record<string, string>;
    const L = ctxOf(request, reply).locale;
    return renderAgents(request, reply, { message: q.done === 'rotate' ? t(L, 'rotateRequested') : q.done ? t(L, 'saved') : undefined });
  });

  app.post(`${CONSOLE}/enroll-codes`, { preHandler: need('admin') }, async (request, reply) => {
    const form = request.body as Form;
    const scope = scopeOf(request);
    const agency = form.agency ?? '';
    const a = getAgency(db, agency);
    if (!a || !a.active || (scope && scope !== agency)) return renderAgents(request, reply, { error: `agency: unknown agency "${agency}"` }, 400);
    const ttlMs = parseDuration(form.ttl ?? '');
    if (ttlMs === undefined || ttlMs < 60_000 || ttlMs > 30 * 86_400_000) return renderAgents(request, reply, { error: `ttl: expected a duration from 1m to 30d, got "${form.ttl ?? ''}"` }, 400);
    const code = createEnrollCode(db, agency, ttlMs, form.note?.trim().slice(0, 200) || `console: ${request.consoleSession!.user.name}`);
    // Shown once, on this response only: never in a URL, a log or a later page.
    return renderAgents(request, reply, { newCode: code });
  });

  for (const action of ['revoke', 'rotate'] as const) {
    app.post<{ Params: { id: string } }>(`${CONSOLE}/agents/:id/${action}`, { preHandler: need('admin') }, async (request, reply) => {
      const agent = getAgent(db, request.params.id);
      const scope = scopeOf(request);
      if (!agent || (scope && agent.agency !== scope)) return fail(request, reply, 404);
      const ok = action === 'revoke' ? revokeAgent(db, agent.id) : requestTokenRotation(db, agent.id);
      if (ok && action === 'revoke') latest.forgetAgent(agent.id);
      request.log.info({ agent: agent.id, by: request.consoleSession!.user.name, action }, 'agent changed from the console');
      return reply.redirect(`${CONSOLE}/agents?done=${action}`, 303);
    });
  }

  const renderUsers = (request: FastifyRequest, reply: FastifyReply, extra: Partial<UsersPageData> = {}, status = 200) =>
    send(
      reply,
      usersPage(ctxOf(request, reply), { users: listUsers(db), agencies: visibleAgencies(request), names: names(), self: request.consoleSession!.user.name, ...extra }),
      status,
    );
  const activeProvinceAdmins = () => listUsers(db).filter((u) => u.role === 'admin' && !u.agency && u.disabledAt === undefined);

  app.get(`${CONSOLE}/users`, { preHandler: needUserAdmin }, async (request, reply) => {
    const q = request.query as Record<string, string>;
    return renderUsers(request, reply, { message: q.done ? t(ctxOf(request, reply).locale, 'saved') : undefined });
  });

  app.post(`${CONSOLE}/users`, { preHandler: needUserAdmin }, async (request, reply) => {
    const form = request.body as Form;
    const L = ctxOf(request, reply).locale;
    const name = (form.name ?? '').trim();
    const role = form.role as Role;
    const agency = form.agency || undefined;
    if (!USER_NAME_PATTERN.test(name)) return renderUsers(request, reply, { error: `name: expected letters, digits and . _ @ - (at most 64), got "${name.slice(0, 64)}"` }, 400);
    if (!(role in ROLE_RANK)) return renderUsers(request, reply, { error: `role: expected viewer, operator or admin, got "${String(form.role ?? '').slice(0, 20)}"` }, 400);
    if (agency && !getAgency(db, agency)?.active) return renderUsers(request, reply, { error: `agency: unknown agency "${agency.slice(0, 64)}"` }, 400);
    if (userByName(db, name)) return renderUsers(request, reply, { error: t(L, 'userExists') }, 400);
    const password = generatePassword();
    await createUser(db, { name, password, role, agency });
    request.log.info({ user: name, role, agency, by: request.consoleSession!.user.name }, 'console user added from the console');
    // Shown once, on this response only: never in a URL, a log or a later page.
    return renderUsers(request, reply, { shown: { name, password } });
  });

  app.post<{ Params: { id: string } }>(`${CONSOLE}/users/:id/password`, { preHandler: needUserAdmin }, async (request, reply) => {
    const user = getUser(db, Number(request.params.id));
    if (!user) return fail(request, reply, 404);
    const password = generatePassword();
    await setPassword(db, user.name, password); // ends the user's sessions
    request.log.info({ user: user.name, by: request.consoleSession!.user.name }, 'console password reset from the console');
    // For one's own account too: this page shows the new password; the next click asks to log in with it.
    return renderUsers(request, reply, { shown: { name: user.name, password } });
  });

  for (const action of ['disable', 'enable'] as const) {
    app.post<{ Params: { id: string } }>(`${CONSOLE}/users/:id/${action}`, { preHandler: needUserAdmin }, async (request, reply) => {
      const user = getUser(db, Number(request.params.id));
      if (!user) return fail(request, reply, 404);
      const L = ctxOf(request, reply).locale;
      if (action === 'disable') {
        if (user.name === request.consoleSession!.user.name) return renderUsers(request, reply, { error: t(L, 'cannotDisableSelf') }, 400);
        const admins = activeProvinceAdmins();
        if (admins.length === 1 && admins[0].id === user.id) return renderUsers(request, reply, { error: t(L, 'lastAdmin') }, 400);
      }
      setDisabled(db, user.id, action === 'disable');
      request.log.info({ user: user.name, by: request.consoleSession!.user.name, action }, 'console user changed from the console');
      return reply.redirect(`${CONSOLE}/users?done=${action}`, 303);
    });
  }

  await reportRoutes(app, { services: opts.services, need, send, fail, ctxOf, latest });
}
