// GET /api/v1/web-findings: the web integrity inventory for operators (watched sites and findings,
// with evidence and first/last seen), for one agency or the whole province.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorResponse, PATHS } from '../../../protocol/index.ts';
import { getAgency } from '../../state/agencies.ts';
import { listWebFindings, listWebSites } from '../../state/web-findings.ts';
import type { CollectorServices } from '../services.ts';

const WebFinding = Type.Object({
  agency: Type.String(),
  agencyName: Type.String(),
  agent: Type.String(),
  agentHostname: Type.Optional(Type.String()),
  site: Type.String(),
  siteName: Type.Optional(Type.String()),
  kind: Type.String(),
  url: Type.String(),
  evidence: Type.String(),
  count: Type.Integer(),
  firstSeen: Type.String(),
  lastSeen: Type.String(),
  present: Type.Boolean(),
});

const WebSite = Type.Object({
  agency: Type.String(),
  agencyName: Type.String(),
  agent: Type.String(),
  site: Type.String(),
  name: Type.Optional(Type.String()),
  lastRun: Type.String(),
  up: Type.Boolean(),
  result: Type.String(),
  pagesCrawled: Type.Integer(),
  pagesFlagged: Type.Integer(),
  defaced: Type.Boolean(),
  homeSimilarity: Type.Optional(Type.Number()),
  error: Type.Optional(Type.String()),
});

export const WebFindingsResponse = Type.Object({ sites: Type.Array(WebSite), findings: Type.Array(WebFinding) });

const Query = Type.Object(
  {
    agency: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    present: Type.Optional(Type.Boolean()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  },
  { additionalProperties: false },
);

/**
 * An agency-scoped principal sees only its agency; asking for another gets exactly the answer for an
 * agency that does not exist, so the API does not tell which agencies exist.
 */
export default async function webFindingRoutes(app: FastifyInstance, opts: { services: CollectorServices }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    PATHS.webFindings,
    {
      preHandler: app.requireRole('viewer'),
      schema: { querystring: Query, response: { 200: WebFindingsResponse, 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse } },
    },
    async (request, reply) => {
      const { agency: requested, present, limit } = request.query;
      const scoped = request.principal?.agency;
      if (requested && ((scoped && requested !== scoped) || !(await getAgency(opts.services.state, requested)))) {
        return reply.code(404).send({ error: 'not_found', message: `no agency "${requested}"` });
      }
      const agency = scoped ?? requested;
      const { state } = opts.services;
      return { sites: await listWebSites(state, agency), findings: await listWebFindings(state, { agency, presentOnly: present === true, limit }) };
    },
  );
}
