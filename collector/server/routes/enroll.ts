// POST /api/v1/enroll: a one-time enrolment code, redeemed once, becomes an agent and its token.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { EnrollRequest, EnrollResponse, ErrorResponse, PATHS } from '../../../protocol/index.ts';
import { getAgency } from '../../state/agencies.ts';
import { createAgent } from '../../state/agents.ts';
import type { StateSql } from '../../state/sql/connect.ts';
import { redeemEnrollCode } from '../../state/enroll-codes.ts';
import { KeyLimiter, LogBudget, type KeyLimit } from '../key-limiter.ts';

// One answer for unknown, used and expired codes: a caller guessing codes learns nothing about which
// exist. The operator sees each code's state in `canhgac-collector enroll-code` output and the console.
const REFUSED = 'enrolment code not accepted (unknown, already used or expired); ask the provincial IT centre for a new one';

/** Enrolment is rare (once per agent): a burst of 10 tries per address, then one a minute. */
export const ENROLL_LIMIT: KeyLimit = { perSecond: 1 / 60, burst: 10 };

export default async function enrollRoutes(app: FastifyInstance, opts: { state: StateSql; limit?: KeyLimit }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const limiter = new KeyLimiter(opts.limit ?? ENROLL_LIMIT);
  const refusals = new LogBudget(20);
  r.post(
    PATHS.enroll,
    {
      schema: { body: EnrollRequest, response: { 200: EnrollResponse, 403: ErrorResponse, 429: ErrorResponse } },
      // Before the body is read: a flood of guesses costs neither parsing nor a database lookup.
      onRequest: async (request, reply) => {
        const taken = limiter.take(request.ip);
        if (taken.ok) return;
        refusals.log(Date.now(), (skipped) => request.log.warn({ address: request.ip, skipped }, 'enrolment attempts over the per-address limit'));
        return reply.code(429).header('retry-after', String(taken.retryAfterSeconds)).send({ error: 'too_many_requests', message: `too many enrolment attempts from this address; retry in ${taken.retryAfterSeconds} s` });
      },
    },
    async (request, reply) => {
      const { code, hostname, version, os } = request.body;
      // The code is spent only if the agent is created: one transaction (on SQLite, the same connection).
      const result = await opts.state.db.transaction().execute(async (trx) => {
        const redeemed = await redeemEnrollCode(trx, code, hostname);
        if (!redeemed.ok) return redeemed;
        const created = await createAgent(trx, { agency: redeemed.agency, hostname, os, version });
        return { ok: true as const, ...created };
      });
      if (!result.ok) {
        // The hostname is the caller's own text: not logged, and refusals are logged within a budget.
        refusals.log(Date.now(), (skipped) => request.log.warn({ reason: result.reason, address: request.ip, skipped }, 'enrolment refused'));
        return reply.code(403).send({ error: 'enrolment_refused', message: REFUSED });
      }
      const agency = (await getAgency(opts.state, result.agent.agency))!;
      request.log.info({ agent: result.agent.id, agency: agency.id }, 'agent enrolled');
      return { agentId: result.agent.id, agency: agency.id, agencyName: agency.name, token: result.token };
    },
  );
}
