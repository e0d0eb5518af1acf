import type { FastifyInstance } from 'fastify';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { WireSample } from '../protocol/index.ts';
import type { CollectorConfig } from './config.ts';
import { IngestStats } from './ingest/stats.ts';
import type { SampleObserver } from './ingest/observers.ts';
import { complianceObserver } from './ingest/compliance.ts';
import { deviceInventoryObserver } from './ingest/device-inventory.ts';
import { certificateInventory } from './ingest/certificate-inventory.ts';
import { ensureSchema, influxClient, RAW_RP } from './influx/setup.ts';
import { WriteCoalescer } from './influx/coalescer.ts';
import { InfluxWriteError, InfluxWriter } from './influx/writer.ts';
import { toLines } from './influx/line-protocol.ts';
import { Spool, SpoolFullError } from './spool/spool.ts';
import { buildApp } from './server/app.ts';
import type { Readiness } from './server/routes/health.ts';
import { syncAgencies } from './state/agencies.ts';
import { openDb, type DB } from './state/db.ts';
import { serverTls, type ServerTls } from './tls.ts';
import { startAlerting, type Alerting } from './alerts/service.ts';
import type { Clock } from './alerts/clock.ts';
import { startReportMailer, type ReportMailer } from './report/schedule.ts';

export interface Collector {
  app: FastifyInstance;
  db: DB;
  url: string;
  tls?: ServerTls;
  stats: IngestStats;
  writer: InfluxWriter;
  spool: Spool;
  alerting: Alerting;
  /** The monthly report mail (queued into the alerting mail queue). */
  reports: ReportMailer;
  schemaReady: Promise<void>;
  close(): Promise<void>;
}

export function statePath(config: Pick<CollectorConfig, 'dataDir'>): string {
  return join(config.dataDir, 'state.db');
}

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

