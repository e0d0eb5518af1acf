// POST /api/v1/samples, the ingest endpoint: rate limit, validate and enrich, feed the observers
// (inventories, alerting), and answer 2xx only once the samples are durable (InfluxDB or the spool).
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AGENT_VERSION_HEADER, ErrorResponse, IngestResponse, PATHS, SampleBatch, type Rejection } from '../../../protocol/index.ts';
import { prepareBatch, type AgentIdentity } from '../../ingest/ingest.ts';
import type { IngestStats } from '../../ingest/stats.ts';
import { touchAgent } from '../../state/agents.ts';
import type { StateSql } from '../../state/sql/connect.ts';
import type { WireSample } from '../../../protocol/index.ts';
import { notifyObservers, type SampleObserver } from '../../ingest/observers.ts';
import type { AgentRateLimiter } from '../../ingest/rate-limit.ts';
import { StoreRefusedError } from '../../storage.ts';

export interface SamplesRouteOptions {
  state: StateSql;
  stats: IngestStats;
  /**
   * Durable hand-off of accepted samples (InfluxDB, or the spool when it is down); rejects when neither
   * works. Must take what it needs from the samples before it returns.
   */
  store: (samples: WireSample[]) => Promise<void>;
  window: { maxAgeMs: number; maxFutureMs: number };
  observers: SampleObserver[];
  rateLimit?: AgentRateLimiter;
}

/** last_seen is for people and silence alerts, not to the millisecond: one SQLite write per agent per 10 s at most. */
const TOUCH_EVERY_MS = 10_000;

export default async function samplesRoutes(app: FastifyInstance, opts: SamplesRouteOptions) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  /**
   * Validate, start the durable write, tell the observers. Synchronous on purpose: the samples live
   * only in here, so none of them is held by a request that waits for InfluxDB.
   */
  const budget = opts.stats.seriesBudget;
  const admit = budget ? budget.admit.bind(budget) : undefined;
  const ingest = (agent: AgentIdentity, raw: unknown[], log: FastifyBaseLogger): { accepted: number; rejected: Rejection[]; stored?: Promise<void> } => {
    const before = budget?.refused ?? 0;
    const { accepted, rejected } = prepareBatch(agent, raw, opts.window, Date.now(), admit);
    if (budget && budget.refused > before) opts.stats.refusals.note(agent, 'series_budget', budget.refused - before);
    if (accepted.length === 0) return { accepted: 0, rejected };
    const stored = opts.store(accepted);
    notifyObservers(opts.observers, agent, accepted, log);
    return { accepted: accepted.length, rejected, stored };
  };
  const touched = new Map<string, { at: number; address: string; version?: string }>();
  r.post(
    PATHS.samples,
    {
      preHandler: app.requireAgent,
      schema: { body: SampleBatch, response: { 200: IngestResponse, 207: IngestResponse, 400: Type.Union([IngestResponse, ErrorResponse]), 401: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse, 429: ErrorResponse, 503: ErrorResponse } },
    },
    async (request, reply) => {
      const agent = request.agent!;
      const limited = opts.rateLimit?.take(agent.id, request.body.samples.length);
      if (limited && !limited.ok) {
        return reply
          .code(429)
          .header('retry-after', String(limited.retryAfterSeconds))
          .send({ error: 'rate_limited', message: `too many samples or requests from this agent; retry in ${limited.retryAfterSeconds} s` });
      }
      const { accepted: taken, rejected, stored } = ingest(agent, request.body.samples, request.log);
      // The parsed payload is not needed any more, but the request lives until InfluxDB answers: letting
      // it go now keeps hundreds of waiting batches out of the GC's young-generation copying.
      (request as { body: unknown }).body = undefined;
      let accepted = taken;
      let refusedByStore: { samples: number; reason: string } | undefined;
      if (stored) {
        try {
          await stored;
        } catch (err) {
          if (!(err instanceof StoreRefusedError)) {
            request.log.error({ err, agent: agent.id }, 'cannot store samples');
            return reply.code(503).header('retry-after', '10').send({ error: 'unavailable', message: 'time-series store unavailable; retry later' });
          }
          // Not stored, but kept (dead letter) and counted: the agent must not send them again.
          refusedByStore = { samples: err.refused, reason: err.reason.slice(0, 500) };
          accepted -= err.refused;
          opts.stats.refusals.note(agent, 'influxdb', err.refused);
        }
      }
      opts.stats.record(agent.id, accepted, rejected.length);
      const header = request.headers[AGENT_VERSION_HEADER];
      // Shown in `agent list` and the console: printable ASCII only (a header may carry C1 controls).
      const version = typeof header === 'string' ? header.slice(0, 64).replace(/[^\x20-\x7e]/g, '?') : undefined;
      const now = Date.now();
      const last = touched.get(agent.id);
      if (!last || now - last.at >= TOUCH_EVERY_MS || last.address !== request.ip || last.version !== version) {
        touched.set(agent.id, { at: now, address: request.ip, version });
        // The samples are stored: a failed note of the contact must not make the agent send them again.
        await touchAgent(opts.state, agent.id, { at: now, address: request.ip, version }).catch((err: unknown) => request.log.warn({ err, agent: agent.id }, 'cannot note the agent\'s contact'));
      }
      const extra = refusedByStore ? { refusedByStore } : {};
      if (rejected.length > 0) {
        request.log.warn({ agent: agent.id, rejected: rejected.length, first: rejected[0].reason }, 'samples rejected');
        return reply.code(400).send({ accepted, rejected, ...extra });
      }
      if (refusedByStore) return reply.code(207).send({ accepted, rejected, ...extra });
      return { accepted, rejected };
    },
  );
}
