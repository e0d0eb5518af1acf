// Operator API for alerting: alerts, acknowledgements, silences and the notification history.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { parseDuration, PATHS } from '../../../protocol/index.ts';
import { MAX_MATCHERS, MAX_PATTERN_LENGTH } from '../../alerts/matchers.ts';
import { silenceProblem } from '../../alerts/silences.ts';
import { acknowledgeAlert, getAlert, listAlerts, listNotifications } from '../../alerts/alert-queries.ts';
import { addSilence, getSilence, listSilences, removeSilence } from '../../alerts/silence-store.ts';
import type { CollectorServices } from '../services.ts';
import { agencyScope } from '../plugins/operator-auth.ts';
import { actorOf, matcherText, recordAudit } from '../../state/audit.ts';

// The shape only; what a matcher may say is checked by silenceProblem (alerts/silences.ts), as on every path.
const Matchers = Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.String({ maxLength: MAX_PATTERN_LENGTH }), { maxProperties: MAX_MATCHERS });
const SilenceBody = Type.Object(
  {
    matchers: Matchers,
    startsAt: Type.Optional(Type.String({ format: 'date-time' })),
    endsAt: Type.Optional(Type.String({ format: 'date-time' })),
    duration: Type.Optional(Type.String({ maxLength: 20 })),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
);
type SilenceRequest = Static<typeof SilenceBody>;

/** A silence from an API body, pinned to the caller's own agency when it has one; or why not. */
function silenceOf(body: SilenceRequest, own: string | undefined, now: number): { matchers: Record<string, string>; startsAt: number; endsAt: number; reason: string } | { status: 400 | 403; message: string } {
  const matchers = { ...body.matchers };
  if (Object.keys(matchers).length === 0) return { status: 400, message: 'matchers: at least one matcher, such as {"agency": "so-y-te"}' };
  if (own) {
    if (matchers.agency !== undefined && matchers.agency !== own) return { status: 403, message: 'this token may only silence its own agency' };
    matchers.agency = own;
  }
  const startsAt = body.startsAt ? Date.parse(body.startsAt) : now;
  const durationMs = body.duration ? parseDuration(body.duration) : undefined;
  if (body.duration && durationMs === undefined) return { status: 400, message: `duration: expected a duration such as 2h, got "${body.duration}"` };
  const endsAt = body.endsAt ? Date.parse(body.endsAt) : durationMs !== undefined ? startsAt + durationMs : undefined;
  if (endsAt === undefined) return { status: 400, message: 'endsAt or duration is required' };
  const problem = silenceProblem({ matchers, startsAt, endsAt }, now);
  if (problem) return { status: 400, message: problem.message };
  return { matchers, startsAt, endsAt, reason: body.reason };
}

/**
 * Operator API for alerting. Agency-scoped principals see and act on their own agency only; their
 * silences are pinned to it. Acknowledgements and silences are plain rows: the engine reads them on its next tick.
 */
export default async function alertRoutes(app: FastifyInstance, opts: { services: CollectorServices }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const scoped = (request: FastifyRequest, reply: FastifyReply, agency?: string) => {
    const scope = agencyScope(request, agency);
    if (!scope.ok) {
      reply.code(403).send({ error: 'forbidden', message: 'this token is limited to another agency' });
      return undefined;
    }
    return scope;
  };

  r.get(
    PATHS.alerts,
    {
      preHandler: app.requireRole('viewer'),
      schema: {
        querystring: Type.Object({
          state: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('resolved'), Type.Literal('all')])),
          agency: Type.Optional(Type.String({ maxLength: 64 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        }),
      },
    },
    async (request, reply) => {
      const scope = scoped(request, reply, request.query.agency);
      if (!scope) return reply;
      return { alerts: await listAlerts(opts.services.state, { state: request.query.state ?? 'active', agency: scope.agency, limit: request.query.limit }) };
    },
  );

  r.post(
    PATHS.alertAck,
    {
      preHandler: app.requireRole('operator'),
      schema: {
        params: Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,15}$' }) })
      },
    },
    async (request, reply) => {
      // The body is optional (`{ "note": "..." }`), so it is checked here rather than by a schema.
      const note = (request.body as { note?: unknown } | undefined)?.note;
      if (note !== undefined && (typeof note !== 'string' || note.length > 500)) return reply.code(400).send({ error: 'bad_request', message: 'note: expected a text of at most 500 characters' });
      const alert = await getAlert(opts.services.state.db, Number(request.params.id));
      // Another agency's alert is answered exactly as a missing one: ids say nothing across agencies.
      if (!alert || alert.state === 'pending' || !agencyScope(request, alert.agency).ok) return reply.code(404).send({ error: 'not_found', message: `no alert ${request.params.id}` });
      if (alert.state !== 'firing') return reply.code(409).send({ error: 'conflict', message: `alert ${alert.id} is already resolved` });
      if (alert.ackedAt !== null) return reply.code(409).send({ error: 'conflict', message: `alert ${alert.id} was acknowledged by ${alert.ackedBy}` });
      const acked = await acknowledgeAlert(opts.services.state.db, alert.id, request.principal!.name, note, Date.now());
      await recordAudit(opts.services.state.db, { ...actorOf(request.principal), action: 'alert_ack', target: String(alert.id), agency: alert.agency, address: request.ip, detail: alert.rule });
      return { alert: acked };
    },
  );

  silenceRoutes(app, opts.services.state);

  r.get(
    PATHS.notifications,
    {
      preHandler: app.requireRole('viewer'),
      schema: {
        querystring: Type.Object({
          agency: Type.Optional(Type.String({ maxLength: 64 })),
          // `email`, or a configured channel's name (alerts.channels): one channel's deliveries.
          channel: Type.Optional(Type.String({ maxLength: 64 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        }),
      },
    },
    async (request, reply) => {
      const scope = scoped(request, reply, request.query.agency);
      if (!scope) return reply;
      return { notifications: await listNotifications(opts.services.state, { agency: scope.agency, channel: request.query.channel, limit: request.query.limit }) };
    },
  );
}

/** Silences through the API: listed by scope, added pinned to the caller's agency, removed; each change audited. */
function silenceRoutes(app: FastifyInstance, state: CollectorServices['state']): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(PATHS.silences, { preHandler: app.requireRole('viewer'), schema: { querystring: Type.Object({ all: Type.Optional(Type.Boolean()) }) } }, async (request) => {
    const list = await listSilences(state, Date.now(), { includeEnded: request.query.all });
    const agency = request.principal?.agency;
    return { silences: agency ? list.filter((s) => s.matchers.agency === agency) : list };
  });

  r.post(
    PATHS.silences,
    {
      preHandler: app.requireRole('operator'),
      schema: { body: SilenceBody },
    },
    async (request, reply) => {
      const built = silenceOf(request.body, request.principal?.agency, Date.now());
      if ('status' in built) return reply.code(built.status).send({ error: built.status === 403 ? 'forbidden' : 'bad_request', message: built.message });
      const silence = await addSilence(state.db, { ...built, author: request.principal!.name }, Date.now());
      await recordAudit(state.db, { ...actorOf(request.principal), action: 'silence_add', target: String(silence.id), agency: built.matchers.agency, address: request.ip, detail: matcherText(built.matchers) });
      return { silence };
    },
  );

  r.delete(
    PATHS.silence,
    { preHandler: app.requireRole('operator'), schema: { params: Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,15}$' }) }) } },
    async (request, reply) => {
      const s = await getSilence(state, Number(request.params.id));
      const own = request.principal?.agency;
      // Another agency's silence is answered exactly as a missing one.
      if (!s || s.removedAt !== null || (own && s.matchers.agency !== own)) return reply.code(404).send({ error: 'not_found', message: `no active silence ${request.params.id}` });
      await removeSilence(state.db, s.id, request.principal!.name, Date.now());
      await recordAudit(state.db, { ...actorOf(request.principal), action: 'silence_remove', target: String(s.id), agency: s.matchers.agency, address: request.ip, detail: matcherText(s.matchers) });
      return { removed: s.id };
    },
  );
}
