// POST /api/v1/enroll: a one-time enrolment code, redeemed once, becomes an agent and its token.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { EnrollRequest, EnrollResponse, ErrorResponse, PATHS } from '../../../protocol/index.ts';
import { getAgency } from '../../state/agencies.ts';
import { createAgent } from '../../state/agents.ts';
import type { DB } from '../../state/db.ts';
import { redeemEnrollCode } from '../../state/enroll-codes.ts';

const REASONS = {
  unknown: 'unknown enrolment code',
  used: 'this enrolment code was already used; ask for a new one',
  expired: 'this enrolment code has expired; ask for a new one',
} as const;

export default async function enrollRoutes(app: FastifyInstance, opts: { db: DB }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.post(
    PATHS.enroll,
    {
      schema: { body: EnrollRequest, response: { 200: EnrollResponse, 403: ErrorResponse } },
      config: { rateLimitKey: 'enroll' },
    },
    async (request, reply) => {
      const { code, hostname, version, os } = request.body;
      const db = opts.db;
      const result = db.transaction(() => {
        const redeemed = redeemEnrollCode(db, code, hostname);
        if (!redeemed.ok) return redeemed;
        const created = createAgent(db, { agency: redeemed.agency, hostname, os, version });
        return { ok: true as const, ...created };
      })();
      if (!result.ok) {
        request.log.warn({ reason: result.reason, hostname }, 'enrolment refused');
        return reply.code(403).send({ error: 'enrolment_refused', message: REASONS[result.reason] });
      }
      const agency = getAgency(db, result.agent.agency)!;
      request.log.info({ agent: result.agent.id, agency: agency.id }, 'agent enrolled');
      return { agentId: result.agent.id, agency: agency.id, agencyName: agency.name, token: result.token };
    },
  );
}
