// The durable write path of accepted samples. One InfluxDB node: InfluxDB first, the disk spool when it
// is down, slow or already behind. Several nodes: every sample through the spool, a position per node.
// The dead letter takes what a node refuses outright. Samples are durable before an agent gets its 2xx.
import { join } from 'node:path';
import type { InfluxDB } from 'influx';
import type { WireSample } from '../protocol/index.ts';
import type { CollectorConfig } from './config.ts';
import { WriteCoalescer } from './influx/coalescer.ts';
import { toLines } from './influx/line-protocol.ts';
import { influxNode, type InfluxNode } from './influx/nodes.ts';
import { refreshRollups } from './influx/setup.ts';
import { InfluxWriteError, type InfluxWriter } from './influx/writer.ts';
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
  /** The first node's admin client: where the console, status page and report read. */
  influx: InfluxDB;
  /** The first node's writer. */
  writer: InfluxWriter;
  spool: Spool;
  /** Writes InfluxDB refused outright (dataDir/deadletter). */
  deadLetter: DeadLetter;
  /** Resolves once the database, retention policies and continuous queries exist. */
  /** Resolves once every node has the database, retention policies and continuous queries. */
  schemaReady: Promise<void>;
  /** Each node's schema, in influx.urls order. */
  schemas(): { node: string; ok: boolean; error: string }[];
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

/** Opens the spool and starts preparing every InfluxDB node (retrying in the background until it answers). */
export function storagePipeline(config: CollectorConfig, stats: IngestStats, log: Log, opts: StorageOptions = {}): Storage {
  const settings = { ...config.influx, rawRetentionMs: config.rawRetentionMs, rollupRetentionMs: config.rollupRetentionMs };
  const nodes = config.influx.urls.map((url) => influxNode({ ...settings, url }, opts.schemaRetryMs ?? 5000));
  const several = nodes.length > 1;
  let spool: Spool;
  let deadLetter: DeadLetter;
  /** Keeps a refused write and says how many of its samples were refused; throws if the disk does. */
  const refuse = (parts: readonly (string | Buffer)[], samples: number, err: InfluxWriteError, node?: string): number => {
    const refused = Math.min(samples, err.dropped ?? samples);
    deadLetter.add(parts, { samples, refused, reason: err.message, node });
    stats.pointsRefused += refused;
    log.error({ err: err.message, samples, refused, node, deadLetter: join(config.dataDir, 'deadletter') }, 'InfluxDB refused points; the write is kept in the dead letter');
    return refused;
  };
  try {
    deadLetter = new DeadLetter({ dir: join(config.dataDir, 'deadletter'), maxBytes: config.spool.deadLetterMaxBytes });
    spool = new Spool({
      dir: join(config.dataDir, 'spool'),
      maxBytes: config.spool.maxBytes,
      maxLagBytes: config.spool.maxLagBytes,
      targets: nodes.map((n) => ({
        node: n.url,
        write: (lines) => n.writer.writeLines(lines),
        // With one node the spool holds only what a direct write could not place; it may go as soon as InfluxDB answers.
        ready: several ? n.ready : undefined,
        onWriteError: () => stats.writeErrors++,
        // A spooled write mixes agents: its refusals are the collector's, not one agent's.
        onRefused: (parts, samples, err) => stats.refusals.note(undefined, 'influxdb', refuse(parts, samples, err, several ? n.url : undefined)),
        onCaughtUp: (since) => refreshAfterOutage(n, config.influx.database, since, log),
      })),
      log,
      minRetryMs: opts.spoolRetryMs?.min,
      maxRetryMs: opts.spoolRetryMs?.max,
    });
  } catch (err) {
    for (const n of nodes) n.close();
    throw err;
  }

  const spoolLines = async (lines: string, count: number) => {
    try {
      await spool.append(lines, count);
    } catch (err) {
      if (err instanceof SpoolFullError) log.error({ err: err.message }, 'spool full: refusing samples until InfluxDB catches up');
      throw err;
    }
  };
  const storeLines = several ? spoolLines : directFirst(nodes[0], spool, config.slowWriteMs, stats, refuse, spoolLines);

  return {
    influx: nodes[0].influx,
    writer: nodes[0].writer,
    spool,
    deadLetter,
    schemaReady: Promise.all(nodes.map((n) => n.ready)).then(() => undefined),
    schemas: () => nodes.map((n) => ({ node: n.url, ...n.schema() })),
    // Not async: the line protocol is built at once and the samples are not kept while the write waits
    // (with InfluxDB slow, hundreds of batches wait, and holding their objects is what made the GC busy).
    store: (samples) => (samples.length === 0 ? Promise.resolve() : storeLines(toLines(samples), samples.length)),
    close: async () => {
      await spool.close();
      for (const n of nodes) n.close();
    },
  };
}

/**
 * The hourly roll-ups of the hours a node missed (from an hour before it was last caught up, or before its
 * first failed write), made again once it has caught up.
 */
function refreshAfterOutage(node: InfluxNode, database: string, since: number, log: Log): void {
  const from = since - 3_600_000;
  refreshRollups(node.influx, database, from).then(
    (queries) => log.info({ node: node.url, from: new Date(from).toISOString(), queries }, 'InfluxDB caught up: hourly roll-ups of the hours it missed made again'),
    (err: Error) => log.warn({ node: node.url, err: err.message }, 'InfluxDB caught up, but its roll-ups could not be made again (the continuous queries go on from the next hour)'),
  );
}

/** One node: written directly (concurrent requests coalesced) while nothing is spooled, else spooled behind the rest. */
function directFirst(
  node: InfluxNode,
  spool: Spool,
  slowWriteMs: number,
  stats: IngestStats,
  refuse: (parts: readonly string[], samples: number, err: InfluxWriteError) => number,
  spoolLines: (lines: string, count: number) => Promise<void>,
): (lines: string, count: number) => Promise<void> {
  const permanent = (err: unknown) => err instanceof InfluxWriteError && err.permanent;
  const direct = new WriteCoalescer((body) => node.writer.writeLines(body, slowWriteMs), 5000, 2, permanent);
  return async (lines, count) => {
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
    await spoolLines(lines, count);
  };
}
