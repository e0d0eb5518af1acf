// The collector's HTTP side as one fastify app: plugins (auth, gzip, route list) and route plugins, each
// handed the shared services; nothing here starts timers or opens files.
import Fastify, { type FastifyInstance, type FastifySchemaValidationError, type FastifyServerOptions } from 'fastify';
import gzipBody from './plugins/gzip-body.ts';
import routeList from './plugins/route-list.ts';
import agentAuth from './plugins/agent-auth.ts';
import healthRoutes, { type Readiness } from './routes/health.ts';
import enrollRoutes from './routes/enroll.ts';
import samplesRoutes from './routes/samples.ts';
import complianceRoutes from './routes/compliance.ts';
import deviceRoutes from './routes/devices.ts';
import certificateRoutes from './routes/certificates.ts';
import webFindingRoutes from './routes/web-findings.ts';
import alertRoutes from './routes/alerts.ts';
import operatorAuth from './plugins/operator-auth.ts';
import consolePlugin from '../console/plugin.ts';
import agentCommandRoutes from './routes/agent-commands.ts';
import videoconfRoutes from './routes/videoconf.ts';
import fleetRoutes from './routes/fleet.ts';
import releaseRoutes from './routes/releases.ts';
import { NO_CONTROL_PATTERN, type WireSample } from '../../protocol/index.ts';
import type { SampleObserver } from '../ingest/observers.ts';
import { AgentRateLimiter, type RateLimitSettings } from '../ingest/rate-limit.ts';
import type { CollectorServices } from './services.ts';
import { guardConnections } from './connection-limits.ts';
import type { KeyLimit } from './key-limiter.ts';
import { partAwareSchemaController } from './validators.ts';
import statusRoutes from '../status/routes.ts';
import { STATE_RETRY_AFTER_S, stateUnreachable } from '../state/sql/unreachable.ts';

export interface AppOptions {
  services: CollectorServices;
  /** Every observer of accepted samples (built in service.ts: inventories, alerting, the console's cache). */
  observers: SampleObserver[];
  store: (samples: WireSample[]) => Promise<void>;
  readiness: () => Promise<Readiness>;
  window: { maxAgeMs: number; maxFutureMs: number };
  bodyLimit: number;
  /** Per-agent ingest limits (429 + Retry-After past them). */
  rateLimit?: RateLimitSettings;
  /** Enrolment attempts per caller address. */
  enrollLimit?: KeyLimit;
  https?: { cert: string; key: string };
  /** Per-connection bounds (listen.headersTimeout, requestTimeout, idleTimeout, maxConnectionsPerAddress). */
  http?: { headersTimeoutMs: number; requestTimeoutMs: number; idleTimeoutMs: number; maxConnectionsPerAddress: number; trustedProxies?: string[] };
  logger?: FastifyServerOptions['logger'];
}

const DEFAULT_HTTP: NonNullable<AppOptions['http']> = { headersTimeoutMs: 10_000, requestTimeoutMs: 60_000, idleTimeoutMs: 60_000, maxConnectionsPerAddress: 256 };

/** A schema failure as a person reads it: which field, and what was wrong with it. */
function validationMessage(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const first = errors[0];
  const where = `${dataVar}${first?.instancePath ?? ''}`;
  const what = first?.keyword === 'pattern' && (first.params as { pattern?: string }).pattern === NO_CONTROL_PATTERN ? 'must not contain control characters' : (first?.message ?? 'is invalid');
  return new Error(`${where} ${what}`);
}

/** The collector's HTTP API: a fastify app of plugins and routes. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const limits = opts.http ?? DEFAULT_HTTP;
  const serverLimits = { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: Math.max(250, Math.min(5000, Math.floor(limits.headersTimeoutMs / 4))) };
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit,
    // Only the configured load balancers' X-Forwarded-For sets request.ip (listen.trustedProxies).
    trustProxy: limits.trustedProxies?.length ? limits.trustedProxies : false,
    // Node checks header and request deadlines on a timer; a short period keeps them close to what is configured.
    ...(opts.https ? { https: { cert: opts.https.cert, key: opts.https.key, ...serverLimits } } : { http: serverLimits }),
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    // Query strings, params and headers coerced to their schema's types; bodies never (validators.ts).
    schemaController: partAwareSchemaController(),
    schemaErrorFormatter: validationMessage,
  } as FastifyServerOptions) as unknown as FastifyInstance;

  // Every error is JSON with a reason; bad input is never a 5xx.
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown }, request, reply) => {
    // The state database down or restarting is not this request's fault: the caller (an agent keeps its
    // samples) comes back later, and a balancer's /readyz check sends it to another collector meanwhile.
    if (stateUnreachable(err)) {
      request.log.warn({ err: err.message, code: err.code }, 'state database unreachable: answered 503');
      return reply.code(503).header('retry-after', String(STATE_RETRY_AFTER_S)).send({ error: 'state_unavailable', message: `the state database cannot be reached; retry in ${STATE_RETRY_AFTER_S} s` });
    }
    let status = err.statusCode ?? 500;
    if (err.validation) status = 400;
    if (status >= 500) request.log.error({ err }, 'request failed');
    const message = status >= 500 ? 'internal error' : err.message;
    reply.code(status).send({ error: err.code ?? (status >= 500 ? 'internal' : 'bad_request'), message });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  guardConnections(app.server, { maxPerAddress: limits.maxConnectionsPerAddress, silentTimeoutMs: limits.headersTimeoutMs }, app.log);

  // The API speaks JSON only: anything else is a 415, not a confusing schema error.
  app.removeContentTypeParser('text/plain');
  await app.register(routeList);
  await app.register(gzipBody);
  const { services } = opts;
  await app.register(agentAuth, { state: services.state });
  await app.register(healthRoutes, { readiness: opts.readiness });
  await app.register(enrollRoutes, { state: services.state, limit: opts.enrollLimit });
  await app.register(operatorAuth, { state: services.state });
  await app.register(samplesRoutes, { state: services.state, stats: services.stats, store: opts.store, window: opts.window, observers: opts.observers, rateLimit: opts.rateLimit ? new AgentRateLimiter(opts.rateLimit) : undefined });
  // Operator API routes: register each with { services }.
  await app.register(complianceRoutes, { services });
  await app.register(deviceRoutes, { services });
  await app.register(certificateRoutes, { services });
  await app.register(webFindingRoutes, { services });
  await app.register(alertRoutes, { services });
  await app.register(agentCommandRoutes, { services, window: opts.window });
  await app.register(videoconfRoutes, { services });
  if (services.fleet) await app.register(fleetRoutes, { services });
  // Signed self-update: builds, rollouts, downloads (collector/releases).
  if (services.config) await app.register(releaseRoutes, { services });
  // The public status page (no login), when configured.
  if (services.status) await app.register(statusRoutes, { cache: services.status });
  // The web console (pages under /console; its session is also accepted by the operator API above).
  await app.register(consolePlugin, { services });
  return app;
}
