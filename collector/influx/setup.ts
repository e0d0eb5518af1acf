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
  });
}

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
    const opts = { duration: rp.duration, replication: 1, isDefault: rp.isDefault, database: s.database };
    if (existing.some((e) => e.name === rp.name)) await influx.alterRetentionPolicy(rp.name, opts);
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
