// What the collector's route plugins share, built once in service.ts and handed to each plugin as
// `opts.services`; it lives apart from app.ts so that routes depend on it and never on the app itself.
import type { InfluxDB } from 'influx';
import type { CollectorConfig } from '../config.ts';
import type { LatestSamples } from '../console/latest.ts';
import type { FleetService } from '../fleet/service.ts';
import type { IngestStats } from '../ingest/stats.ts';
import type { DB } from '../state/db.ts';
import type { StateSql } from '../state/sql/connect.ts';
import type { StatusCache } from '../status/cache.ts';

export interface CollectorServices {
  /** The SQLite handle under `state`; undefined when the state is on PostgreSQL. */
  db?: DB;
  /** The state through the SQL layer (collector/state/sql): the stores converted to it so far take this. */
  state: StateSql;
  config?: CollectorConfig;
  /** InfluxQL client for history (never needed for alerting or ingest). */
  influx?: InfluxDB;
  stats: IngestStats;
  /** Current state of the measurements the console shows (fed by the ingest stream). */
  latest: LatestSamples;
  /** The public status page's cache, when `status.enabled` (the console refreshes it after a notice changes). */
  status?: StatusCache;
  /** Central check configuration (profiles served to agents at their polls). */
  fleet?: FleetService;
}
