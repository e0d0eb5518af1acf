// Agent authentication for the collector's HTTP side: identity comes from the bearer token alone,
// checked before the body is read; also the auth-guard marker operator-auth.ts reuses.
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ROTATED_TOKEN_HEADER } from '../../../protocol/index.ts';
import { agentByToken, type AgentRow } from '../../state/agents.ts';
import type { StateSql } from '../../state/sql/connect.ts';

declare module 'fastify' {
  interface FastifyRequest {
    agent?: AgentRow;
  }
  interface FastifyInstance {
    requireAgent: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1];
}

/** Marks a preHandler that only reads headers to authenticate: it is moved to onRequest (see below). */
export const AUTH_GUARD = Symbol.for('canhgac.authGuard');
export function authGuard<F extends object>(fn: F): F {
  return Object.assign(fn, { [AUTH_GUARD]: true });
}
const isGuard = (fn: unknown) => typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[AUTH_GUARD] === true;

/** Agent identity from the bearer token only; a revoked or unknown token is refused at once. */
export default fp(async function agentAuth(app, opts: { state: StateSql }) {
  // Routes name their guard as `preHandler`, which fastify runs after reading, parsing and validating the
  // body. Moved to onRequest, a caller without credentials is refused before any byte of its body is
  // read or a schema error tells it anything.
  app.addHook('onRoute', (route) => {
    const pre = [route.preHandler ?? []].flat();
    const guards = pre.filter(isGuard);
    if (guards.length === 0) return;
    route.preHandler = pre.filter((h) => !isGuard(h));
    route.onRequest = [...[route.onRequest ?? []].flat(), ...guards] as typeof route.onRequest;
  });
  app.decorateRequest('agent', undefined);
  app.decorate('requireAgent', authGuard(async (request: FastifyRequest, reply: FastifyReply) => {
    const token = bearerToken(request);
    if (!token) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'missing bearer token' });
    }
    const agent = token.length <= 200 ? await agentByToken(opts.state, token) : undefined;
    if (!agent) {
      return reply.code(401).header('www-authenticate', 'Bearer error="invalid_token"').send({ error: 'unauthorized', message: 'unknown or revoked token' });
    }
    if (agent.rotatedToken) reply.header(ROTATED_TOKEN_HEADER, agent.rotatedToken);
    request.agent = agent;
  }));
});
