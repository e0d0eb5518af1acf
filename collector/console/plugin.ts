// The web console as one fastify plugin: the hooks every console page shares (headers, form parser, error
// page, session as an API principal, assets), then one small route plugin per area.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CollectorServices } from '../server/services.ts';
import type { Principal } from '../state/admin-tokens.ts';
import { sessionById } from '../state/sessions.ts';
import { principalOfUser } from '../state/users.ts';
import { consoleContext, UNSAFE_METHODS, type ConsoleContext } from './context.ts';
import { t, type Locale } from './i18n.ts';
import { CONSOLE } from './layout.ts';
import agencyRoutes from './routes/agency.ts';
import agentRoutes from './routes/agents.ts';
import alertRoutes from './routes/alerts.ts';
import overviewRoutes from './routes/overview.ts';
import reportRoutes from './routes/report.ts';
import sessionRoutes from './routes/session.ts';
import userRoutes from './routes/users.ts';
import adminRoutes from './routes/admin.ts';
import noticeRoutes from './routes/notices.ts';
import webFindingRoutes from './routes/web-findings.ts';
import fleetConsoleRoutes from './routes/fleet.ts';
import releaseConsoleRoutes from './routes/releases.ts';
import { sameToken, sessionIdOf } from './session-cookie.ts';
import { messagePage } from './pages/login.ts';
import { STATE_RETRY_AFTER_S, stateUnreachable } from '../state/sql/unreachable.ts';

export interface ConsoleOptions {
  services: CollectorServices;
}

const ASSETS = join(import.meta.dirname, 'assets');
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

interface SchemaIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
}

/** A schema failure as a person reads it: the field's name, then what was wrong with it, in their language. */
function schemaMessage(L: Locale, issues: SchemaIssue[], context: string | undefined): string {
  const issue = issues[0];
  if (!issue) return t(L, 'badRequest');
  const p = issue.params;
  const field = issue.instancePath.replace(/^\//, '') || String(p.additionalProperty ?? p.missingProperty ?? context ?? 'body');
  if (issue.keyword === 'maxLength') return t(L, 'fieldTooLong', { field, n: String(p.limit) });
  if (issue.keyword === 'type') return t(L, 'fieldNotText', { field });
  if (issue.keyword === 'additionalProperties') return t(L, 'fieldUnexpected', { field });
  return t(L, 'fieldInvalid', { field });
}

function errorHandler(cx: ConsoleContext) {
  return (err: Error & { statusCode?: number; validation?: SchemaIssue[]; validationContext?: string }, request: FastifyRequest, reply: FastifyReply) => {
    const status = err.validation ? 400 : (err.statusCode ?? 500);
    const L = cx.localeOf(request, reply);
    if (stateUnreachable(err)) {
      request.log.warn({ err: err.message }, 'state database unreachable: console page answered 503');
      reply.header('retry-after', String(STATE_RETRY_AFTER_S));
      return cx.send(reply, messagePage(cx.ctxOf(request, reply), t(L, 'stateUnavailableTitle'), t(L, 'stateUnavailable')), 503);
    }
    if (status >= 500) {
      request.log.error({ err }, 'console page failed');
      return cx.fail(request, reply, 500, t(L, 'internalError'));
    }
    if (err.validation) return cx.fail(request, reply, 400, schemaMessage(L, err.validation, err.validationContext));
    // fastify's own refusals (body too large, unknown content type, malformed body) carry English text.
    return cx.fail(request, reply, status, t(L, status === 413 ? 'formTooLarge' : status === 415 ? 'formUnsupported' : 'badRequest'));
  };
}

/**
 * The web console: server-rendered pages under /console on the collector's own port, logins with
 * sessions, and the session as a way into the operator API (with the same agency scoping).
 */
export default async function consolePlugin(app: FastifyInstance, opts: ConsoleOptions) {
  const cx = consoleContext(opts.services);

  // The session opens the operator API too; an unsafe method needs the CSRF token as a header, so a
  // cross-site form can never act with the cookie.
  app.principalResolvers.push(async (request): Promise<Principal | undefined> => {
    const id = sessionIdOf(request);
    if (!id) return undefined;
    const session = await sessionById(opts.services.state, id);
    if (!session) return undefined;
    if (UNSAFE_METHODS.has(request.method) && !sameToken(request.headers['x-csrf-token'] as string | undefined, session.csrf)) return undefined;
    return principalOfUser(session.user);
  });

  // Forms post urlencoded bodies; this parser exists only inside the console's scope. The first of a
  // repeated field wins; a null prototype keeps names such as `__proto__` plain fields (the schema refuses them).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => {
    const form: Record<string, string> = Object.create(null);
    // A repeated field (a group of checkboxes) arrives as its values joined by commas; the body limit bounds it.
    for (const [k, v] of new URLSearchParams(body as string)) form[k] = Object.hasOwn(form, k) ? `${form[k]},${v}` : v;
    done(null, form);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (!reply.getHeader('content-security-policy')) reply.header('content-security-policy', CSP);
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('cross-origin-opener-policy', 'same-origin');
    if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000');
    if (!reply.getHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.setErrorHandler(errorHandler(cx));

  // Assets: local files, no CDN (agencies have no internet).
  const css = readFileSync(join(ASSETS, 'console.css'));
  const js = readFileSync(join(ASSETS, 'console.js'));
  app.get(`${CONSOLE}/assets/console.css`, async (_q, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(css));
  app.get(`${CONSOLE}/assets/console.js`, async (_q, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(js));
  app.get('/', async (_q, reply) => reply.redirect(`${CONSOLE}/`, 302));
  app.get(CONSOLE, async (_q, reply) => reply.redirect(`${CONSOLE}/`, 302));

  for (const routes of [sessionRoutes, overviewRoutes, agencyRoutes, alertRoutes, agentRoutes, userRoutes, adminRoutes, noticeRoutes, reportRoutes, webFindingRoutes, fleetConsoleRoutes, releaseConsoleRoutes]) await app.register(routes, { cx });
}
