// What every console route plugin shares: session and role checks, page rendering, agency scoping and the
// form schemas' building blocks, built once per collector from its services.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TProperties } from 'typebox';
import type { AlertRow } from '../alerts/store.ts';
import { summaryOf } from '../alerts/templates.ts';
import type { CollectorServices } from '../server/services.ts';
import { roleAtLeast, type Role } from '../state/admin-tokens.ts';
import { getAgency, listAgencies } from '../state/agencies.ts';
import { recordAudit, type AuditAction } from '../state/audit.ts';
import { sessionById, type Session } from '../state/sessions.ts';
import { principalOfUser } from '../state/users.ts';
import { t, type Locale } from './i18n.ts';
import { CONSOLE, type PageContext } from './layout.ts';
import { messagePage } from './pages/login.ts';
import { LANG_COOKIE, parseCookies, sameOrigin, sameToken, sessionIdOf, setLangCookie } from './session-cookie.ts';

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: Session;
    /** The name of the signed-in user's agency, for the page header (read once, in `need`). */
    consoleAgencyName?: string;
  }
}

export const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** An optional form field; the bound keeps a hostile post from making us trim or store megabytes. */
export const text = (maxLength: number) => Type.Optional(Type.String({ maxLength }));

/**
 * A form body: the CSRF token plus the form's own fields, all optional text (the route says what a
 * missing one means). A field no console form has is refused rather than silently ignored.
 */
export function formBody<P extends TProperties>(fields: P) {
  return Type.Object({ _csrf: text(128), ...fields }, { additionalProperties: false });
}

/** The `:id` of a console URL (an alert, silence, user or agent); the route looks it up and answers 404. */
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

export type ConsoleContext = ReturnType<typeof consoleContext>;

export function consoleContext(services: CollectorServices) {
  const { state, latest } = services;
  const rules = new Map((services.config?.alerting.alerts.rules ?? []).map((r) => [r.name, r]));

  const localeOf = (request: FastifyRequest, reply: FastifyReply): Locale => {
    const q = (request.query as Record<string, unknown> | undefined)?.lang;
    if (q === 'vi' || q === 'en') {
      setLangCookie(request, reply, q);
      return q;
    }
    return parseCookies(request.headers.cookie)[LANG_COOKIE] === 'en' ? 'en' : 'vi';
  };

  const names = async () => new Map((await listAgencies(state, { includeInactive: true })).map((a) => [a.id, a.name]));

  const ctxOf = (request: FastifyRequest, reply: FastifyReply): PageContext => {
    const s = request.consoleSession;
    return {
      locale: localeOf(request, reply),
      url: request.url,
      csrf: s?.csrf,
      user: s ? { name: s.user.name, role: s.user.role, agency: s.user.agency, agencyName: request.consoleAgencyName } : undefined,
    };
  };

  const send = (reply: FastifyReply, body: string, status = 200) => reply.code(status).type('text/html; charset=utf-8').send(body);

  const fail = (request: FastifyRequest, reply: FastifyReply, status: number, message?: string) => {
    const ctx = ctxOf(request, reply);
    const title = status === 403 ? t(ctx.locale, 'forbidden') : status === 404 ? t(ctx.locale, 'notFound') : t(ctx.locale, 'badRequest');
    return send(reply, messagePage(ctx, title, message ?? title), status);
  };

  /**
   * preValidation: a valid session with at least `role`; a form post must also carry its CSRF token. It
   * runs before the body schema, so a caller without a session learns nothing from validation errors.
   */
  const need = (role: Role) => async (request: FastifyRequest, reply: FastifyReply) => {
    const id = sessionIdOf(request);
    const session = id ? await sessionById(state, id) : undefined;
    if (!session) {
      if (request.method === 'GET') return reply.redirect(`${CONSOLE}/login?next=${encodeURIComponent(request.url)}`, 303);
      return fail(request, reply, 403, t(localeOf(request, reply), 'csrfFailed'));
    }
    request.consoleSession = session;
    if (session.user.agency) request.consoleAgencyName = (await getAgency(state, session.user.agency))?.name;
    request.principal = principalOfUser(session.user);
    if (UNSAFE_METHODS.has(request.method)) {
      // Not validated yet: whatever the body is, only a string equal to the token passes.
      const csrf = (request.body as { _csrf?: unknown } | null | undefined)?._csrf;
      if (!sameOrigin(request) || typeof csrf !== 'string' || !sameToken(csrf, session.csrf)) return fail(request, reply, 403, t(localeOf(request, reply), 'csrfFailed'));
    }
    if (!roleAtLeast(session.user.role, role)) return fail(request, reply, 403);
  };

  /** The agency a scoped user may see; undefined for everyone else. */
  const scopeOf = (request: FastifyRequest) => request.consoleSession?.user.agency;
  const mayAct = (request: FastifyRequest, role: Role) => roleAtLeast(request.consoleSession?.user.role, role);
  /** The signed-in user's name, for logs and authorship (routes behind `need` only). */
  const userName = (request: FastifyRequest) => request.consoleSession!.user.name;
  const visibleAgencies = async (request: FastifyRequest) => (await listAgencies(state)).filter((a) => !scopeOf(request) || a.id === scopeOf(request)).map((a) => ({ id: a.id, name: a.name }));
  // Accounts and the mail relay: province-wide administrators only (an agency-scoped admin manages agents).
  const needUserAdmin = [need('admin'), async (request: FastifyRequest, reply: FastifyReply) => (scopeOf(request) ? fail(request, reply, 403) : undefined)];

  /** `names` from `names()`, read once per page rather than once per alert. */
  const summarize = (locale: Locale, agencyNames: Map<string, string>) => (a: AlertRow) =>
    summaryOf({ id: a.id, rule: rules.get(a.rule), ruleName: a.rule, severity: a.severity, agency: a.agency, labels: a.labels, value: a.value, firedAt: a.firedAt ?? a.activeSince }, locale, agencyNames.get(a.agency));

  /** One audit entry for what the signed-in user just did, from the request's address. */
  const audit = (request: FastifyRequest, action: AuditAction, what: { target?: string; agency?: string; detail?: string } = {}) =>
    recordAudit(state.db, { actor: request.consoleSession?.user.name ?? '-', actorKind: request.consoleSession ? 'user' : 'anonymous', action, address: request.ip, ...what });

  return { services, latest, rules, audit, localeOf, names, ctxOf, send, fail, need, needUserAdmin, scopeOf, mayAct, userName, visibleAgencies, summarize };
}
