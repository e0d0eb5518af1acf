// GET /api/v1/agencies/:id/devices: one agency's LAN device inventory, for operators.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorResponse, parseDuration, PATHS } from '../../../protocol/index.ts';
import { getAgency } from '../../state/agencies.ts';
import { DEFAULT_STALE_AFTER_MS, DEVICE_FILTERS, listDevices } from '../../state/devices.ts';
import { agencyScope } from '../plugins/operator-auth.ts';
import type { CollectorServices } from '../services.ts';

const Device = Type.Object({
  mac: Type.String(),
  subnet: Type.String(),
  ip: Type.String(),
  vendor: Type.Optional(Type.String()),
  hostname: Type.Optional(Type.String()),
  firstSeen: Type.String(),
  lastSeen: Type.String(),
  new: Type.Boolean(),
  stale: Type.Boolean(),
  ips: Type.Array(Type.Object({ ip: Type.String(), firstSeen: Type.String(), lastSeen: Type.String() })),
  exposures: Type.Array(Type.Object({ port: Type.String(), service: Type.String(), risk: Type.Integer(), lastSeen: Type.String() })),
});

const DevicesResponse = Type.Object({
  agency: Type.String(),
  agencyName: Type.String(),
  filter: Type.Optional(Type.String()),
  staleAfterSeconds: Type.Integer(),
  devices: Type.Array(Device),
});

/** The device inventory of one agency, for operators (an agency-scoped token sees only its own). */
export default async function deviceRoutes(app: FastifyInstance, opts: { services: CollectorServices }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    PATHS.agencyDevices,
    {
      preHandler: app.requireRole('viewer'),
      schema: {
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        querystring: Type.Object(
          {
            filter: Type.Optional(Type.Union(DEVICE_FILTERS.map((f) => Type.Literal(f)))),
            staleAfter: Type.Optional(Type.String({ maxLength: 16 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: DevicesResponse, 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const scope = agencyScope(request, id);
      if (!scope.ok) return reply.code(403).send({ error: 'forbidden', message: `this token may only see agency ${request.principal?.agency}` });
      const agency = await getAgency(opts.services.state, id);
      if (!agency) return reply.code(404).send({ error: 'not_found', message: `no agency "${id}"` });
      let staleAfterMs = opts.services.config?.devicesStaleAfterMs ?? DEFAULT_STALE_AFTER_MS;
      if (request.query.staleAfter !== undefined) {
        const ms = parseDuration(request.query.staleAfter);
        if (ms === undefined || ms < 1000) {
          return reply.code(400).send({ error: 'bad_request', message: `staleAfter: expected a duration of at least 1s such as 7d, got ${JSON.stringify(request.query.staleAfter)}` });
        }
        staleAfterMs = ms;
      }
      const devices = await listDevices(opts.services.state, id, { filter: request.query.filter, staleAfterMs });
      return { agency: id, agencyName: agency.name, filter: request.query.filter, staleAfterSeconds: Math.round(staleAfterMs / 1000), devices };
    },
  );
}
