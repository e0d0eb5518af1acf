// The durable write path of accepted samples: InfluxDB first, the disk spool when InfluxDB is down,
// slow or already behind, the dead letter for what InfluxDB refuses outright. Samples are durable before
// an agent gets its 2xx.
import { join } from 'node:path';
import type { InfluxDB } from 'influx';
import type { WireSample } from '../protocol/index.ts';
import type { CollectorConfig } from './config.ts';
import { WriteCoalescer } from './influx/coalescer.ts';
import { toLines } from './influx/line-protocol.ts';
import { ensureSchema, influxClient, RAW_RP } from './influx/setup.ts';
import { InfluxWriteError, InfluxWriter } from './influx/writer.ts';
import type { IngestStats } from './ingest/stats.ts';
import { DeadLetter } from './spool/dead-letter.ts';
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
  /** Writes InfluxDB refused outright (dataDir/deadletter). */
  deadLetter: DeadLetter;
  /** Resolves once the database, retention policies and continuous queries exist. */
  schemaReady: Promise<void>;
  schema(): { ok: boolean; error: string };
  /**
   * Durable hand-off; rejects with SpoolFullError when neither InfluxDB nor the spool can take them, and
   * with StoreRefusedError when InfluxDB refused some of them for good (they are in the dead letter by then).
   */
  store(samples: WireSample[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * InfluxDB refused some points of a write for good (400: a partial write past `max-values-per-tag`,
 * points it cannot parse). The write is in the dead letter, counted and logged; the rest was stored.
 */
export class StoreRefusedError extends Error {
  constructor(
    /** Samples InfluxDB said it dropped (all of the write's when it did not say). */
    readonly refused: number,
    readonly reason: string,
  ) {
    super(`InfluxDB refused ${refused} samples: ${reason}`);
    this.name = 'StoreRefusedError';
  }
}

/** Opens the spool and starts preparing InfluxDB (retrying in the background until it answers). */
export function storagePipeline(config: CollectorConfig, stats: IngestStats, log: Log, opts: StorageOptions = {}): Storage {
  const settings = { ...config.influx, rawRetentionMs: config.rawRetentionMs, rollupRetentionMs: config.rollupRetentionMs };
  const influx = influxClient(settings);
  const writer = new InfluxWriter({ ...config.influx, retentionPolicy: RAW_RP });
  let spool: Spool;
  let deadLetter: DeadLetter;
  /** Keeps a refused write and says how many of its samples were refused; throws if the disk does. */
  const refuse = (parts: readonly (string | Buffer)[], samples: number, err: InfluxWriteError): number => {
    const refused = Math.min(samples, err.dropped ?? samples);
    deadLetter.add(parts, { samples, refused, reason: err.message });
    stats.pointsRefused += refused;
    log.error({ err: err.message, samples, refused, deadLetter: join(config.dataDir, 'deadletter') }, 'InfluxDB refused points; the write is kept in the dead letter');
    return refused;
  };
  try {
    deadLetter = new DeadLetter({ dir: join(config.dataDir, 'deadletter'), maxBytes: config.spool.deadLetterMaxBytes });
    spool = new Spool({
      dir: join(config.dataDir, 'spool'),
      maxBytes: config.spool.maxBytes,
      write: (lines) => writer.writeLines(lines),
      log,
      onWriteError: () => stats.writeErrors++,
      // A spooled write mixes agents: its refusals are the collector's, not one agent's.
      onRefused: (parts, samples, err) => stats.refusals.note(undefined, 'influxdb', refuse(parts, samples, err)),
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

  const permanent = (err: unknown) => err instanceof InfluxWriteError && err.permanent;
  const direct = new WriteCoalescer((body) => writer.writeLines(body, config.slowWriteMs), 5000, 2, permanent);
  const storeLines = async (lines: string, count: number) => {
    if (!spool.active) {
      try {
        await direct.submit(lines, count);
        return;
      } catch (err) {
        stats.writeErrors++;
        if (err instanceof InfluxWriteError && err.permanent) {
          // InfluxDB wrote the points it could; the rest would be refused again, from the spool too.
          throw new StoreRefusedError(refuse([lines], count, err), err.message);
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
    deadLetter,
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
