// GET /api/v1/compliance: the security posture per agency and agent, for operators.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ComplianceQuery, ComplianceReport, ErrorResponse, PATHS } from '../../../protocol/index.ts';
import { getAgency, listAgencies } from '../../state/agencies.ts';
import { complianceReport } from '../../state/compliance.ts';
import { agencyScope } from '../plugins/operator-auth.ts';
import type { CollectorServices } from '../services.ts';

/** Latest security score per agency and agent, failing checks with remediation (vi/en), waivers. Any operator role may read it. */
export default async function complianceRoutes(app: FastifyInstance, opts: { services: CollectorServices }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    PATHS.compliance,
    {
      preHandler: app.requireRole('viewer'),
      schema: { querystring: ComplianceQuery, response: { 200: ComplianceReport, 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse } },
    },
    async (request, reply) => {
      const requested = request.query.agency;
      const scope = agencyScope(request, requested);
      if (!scope.ok) return reply.code(403).send({ error: 'forbidden', message: `this token may only see agency ${request.principal?.agency}` });
      if (requested && !(await getAgency(opts.services.state, requested))) return reply.code(404).send({ error: 'not_found', message: `no agency "${requested}"` });
      return complianceReport(opts.services.state, await listAgencies(opts.services.state), { agency: scope.agency });
    },
  );
}
