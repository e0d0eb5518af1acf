// Starts a whole collector from its config, in named steps (state, storage, alerting, observers, HTTP,
// timers), and stops it in the reverse order. Nothing is half-started: a failure closes what was opened.
import type { FastifyInstance } from 'fastify';
import type { CollectorConfig } from './config.ts';
import { startAlerting, type Alerting } from './alerts/service.ts';
import type { Clock } from './alerts/clock.ts';
import { LatestSamples } from './console/latest.ts';
import { certificateInventory } from './ingest/certificate-inventory.ts';
import { complianceObserver } from './ingest/compliance.ts';
import { deviceInventoryObserver } from './ingest/device-inventory.ts';
import type { SampleObserver } from './ingest/observers.ts';
import { webFindingsObserver } from './ingest/web-findings.ts';
import { authFindingsObserver } from './ingest/auth-findings.ts';
import { SeriesBudget } from './ingest/series-budget.ts';
import { IngestStats } from './ingest/stats.ts';
import type { InfluxWriter } from './influx/writer.ts';
import { readiness } from './readiness.ts';
import { startReportMailer, type ReportMailer } from './report/schedule.ts';
import { statusTimer } from './self-status.ts';
import { buildApp } from './server/app.ts';
import type { CollectorServices } from './server/services.ts';
import type { Spool } from './spool/spool.ts';
import { StartupLog } from './startup-log.ts';
import { syncAgencies } from './state/agencies.ts';
import { pruneAudit } from './state/audit.ts';
import type { DB } from './state/db.ts';
import { openState } from './state/open.ts';
import type { StateSql } from './state/sql/connect.ts';
import { storagePipeline } from './storage.ts';
import { serverTls, type ServerTls } from './tls.ts';
import type { InfluxDB } from 'influx';
import { parseDuration } from '../protocol/index.ts';
import { StatusCache } from './status/cache.ts';
import { FleetService } from './fleet/service.ts';
import { syncProfiles } from './fleet/sync.ts';
import { startStatusListener } from './status/listener.ts';
import { joinCluster, type Cluster } from './cluster.ts';

export interface Collector {
  app: FastifyInstance;
  /** The SQLite handle under `state`; undefined when the state is on PostgreSQL (`state.driver`). */
  db?: DB;
  /** The state through the SQL layer: over `db` on SQLite, a connection pool on PostgreSQL. */
  state: StateSql;
  url: string;
  tls?: ServerTls;
  stats: IngestStats;
  writer: InfluxWriter;
  spool: Spool;
  alerting: Alerting;
  /** The monthly report mail (queued into the alerting mail queue). */
  reports: ReportMailer;
  schemaReady: Promise<void>;
  /** The other collectors on the same PostgreSQL: who leads, and wake-ups between them (alone on SQLite). */
  cluster: Cluster;
  /** The status page's cache, when `status.enabled`. */
  status?: StatusCache;
  /** The status page's own listener, when `status.listen` is set. */
  statusUrl?: string;
  close(): Promise<void>;
}

export { statePath } from './state/open.ts';

export interface StartOptions {
  logger?: boolean | Record<string, unknown>;
  /** How often the collector writes its own collector_status sample. */
  statusIntervalMs?: number;
  /** Retry delay while InfluxDB is not reachable at start. */
  schemaRetryMs?: number;
  /** Spool replay retry bounds while InfluxDB stays down (tests shorten them). */
  spoolRetryMs?: { min: number; max: number };
  /** The alert engine's clock (tests inject a manual one). */
  alertClock?: Clock;
}

/** Every sample observer, in the order they learn from a batch. */
export function sampleObservers(state: StateSql, alerting: Alerting, latest: LatestSamples): SampleObserver[] {
  return [complianceObserver(state), deviceInventoryObserver(state), certificateInventory(state), webFindingsObserver(state), authFindingsObserver(state), alerting.observe, latest.observe];
}

/** The audit log is kept as long as the alert history (alerts.historyRetention) and within its row ceiling. */
function auditPruneTimer(state: StateSql, retentionMs: number, log: StartupLog): NodeJS.Timeout {
  const prune = async () => {
    try {
      const n = await pruneAudit(state, Date.now() - retentionMs);
      if (n > 0) log.info({ deleted: n }, 'old audit log entries deleted (alerts.historyRetention)');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'audit log pruning failed');
    }
  };
  void prune();
  const timer = setInterval(prune, 3_600_000);
  timer.unref();
  return timer;
}

/** The per-agent series budget from `ingest.seriesBudget` and the agencies' own `seriesBudget`. */
export function seriesBudget(config: Pick<CollectorConfig, 'ingest' | 'agencies'>): SeriesBudget {
  const perAgency: Record<string, number> = {};
  for (const a of config.agencies) if (a.seriesBudget !== undefined) perAgency[a.id] = a.seriesBudget;
  return new SeriesBudget({ perMeasurement: config.ingest.seriesBudget.perMeasurement, perAgency });
}

/** The status page's cache when `status.enabled`, its notices read; it learns probe states from the ingest stream. */
async function statusCache(config: CollectorConfig, state: StateSql, influx: InfluxDB, log: StartupLog): Promise<StatusCache | undefined> {
  if (!config.status.enabled) return undefined;
  const cache = new StatusCache(state, { ...config.status, staleAfterMs: parseDuration(config.status.staleAfter)! }, influx, config.influx.database, log);
  await cache.loadNotices();
  return cache;
}

