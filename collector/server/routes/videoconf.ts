// POST /api/v1/videoconf/check, the pre-meeting readiness check: asks every agent running the
// videoconf check to run it now, through the command channel, and waits for their results.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  COMMAND_POLL_MAX_WAIT_SECONDS,
  ErrorResponse,
  PATHS,
  VideoconfCheckRequest,
  VideoconfCheckResponse,
  type MeetingAgent,
  type MeetingEndpoint,
  type RunCheckPayload,
  type WireSample,
} from '../../../protocol/index.ts';
import { agentsRunning, createCommand, getCommands, type CommandRow, type PollingAgent } from '../../state/commands.ts';
import { agencyScope } from '../plugins/operator-auth.ts';
import type { CollectorServices } from '../services.ts';

/** An agent that polled within this long is asked; older pollers are reported `offline`, not waited for. */
const ONLINE_MS = 2 * COMMAND_POLL_MAX_WAIT_SECONDS * 1000 + 10_000;
const DEFAULT_WAIT_S = 10;
/** The agent must finish this much before the operator stops waiting, so its answer can travel back. */
const ANSWER_MARGIN_MS = 1500;

const FINISHED = new Set(['done', 'failed', 'unsupported', 'expired']);

/**
 * `POST /api/v1/videoconf/check`: the pre-meeting readiness check. Queues a `run-check videoconf`
 * command for every agent that runs the check, waits (bounded) for their fresh results and answers
 * with one row per endpoint; an agent that does not answer in time is shown with its endpoints' last
 * known values (`fresh: false`) when InfluxDB has them.
 */
export default async function videoconfRoutes(app: FastifyInstance, opts: { services: CollectorServices }) {
  const { state } = opts.services;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.post(
    PATHS.videoconfCheck,
    {
      preHandler: app.requireRole('operator'),
      schema: { body: VideoconfCheckRequest, response: { 200: VideoconfCheckResponse, 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse } },
    },
    async (request, reply) => {
      const body = request.body ?? {};
      const scope = agencyScope(request, body.agency);
      if (!scope.ok) return reply.code(403).send({ error: 'forbidden', message: 'this token may only check its own agency' });
      const waitMs = (body.wait ?? DEFAULT_WAIT_S) * 1000;
      const requestedAt = Date.now();
      const agents = await agentsRunning(state, 'videoconf', scope.agency);
      const asked = new Map<string, string>();
      const payload: RunCheckPayload = { type: 'videoconf', deadlineMs: Math.max(1000, waitMs - ANSWER_MARGIN_MS) };
      for (const a of agents) {
        if (requestedAt - a.polledAt > ONLINE_MS) continue;
        asked.set(a.id, await createCommand(state, a.id, 'run-check', payload, waitMs, requestedAt));
        app.commandHub.wakeAgent(a.id);
      }
      const ids = [...asked.values()];
      const gone = new AbortController();
      // The response's close (not the request's: that one fires once the body is read) means the operator left.
      reply.raw.once('close', () => gone.abort());
      await app.commandHub.waitForResults(ids, waitMs, async () => (await getCommands(state, ids)).every((c) => FINISHED.has(c.status)), gone.signal);
      const commands = new Map((await getCommands(state, ids)).map((c) => [c.agentId, c]));

      const rows: MeetingAgent[] = [];
      const endpoints: MeetingEndpoint[] = [];
      const silent: PollingAgent[] = [];
      for (const a of agents) {
        const c = commands.get(a.id);
        const status = agentStatus(c);
        rows.push({
          agent: a.id,
          agency: a.agency,
          hostname: a.hostname,
          status,
          lastPollAt: new Date(a.polledAt).toISOString(),
          ...(c?.result?.message ? { message: c.result.message } : {}),
        });
        const fresh = (c?.result?.samples ?? []).filter((s) => s.measurement === 'videoconf');
        for (const s of fresh) endpoints.push(endpointRow(s, a, true));
        if (fresh.length === 0) silent.push(a);
      }
      endpoints.push(...(await lastKnown(opts.services, silent, request.log)));
      endpoints.sort((x, y) => x.agency.localeCompare(y.agency) || x.endpoint.localeCompare(y.endpoint));
      const ready = endpoints.filter((e) => e.fresh && e.ready === 1).length;
      return {
        requestedAt: new Date(requestedAt).toISOString(),
        answeredAt: new Date().toISOString(),
        agents: rows,
        endpoints,
        summary: {
          endpoints: endpoints.length,
          ready,
          notReady: endpoints.length - ready,
          agentsAsked: asked.size,
          agentsAnswered: rows.filter((x) => x.status === 'answered' || x.status === 'failed').length,
        },
      };
    },
  );
}

function agentStatus(c: CommandRow | undefined): MeetingAgent['status'] {
  if (!c) return 'offline';
  if (c.status === 'done') return 'answered';
  if (c.status === 'failed' || c.status === 'unsupported') return c.status;
  return 'no_answer';
}

function endpointRow(s: Pick<WireSample, 'tags' | 'fields' | 'time'>, a: PollingAgent, fresh: boolean): MeetingEndpoint {
  const { ready, ...fields } = s.fields;
  return {
    agency: a.agency,
    agent: a.id,
    endpoint: s.tags.endpoint,
    ...(s.tags.address ? { address: s.tags.address } : {}),
    fresh,
    measuredAt: s.time,
    ready: fresh && ready === 1 ? 1 : 0,
    fields: fresh ? fields : { ...fields, last_ready: typeof ready === 'number' ? ready : 0 },
  };
}

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The last videoconf row per endpoint (within a day) of agents that did not answer. Best effort. */
async function lastKnown(services: CollectorServices, agents: PollingAgent[], log: { warn(o: object, m: string): void }): Promise<MeetingEndpoint[]> {
  if (!services.influx || agents.length === 0) return [];
  const out: MeetingEndpoint[] = [];
  for (const a of agents) {
    try {
      const rows = (await services.influx.query(
        `SELECT * FROM "videoconf" WHERE "agent" = ${quote(a.id)} AND time > now() - 1d GROUP BY "endpoint" ORDER BY time DESC LIMIT 1`,
      )) as unknown as Record<string, unknown>[];
      for (const row of rows) {
        const tags: Record<string, string> = {};
        const fields: Record<string, number | string> = {};
        for (const [k, v] of Object.entries(row)) {
          if (k === 'time' || v === null || v === undefined) continue;
          if (['endpoint', 'address', 'group', 'agency', 'agent'].includes(k)) tags[k] = String(v);
          else if (typeof v === 'number' || typeof v === 'string') fields[k] = v;
        }
        if (!tags.endpoint) continue;
        const time = row.time instanceof Date ? row.time.toISOString() : String(row.time);
        out.push(endpointRow({ tags, fields, time }, a, false));
      }
    } catch (err) {
      log.warn({ err, agent: a.id }, 'cannot read the last videoconf values from InfluxDB');
    }
  }
  return out;
}
