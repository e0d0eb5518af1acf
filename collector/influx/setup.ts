// InfluxDB administration through the `influx` package: the client, the database, the raw and
// hourly roll-up retention policies and their continuous queries; writes go through writer.ts.
import { readFileSync } from 'node:fs';
import { InfluxDB } from 'influx';
import { catalogue, formatDuration, type MeasurementName } from '../../protocol/index.ts';

export const RAW_RP = 'raw';
export const ROLLUP_RP = 'rollup_1h';

export interface InfluxSettings {
  url: string;
  database: string;
  username?: string;
  passwordFile?: string;
  rawRetentionMs: number;
  rollupRetentionMs: number;
}

export function influxClient(s: Pick<InfluxSettings, 'url' | 'database' | 'username' | 'passwordFile'>): InfluxDB {
  const u = new URL(s.url);
  return new InfluxDB({
    host: u.hostname,
    port: Number(u.port || (u.protocol === 'https:' ? 443 : 8086)),
    protocol: u.protocol === 'https:' ? 'https' : 'http',
    database: s.database,
    username: s.username,
    password: s.passwordFile ? readFileSync(s.passwordFile, 'utf8').trim() : undefined,
    // One host per client: the pool's own backoff (up to 10 s) only delayed the first query after InfluxDB
    // came back (the schema check a node's catch-up waits for); our callers retry on their own schedule.
    pool: { backoff: HOST_BACKOFF },
  });
}

const HOST_BACKOFF = { getDelay: () => 500, next: () => HOST_BACKOFF, reset: () => HOST_BACKOFF };

/**
 * The hourly roll-up of one measurement: the mean of each numeric field under the same name,
 * so a dashboard switches retention policy without changing field names.
 */
export function rollupQuery(database: string, name: MeasurementName): string | undefined {
  const fields = Object.entries(catalogue[name].fields as Record<string, { type: string }>)
    .filter(([, f]) => f.type !== 'string')
    .map(([k]) => `mean("${k}") AS "${k}"`);
  if (fields.length === 0) return undefined;
  return `SELECT ${fields.join(', ')} INTO "${database}"."${ROLLUP_RP}"."${name}" FROM "${database}"."${RAW_RP}"."${name}" GROUP BY time(1h), *`;
}

const HOUR = 3_600_000;

/**
 * Runs each roll-up query over the whole hours from `fromMs` to the current hour included: what the
 * continuous queries missed or computed on partial data while the node was down or behind (a
 * continuous query covers only the hour that just ended, when it ends). Hours already right are
 * rewritten with the same values; the current one is finished by its continuous query.
 */
export async function refreshRollups(influx: InfluxDB, database: string, fromMs: number, nowMs = Date.now()): Promise<number> {
  const from = Math.floor(fromMs / HOUR) * HOUR;
  const to = (Math.floor(nowMs / HOUR) + 1) * HOUR;
  let queries = 0;
  for (const name of Object.keys(catalogue) as MeasurementName[]) {
    const query = rollupQuery(database, name);
    if (!query) continue;
    await influx.query(query.replace(' GROUP BY ', ` WHERE time >= ${from}ms AND time < ${to}ms GROUP BY `));
    queries++;
  }
  return queries;
}

/** Create (or bring up to date) the database, the two retention policies and the roll-up queries. */
export async function ensureSchema(influx: InfluxDB, s: InfluxSettings): Promise<void> {
  const names = await influx.getDatabaseNames();
  if (!names.includes(s.database)) await influx.createDatabase(s.database);
  const existing = await influx.showRetentionPolicies(s.database);
  const want = [
    { name: RAW_RP, duration: formatDuration(s.rawRetentionMs), isDefault: true },
    { name: ROLLUP_RP, duration: formatDuration(s.rollupRetentionMs), isDefault: false },
  ];
  for (const rp of want) {
    const current = existing.find((e) => e.name === rp.name);
    // Created with replication 1; a factor an operator set (InfluxDB Enterprise) is kept.
    const opts = { duration: rp.duration, replication: current?.replicaN ?? 1, isDefault: rp.isDefault, database: s.database };
    if (current) await influx.alterRetentionPolicy(rp.name, opts);
    else await influx.createRetentionPolicy(rp.name, opts);
  }
  const cqs = await influx.showContinousQueries(s.database);
  for (const name of Object.keys(catalogue) as MeasurementName[]) {
    const query = rollupQuery(s.database, name);
    if (!query) continue;
    const cqName = `cq_${name}_1h`;
    const current = cqs.find((c) => c.name === cqName);
    if (current && current.query.includes(query.replace(/^SELECT /, ''))) continue;
    if (current) await influx.dropContinuousQuery(cqName, s.database);
    await influx.createContinuousQuery(cqName, query, s.database);
  }
}
