// GET /healthz (the process answers) and /readyz (it can take samples now; see readiness.ts).
import type { FastifyInstance } from 'fastify';
import { PATHS } from '../../../protocol/index.ts';

export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
  [k: string]: unknown;
}

export default async function healthRoutes(app: FastifyInstance, opts: { readiness: () => Promise<Readiness> }) {
  app.get(PATHS.healthz, async () => ({ status: 'ok' }));
  app.get(PATHS.readyz, async (_request, reply) => {
    const r = await opts.readiness();
    return reply.code(r.ready ? 200 : 503).send(r);
  });
}
