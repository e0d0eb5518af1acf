// The status page's 90-day record per service, read from the hourly roll-ups (never the raw samples):
// a service counts as available in an hour by its best probe (it is down only when every probe is),
// and a day's figure is the mean of its hours, in Vietnam time.
import type { InfluxDB } from 'influx';
import { ROLLUP_RP } from '../influx/setup.ts';
import type { StatusProbe, StatusService } from './settings.ts';

export const HISTORY_DAYS = 90;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const VN_OFFSET = 7 * HOUR;
/** A full read of 90 days at most this often; in between only the last two days are read again. */
const FULL_EVERY_MS = HOUR;

export interface DayFigure {
  /** The day, as YYYY-MM-DD in Vietnam time. */
  day: string;
  /** Percent of the day's measured hours in which the service was available; undefined: no data. */
  percent?: number;
}

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** One InfluxQL statement: the hourly availability of one probe since `sinceMs`. */
export function probeStatement(database: string, probe: StatusProbe, sinceMs: number): string {
  const where = [`time >= ${sinceMs}ms`, ...Object.entries(probe.tags).map(([k, v]) => `"${k}" = ${quote(v)}`)];
  if (probe.agencies?.length) where.push(`(${probe.agencies.map((a) => `"agency" = ${quote(a)}`).join(' OR ')})`);
  return `SELECT mean("up") AS up FROM "${database}"."${ROLLUP_RP}"."${probe.measurement}" WHERE ${where.join(' AND ')} GROUP BY time(1h) fill(none)`;
}

export const vnDay = (ms: number) => new Date(Math.floor((ms + VN_OFFSET) / DAY) * DAY).toISOString().slice(0, 10);

export class StatusHistory {
  /** Per service: hour start (ms) -> availability 0..1 of its best probe. */
  private readonly hours: Array<Map<number, number>>;
  private lastFull = 0;
  /** InfluxDB query requests made (the status benchmark counts them). */
  queries = 0;

  constructor(
    private readonly services: StatusService[],
    private readonly influx: InfluxDB | undefined,
    private readonly database: string,
  ) {
    this.hours = services.map(() => new Map());
  }

  /** One request to InfluxDB (all statements together), or none when there is nothing to read. */
  async refresh(now: number): Promise<void> {
    if (!this.influx || this.services.length === 0) return;
    const full = now - this.lastFull >= FULL_EVERY_MS;
    const since = full ? Math.floor((now - HISTORY_DAYS * DAY) / DAY) * DAY - VN_OFFSET : Math.floor((now + VN_OFFSET) / DAY) * DAY - VN_OFFSET - DAY;
    const owners: number[] = [];
    const statements: string[] = [];
    this.services.forEach((svc, i) =>
      svc.probes.forEach((p) => {
        owners.push(i);
        statements.push(probeStatement(this.database, p, since));
      }),
    );
    this.queries++;
    const raw = (await this.influx.queryRaw(statements.join('; '), { precision: 'ms' })) as { results?: Array<{ series?: Array<{ values?: Array<[number, number | null]> }> }> };
    const fresh = this.services.map(() => new Map<number, number>());
    (raw.results ?? []).forEach((result, k) => {
      const hours = fresh[owners[k]];
      for (const series of result.series ?? []) {
        for (const [t, up] of series.values ?? []) if (typeof up === 'number') hours.set(t, Math.max(hours.get(t) ?? 0, up));
      }
    });
    fresh.forEach((hours, i) => {
      const kept = this.hours[i];
      if (full) kept.clear();
      for (const t of [...kept.keys()]) if (t >= since || t < now - HISTORY_DAYS * DAY - DAY) kept.delete(t);
      for (const [t, v] of hours) kept.set(t, v);
    });
    if (full) this.lastFull = now;
  }

  /** The last HISTORY_DAYS days of one service, oldest first, today last. */
  days(service: number, now: number): DayFigure[] {
    const sums = new Map<string, { sum: number; n: number }>();
    for (const [t, v] of this.hours[service] ?? []) {
      const d = vnDay(t);
      const e = sums.get(d) ?? { sum: 0, n: 0 };
      e.sum += v;
      e.n++;
      sums.set(d, e);
    }
    const out: DayFigure[] = [];
    for (let i = HISTORY_DAYS - 1; i >= 0; i--) {
      const day = vnDay(now - i * DAY);
      const e = sums.get(day);
      out.push({ day, percent: e ? Math.round((e.sum / e.n) * 10000) / 100 : undefined });
    }
    return out;
  }
}