/** Open state, prepare InfluxDB, and serve. Nothing is half-started: a failure closes what was opened. */
export async function startCollector(config: CollectorConfig, opts: StartOptions = {}): Promise<Collector> {
  const db = openDb(statePath(config));
  syncAgencies(db, config.agencies);
  let spool: Spool | undefined;
  const stats = new IngestStats();
  const settings = { ...config.influx, rawRetentionMs: config.rawRetentionMs, rollupRetentionMs: config.rollupRetentionMs };
  const influx = influxClient(settings);
  const writer = new InfluxWriter({ ...config.influx, retentionPolicy: RAW_RP });

  let schemaOk = false;
  let schemaError = 'not checked yet';
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  const schemaReady = new Promise<void>((resolve) => {
    const attempt = async () => {
      try {
        await ensureSchema(influx, settings);
        schemaOk = true;
        resolve();
      } catch (err) {
        schemaError = (err as Error).message;
        if (!closed) retryTimer = setTimeout(attempt, opts.schemaRetryMs ?? 5000);
      }
    };
    void attempt();
  });

  const readiness = async (): Promise<Readiness> => {
    const checks: Readiness['checks'] = {};
    try {
      db.prepare('SELECT 1').get();
      checks.state = { ok: true };
    } catch (err) {
      checks.state = { ok: false, detail: (err as Error).message };
    }
    try {
      const res = await fetch(new URL('/ping', config.influx.url), { signal: AbortSignal.timeout(2000) });
      checks.influxdb = res.status === 204 ? { ok: schemaOk, detail: schemaOk ? undefined : `schema not ready: ${schemaError}` } : { ok: false, detail: `ping answered ${res.status}` };
    } catch (err) {
      checks.influxdb = { ok: false, detail: `unreachable: ${(err as Error).message}` };
    }
    const depth = spool!.stats();
    checks.spool = depth.full ? { ok: false, detail: `spool full: ${depth.samples} samples (${depth.bytes} bytes) waiting for InfluxDB` } : { ok: true, detail: `${depth.samples} samples waiting` };
    return {
      // With InfluxDB down the collector still takes samples (into the spool) while the spool has room.
      ready: checks.state.ok && checks.spool.ok,
      checks,
      ingest: {
        samplesAccepted: stats.samplesAccepted,
        samplesRejected: stats.samplesRejected,
        writeErrors: stats.writeErrors,
        ratePerSecond: Math.round(stats.currentRate() * 1000) / 1000,
      },
      spool: { samples: depth.samples, bytes: depth.bytes, replaying: spool!.isReplaying, replayedSamples: spool!.replayedSamples },
    };
  };

  // InfluxDB first; when it is down, slow or already behind (spool not empty, to keep order), the
  // spool. Either way the samples are durable before the agent gets its 2xx.
  const direct = new WriteCoalescer((body) => writer.writeLines(body, config.slowWriteMs));
  const storeLines = async (lines: string, count: number) => {
    if (!spool!.active) {
      try {
        await direct.submit(lines, count);
        return;
      } catch (err) {
        stats.writeErrors++;
        if (err instanceof InfluxWriteError && err.permanent) {
          // InfluxDB wrote the points it could parse; the rest would be refused again, from the spool too.
          app?.log.error({ err: err.message, samples: count }, 'InfluxDB refused points');
          return;
        }
      }
    }
    try {
      await spool!.append(lines, count);
    } catch (err) {
      if (err instanceof SpoolFullError) app?.log.error({ err: err.message }, 'spool full: refusing samples until InfluxDB catches up');
      throw err;
    }
  };
  // Not async: the line protocol is built at once and the samples are not kept while the write waits
  // (with InfluxDB slow, hundreds of batches wait, and holding their objects is what made the GC busy).
  const store = (samples: WireSample[]): Promise<void> => (samples.length === 0 ? Promise.resolve() : storeLines(toLines(samples), samples.length));

  // Inventories and the alert engine learn from the ingest stream here.
  const observers: SampleObserver[] = [complianceObserver(db), deviceInventoryObserver(db), certificateInventory(db)];

  const alerting = startAlerting({
    db,
    settings: config.alerting.alerts,
    smtp: config.alerting.smtp,
    agencies: config.agencies,
    // Through the spool: annotations survive InfluxDB being down like any sample.
    writer: { write: (samples) => store(samples) },
    clock: opts.alertClock,
    log: { warn: (o, m) => app?.log.warn(o, m), error: (o, m) => app?.log.error(o, m), info: (o, m) => app?.log.info(o, m) },
  });
  observers.push(alerting.observe);

  let app: FastifyInstance | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  try {
    spool = new Spool({
      dir: join(config.dataDir, 'spool'),
      maxBytes: config.spool.maxBytes,
      write: (lines) => writer.writeLines(lines),
      log: { info: (o, m) => app?.log.info(o, m), warn: (o, m) => app?.log.warn(o, m), error: (o, m) => app?.log.error(o, m) },
      onWriteError: () => stats.writeErrors++,
      minRetryMs: opts.spoolRetryMs?.min,
      maxRetryMs: opts.spoolRetryMs?.max,
    });
    const tls = config.listen.plainHttp ? undefined : await serverTls({ dataDir: config.dataDir, cert: config.tls?.cert, key: config.tls?.key });
    app = await buildApp({
      db,
      stats,
      store,
      readiness,
      window: { maxAgeMs: config.maxSampleAgeMs, maxFutureMs: config.maxFutureMs },
      bodyLimit: config.ingest.bodyLimit,
      rateLimit: config.ingest.rateLimit,
      https: tls ? { cert: tls.cert, key: tls.key } : undefined,
      logger: opts.logger ?? false,
      config,
      influx,
      observers,
    });
    await app.listen({ host: config.listen.host, port: config.listen.port });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.listen.port;
    const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host === '0.0.0.0' ? '127.0.0.1' : config.listen.host;
    const url = `${tls ? 'https' : 'http'}://${host}:${port}`;

    const instance = hostname();
    statusTimer = setInterval(() => {
      const period = stats.takePeriod();
      const sample: WireSample = {
        measurement: 'collector_status',
        tags: { instance },
        fields: {
          agents_seen: period.agentsSeen,
          samples_accepted: stats.samplesAccepted,
          samples_rejected: stats.samplesRejected,
          ingest_rate: Math.round(period.ratePerSecond * 1000) / 1000,
          write_errors: stats.writeErrors,
          spool_samples: spool!.stats().samples,
          spool_bytes: spool!.stats().bytes,
          agencies_configured: config.agencies.length,
        },
        time: new Date().toISOString(),
      };
      store([sample]).catch(() => undefined);
      // The collector's own health goes to the alert engine too (collector_spool_growing); it has no agency.
      alerting.observe({ id: '', agency: '' }, [sample], Date.now());
    }, opts.statusIntervalMs ?? 60_000);
    statusTimer.unref();
    const reports = startReportMailer({ db, influx, settings: config.report, log: { info: (o, m) => app?.log.info(o, m), error: (o, m) => app?.log.error(o, m) } });

    const running = app;
    return {
      app: running,
      db,
      url,
      tls,
      stats,
      writer,
      spool,
      alerting,
      reports,
      schemaReady,
      close: async () => {
        closed = true;
        clearTimeout(retryTimer);
        clearInterval(statusTimer);
        reports.close();
        await running.close();
        await alerting.close();
        await spool!.close();
        writer.close();
        db.close();
      },
    };
  } catch (err) {
    closed = true;
    clearTimeout(retryTimer);
    clearInterval(statusTimer);
    await app?.close().catch(() => undefined);
    await alerting.close().catch(() => undefined);
    await spool?.close().catch(() => undefined);
    writer.close();
    db.close();
    throw err;
  }
}
