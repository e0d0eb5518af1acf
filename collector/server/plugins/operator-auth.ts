// Operator authentication and authorisation for every non-agent endpoint: API tokens, console
// sessions (added by the console), role checks and the agency scope of a principal.
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { principalByAdminToken, roleAtLeast, type Principal, type Role } from '../../state/admin-tokens.ts';
import type { StateSql } from '../../state/sql/connect.ts';
import { authGuard, bearerToken } from './agent-auth.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyInstance {
    /** preHandler for operator endpoints: `preHandler: app.requireRole('viewer')`. */
    requireRole: (role: Role) => (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** Extra ways to find a principal (the web console adds its session cookie here). */
    principalResolvers: ((request: FastifyRequest) => Principal | undefined | Promise<Principal | undefined>)[];
  }
}

/**
 * Every non-agent endpoint needs an operator principal: an API token (`canhgac-collector token create`)
 * or a web console session (collector/console/plugin.ts adds its resolver to `principalResolvers`; an
 * unsafe method then also needs the CSRF token). Agent tokens never pass here. A principal scoped to
 * an agency must be filtered by the route (see `agencyScope`).
 */
export default fp(async function operatorAuth(app, opts: { state: StateSql }) {
  app.decorateRequest('principal', undefined);
  app.decorate('principalResolvers', [
    (request: FastifyRequest) => {
      const token = bearerToken(request);
      return token && token.length <= 200 ? principalByAdminToken(opts.state, token) : undefined;
    },
  ]);
  app.decorate('requireRole', (role: Role) => authGuard(async (request: FastifyRequest, reply: FastifyReply) => {
    let principal: Principal | undefined;
    for (const resolve of app.principalResolvers) {
      principal = await resolve(request);
      if (principal) break;
    }
    if (!principal) return reply.code(401).send({ error: 'unauthorized', message: 'an operator token or session is required' });
    if (!roleAtLeast(principal.role, role)) {
      return reply.code(403).send({ error: 'forbidden', message: `needs the ${role} role` });
    }
    request.principal = principal;
  }));
});

/** The agency a request may see: the principal's own when scoped (a request for another is refused by the caller). */
export function agencyScope(request: FastifyRequest, requested?: string): { ok: true; agency?: string } | { ok: false } {
  const scoped = request.principal?.agency;
  if (!scoped) return { ok: true, agency: requested };
  if (requested && requested !== scoped) return { ok: false };
  return { ok: true, agency: scoped };
}
