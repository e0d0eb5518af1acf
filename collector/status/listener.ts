// The status page on a listener of its own: a fastify app that serves nothing but /status, so it can be
// exposed to the internet while the console and the agent API stay on the internal port.
import Fastify, { type FastifyInstance } from 'fastify';
import { guardConnections } from '../server/connection-limits.ts';
import type { StatusCache } from './cache.ts';
import statusRoutes from './routes.ts';

export interface StatusListenerOptions {
  host: string;
  port: number;
  https?: { cert: string; key: string };
  /** The collector's listener bounds apply here too (a citizen's browser is no more trusted than an agent). */
  limits: { headersTimeoutMs: number; requestTimeoutMs: number; idleTimeoutMs: number; maxConnectionsPerAddress: number };
  log: { warn(o: object, m: string): void };
}

export async function startStatusListener(cache: StatusCache, o: StatusListenerOptions): Promise<{ app: FastifyInstance; url: string }> {
  const serverLimits = { headersTimeout: o.limits.headersTimeoutMs, connectionsCheckingInterval: Math.max(250, Math.min(5000, Math.floor(o.limits.headersTimeoutMs / 4))) };
  const app = Fastify({
    logger: false,
    bodyLimit: 1024,
    requestTimeout: o.limits.requestTimeoutMs,
    connectionTimeout: o.limits.idleTimeoutMs,
    ...(o.https ? { https: { ...o.https, ...serverLimits } } : { http: serverLimits }),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
  guardConnections(app.server, { maxPerAddress: o.limits.maxConnectionsPerAddress, silentTimeoutMs: o.limits.headersTimeoutMs }, o.log);
  app.get('/', async (_q, reply) => reply.redirect('/status', 302));
  await app.register(statusRoutes, { cache });
  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (err) {
    await app.close();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host === '0.0.0.0' ? '127.0.0.1' : o.host;
  return { app, url: `${o.https ? 'https' : 'http'}://${host}:${port}` };
}
