// Proving "nothing lost, nothing invented": point identities of what an agent produced (its sample
// log) and of what InfluxDB stored, and the difference between them.
import { existsSync, readFileSync } from 'node:fs';
import { catalogue, isMeasurement, type WireSample } from '../../protocol/index.ts';
import { rows, type Influxd } from '../../scripts/lib/influxd.ts';
import { waitFor } from './agent.ts';

/** Identity of a point in InfluxDB: measurement, tags (without agency/agent) and timestamp in ms. */
export function pointKey(measurement: string, tags: Record<string, unknown>, timeMs: number): string {
  const spec = isMeasurement(measurement) ? catalogue[measurement] : undefined;
  const names = Object.keys(spec?.tags ?? tags).sort();
  const parts = names.filter((k) => tags[k] !== undefined && tags[k] !== null && tags[k] !== '').map((k) => `${k}=${String(tags[k])}`);
  return `${measurement}|${parts.join(',')}|${timeMs}`;
}

/** The samples an agent wrote to its `agent.sampleLog`. */
export function readSampleLog(file: string): WireSample[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as WireSample);
}

export const sampleKey = (s: WireSample) => pointKey(s.measurement, s.tags, Date.parse(s.time));

/** Keys of every point of one agent in InfluxDB, per measurement the agent produced. */
export async function storedKeys(influx: Influxd, database: string, agentId: string, measurements: Iterable<string>): Promise<string[]> {
  const keys: string[] = [];
  for (const m of measurements) {
    const r = rows(await influx.query(`SELECT * FROM "${m}" WHERE "agent" = '${agentId}'`, database));
    for (const row of r) keys.push(pointKey(m, row, row.time as number));
  }
  return keys;
}

/** What is produced but not stored, and what is stored but was never produced (re-stamped or invented). */
export function compareKeys(produced: string[], stored: string[]): { missing: string[]; extra: string[]; duplicatesProduced: number } {
  const p = new Set(produced);
  const s = new Set(stored);
  return {
    missing: [...p].filter((k) => !s.has(k)),
    extra: [...s].filter((k) => !p.has(k)),
    duplicatesProduced: produced.length - p.size,
  };
}

/**
 * Waits (bounded) until every sample the agent has logged so far is stored in `influx`. Returns what was
 * logged and the comparison at that moment: each test judges `extra` its own way (an agent still running
 * logs more meanwhile). A timeout says how many are missing, with examples.
 */
export async function waitAllLoggedStored(o: { influx: Influxd; database: string; agentId: string; sampleLog: string; what: string; timeoutMs?: number }): Promise<{ produced: string[]; last: ReturnType<typeof compareKeys> }> {
  const produced = readSampleLog(o.sampleLog).map(sampleKey);
  const measurements = new Set(produced.map((k) => k.split('|')[0]));
  let last: ReturnType<typeof compareKeys> | undefined;
  await waitFor(
    async () => {
      last = compareKeys(produced, await storedKeys(o.influx, o.database, o.agentId, measurements));
      return last.missing.length === 0;
    },
    { what: o.what, timeoutMs: o.timeoutMs ?? 60_000, intervalMs: 250 },
  ).catch((err) => {
    throw new Error(`${(err as Error).message}; missing ${last?.missing.length} of ${produced.length}, e.g. ${last?.missing.slice(0, 3).join(' ; ')}`);
  });
  return { produced, last: last! };
}
