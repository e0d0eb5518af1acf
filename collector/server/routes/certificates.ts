// GET /api/v1/certificates: the certificate inventory for operators, filtered by agency and expiry.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CertificateList, CertificateQuery, ErrorResponse, parseDuration, PATHS } from '../../../protocol/index.ts';
import { getAgency } from '../../state/agencies.ts';
import { listCertificates } from '../../state/certificates.ts';
import { agencyScope } from '../plugins/operator-auth.ts';
import type { CollectorServices } from '../services.ts';

/** `30d`, `2w`, `12h` → days; undefined when it is not a duration of at least an hour. */
export function expiringDays(text: string): number | undefined {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 3_600_000 || ms > 3650 * 86_400_000) return undefined;
  return ms / 86_400_000;
}

/** The province's certificate inventory, soonest expiry first; an agency-scoped principal sees only its own. */
export default async function certificateRoutes(app: FastifyInstance, opts: { services: CollectorServices }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    PATHS.certificates,
    {
      preHandler: app.requireRole('viewer'),
      schema: {
        querystring: CertificateQuery,
        response: { 200: CertificateList, 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { agency: requested, expiring, limit } = request.query;
      const scope = agencyScope(request, requested);
      if (!scope.ok) return reply.code(403).send({ error: 'forbidden', message: `this token may only see agency ${request.principal?.agency}` });
      if (requested && !(await getAgency(opts.services.state, requested))) return reply.code(404).send({ error: 'not_found', message: `no agency "${requested}"` });
      let withinDays: number | undefined;
      if (expiring !== undefined) {
        withinDays = expiringDays(expiring);
        if (withinDays === undefined) {
          return reply.code(400).send({ error: 'bad_request', message: `expiring: expected a duration from 1h to 3650d such as 30d, got ${JSON.stringify(expiring)}` });
        }
      }
      return { certificates: await listCertificates(opts.services.state, { agency: scope.agency, withinDays, limit }) };
    },
  );
}
