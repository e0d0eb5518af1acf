// The durable write path of accepted samples: InfluxDB first, the disk spool when InfluxDB is down,
// slow or already behind. Samples are durable before an agent gets its 2xx.
import { join } from 'node:path';
import type { InfluxDB } from 'influx';
import type { WireSample } from '../protocol/index.ts';
import type { CollectorConfig } from './config.ts';
import { WriteCoalescer } from './influx/coalescer.ts';
import { toLines } from './influx/line-protocol.ts';
import { ensureSchema, influxClient, RAW_RP } from './influx/setup.ts';
import { InfluxWriteError, InfluxWriter } from './influx/writer.ts';
import type { IngestStats } from './ingest/stats.ts';
import { Spool, SpoolFullError } from './spool/spool.ts';
import type { Log } from './startup-log.ts';

export interface StorageOptions {
  /** Retry delay while InfluxDB is not reachable at start. */
  schemaRetryMs?: number;
  /** Spool replay retry bounds while InfluxDB stays down. */
  spoolRetryMs?: { min: number; max: number };
}

export interface Storage {
  influx: InfluxDB;
  writer: InfluxWriter;
  spool: Spool;
  /** Resolves once the database, retention policies and continuous queries exist. */
  schemaReady: Promise<void>;
  schema(): { ok: boolean; error: string };
  /** Durable hand-off; rejects (SpoolFullError) when neither InfluxDB nor the spool can take them. */
  store(samples: WireSample[]): Promise<void>;
  close(): Promise<void>;
}

/** Opens the spool and starts preparing InfluxDB (retrying in the background until it answers). */
export function storagePipeline(config: CollectorConfig, stats: IngestStats, log: Log, opts: StorageOptions = {}): Storage {
  const settings = { ...config.influx, rawRetentionMs: config.rawRetentionMs, rollupRetentionMs: config.rollupRetentionMs };
  const influx = influxClient(settings);
  const writer = new InfluxWriter({ ...config.influx, retentionPolicy: RAW_RP });
  let spool: Spool;
  try {
    spool = new Spool({
      dir: join(config.dataDir, 'spool'),
      maxBytes: config.spool.maxBytes,
      write: (lines) => writer.writeLines(lines),
      log,
      onWriteError: () => stats.writeErrors++,
      minRetryMs: opts.spoolRetryMs?.min,
      maxRetryMs: opts.spoolRetryMs?.max,
    });
  } catch (err) {
    writer.close();
    throw err;
  }

  const schema = { ok: false, error: 'not checked yet' };
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  const schemaReady = new Promise<void>((resolve) => {
    const attempt = async () => {
      try {
        await ensureSchema(influx, settings);
        schema.ok = true;
        resolve();
      } catch (err) {
        schema.error = (err as Error).message;
        if (!closed) retryTimer = setTimeout(attempt, opts.schemaRetryMs ?? 5000);
      }
    };
    void attempt();
  });

  const direct = new WriteCoalescer((body) => writer.writeLines(body, config.slowWriteMs));
  const storeLines = async (lines: string, count: number) => {
    if (!spool.active) {
      try {
        await direct.submit(lines, count);
        return;
      } catch (err) {
        stats.writeErrors++;
        if (err instanceof InfluxWriteError && err.permanent) {
          // InfluxDB wrote the points it could parse; the rest would be refused again, from the spool too.
          log.error({ err: err.message, samples: count }, 'InfluxDB refused points');
          return;
        }
      }
    }
    try {
      await spool.append(lines, count);
    } catch (err) {
      if (err instanceof SpoolFullError) log.error({ err: err.message }, 'spool full: refusing samples until InfluxDB catches up');
      throw err;
    }
  };

  return {
    influx,
    writer,
    spool,
    schemaReady,
    schema: () => ({ ...schema }),
    // Not async: the line protocol is built at once and the samples are not kept while the write waits
    // (with InfluxDB slow, hundreds of batches wait, and holding their objects is what made the GC busy).
    store: (samples) => (samples.length === 0 ? Promise.resolve() : storeLines(toLines(samples), samples.length)),
    close: async () => {
      closed = true;
      clearTimeout(retryTimer);
      await spool.close();
      writer.close();
    },
  };
}