/** `status.listen`: the page on a port of its own (with the collector's certificate unless plain HTTP on loopback). */
async function statusListener(config: CollectorConfig, cache: StatusCache, tls: ServerTls | undefined, log: StartupLog) {
  const l = config.status.listen;
  if (!l) return undefined;
  const https = l.plainHttp ? undefined : (tls ?? (await serverTls({ dataDir: config.dataDir, cert: config.tls?.cert, key: config.tls?.key })));
  const own = await startStatusListener(cache, { host: l.host, port: l.port, https: https ? { cert: https.cert, key: https.key } : undefined, limits: config.http, log });
  log.info({ url: own.url }, 'status page listening on its own port');
  return own;
}

/** Open state, prepare InfluxDB, and serve. */
export async function startCollector(config: CollectorConfig, opts: StartOptions = {}): Promise<Collector> {
  const log = new StartupLog();
  // Closed in reverse order, whether the start fails half way or the collector stops.
  const closers: Array<() => unknown> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await Promise.resolve().then(close).catch(() => undefined);
    closers.length = 0;
  };
  try {
    // First, and closed last: a PostgreSQL that cannot be reached stops the start before a port or the
    // spool is opened (StateConnectError, exit code 2). On SQLite the stores share one connection.
    const { state, db, where, close: closeState } = await openState(config);
    closers.push(closeState);
    log.info({ driver: state.driver, where }, 'state opened');
    const cluster = await joinCluster(state, log);
    closers.push(() => cluster.close());
    await syncAgencies(state, config.agencies);
    // The profile files as they are now become the versions served (a bad one stops the start: exit 2).
    const changed = await syncProfiles(state, config, { actor: 'collector start', actorKind: 'system' });
    if (changed.length) log.info({ profiles: changed }, 'profile files changed since the last start: new versions recorded');
    const fleet = await FleetService.open(state, config.agencies, log);
    const stats = new IngestStats(seriesBudget(config));
    const storage = storagePipeline(config, stats, log, opts);
    closers.push(() => storage.close());
    const alerting = startAlerting({
      state,
      settings: config.alerting.alerts,
      smtp: config.alerting.smtp,
      agencies: config.agencies,
      // Through the spool: annotations survive InfluxDB being down like any sample.
      writer: { write: (samples) => storage.store(samples) },
      clock: opts.alertClock,
      leader: cluster.isLeader,
      log,
    });
    closers.push(() => alerting.close());
    const status = await statusCache(config, state, storage.influx, log);
    const services: CollectorServices = { db, state, config, influx: storage.influx, stats, latest: new LatestSamples(), status, fleet };
    const observers = [...sampleObservers(state, alerting, services.latest), ...(status ? [status.probes.observe] : [])];
    const { app, url, tls } = await serveHttp(config, services, storage, observers, cluster, opts);
    closers.push(() => app.close());
    cluster.attach(app.commandHub);
    log.attach(app.log);
    let statusUrl: string | undefined;
    if (status) {
      status.start();
      closers.push(() => status.stop());
      const own = await statusListener(config, status, tls, log);
      if (own) closers.push(() => own.app.close());
      statusUrl = own?.url;
    }
    const timer = statusTimer(stats, storage, alerting, config.agencies.length, opts.statusIntervalMs ?? 60_000, cluster);
    closers.push(() => clearInterval(timer));
    const reports = startReportMailer({ state, influx: storage.influx, settings: config.report, leader: cluster.isLeader, log });
    closers.push(() => reports.close());
    const pruner = auditPruneTimer(state, config.alerting.alerts.historyRetentionMs, log);
    closers.push(() => clearInterval(pruner));
    return { app, db, state, cluster, url, tls, stats, writer: storage.writer, spool: storage.spool, alerting, reports, schemaReady: storage.schemaReady, status, statusUrl, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** The HTTP side: TLS (given or generated), the fastify app, and the listening socket. */
async function serveHttp(config: CollectorConfig, services: CollectorServices, storage: ReturnType<typeof storagePipeline>, observers: SampleObserver[], cluster: Cluster, opts: StartOptions) {
  const tls = config.listen.plainHttp ? undefined : await serverTls({ dataDir: config.dataDir, cert: config.tls?.cert, key: config.tls?.key });
  const app = await buildApp({
    services,
    observers,
    store: storage.store,
    readiness: readiness(services.state, config, services.stats, storage, cluster),
    window: { maxAgeMs: config.maxSampleAgeMs, maxFutureMs: config.maxFutureMs },
    bodyLimit: config.ingest.bodyLimit,
    rateLimit: config.ingest.rateLimit,
    enrollLimit: { perSecond: config.ingest.enrollRateLimit.perMinute / 60, burst: config.ingest.enrollRateLimit.burst },
    https: tls ? { cert: tls.cert, key: tls.key } : undefined,
    http: config.http,
    logger: opts.logger ?? false,
  });
  try {
    await app.listen({ host: config.listen.host, port: config.listen.port });
  } catch (err) {
    await app.close();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.listen.port;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host === '0.0.0.0' ? '127.0.0.1' : config.listen.host;
  return { app, tls, url: `${tls ? 'https' : 'http'}://${host}:${port}` };
}
