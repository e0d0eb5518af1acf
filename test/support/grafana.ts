/**
 * What Grafana does to a dashboard's InfluxQL before sending it, done here so the queries can be
 * run against a real influxd without Grafana: collect every query of a dashboard JSON, substitute
 * template variables, expand `$timeFilter` and `$__interval`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DashboardQuery {
  dashboard: string;
  panel: string;
  refId: string;
  query: string;
  /** Panel relative time override (`timeFrom`), e.g. `now/d`. */
  timeFrom?: string;
}

interface PanelJson {
  title?: string;
  type: string;
  timeFrom?: string;
  targets?: { refId: string; query: string }[];
  panels?: PanelJson[];
}

interface DashboardJson {
  title: string;
  panels?: PanelJson[];
  annotations?: { list?: { name: string; target?: { refId: string; query: string } }[] };
  templating?: { list?: { name: string; type: string; query?: unknown }[] };
}

export function loadDashboards(dir: string): { file: string; json: DashboardJson }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(join(dir, file), 'utf8')) as DashboardJson }));
}

export function panelQueries(d: DashboardJson): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const walk = (panels: PanelJson[] = []) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) out.push({ dashboard: d.title, panel: p.title ?? p.type, refId: t.refId, query: t.query, timeFrom: p.timeFrom });
      walk(p.panels);
    }
  };
  walk(d.panels);
  for (const a of d.annotations?.list ?? []) {
    if (a.target?.query) out.push({ dashboard: d.title, panel: `annotation ${a.name}`, refId: a.target.refId, query: a.target.query });
  }
  return out;
}

/** Query variables (`SHOW TAG VALUES ...`): Grafana runs them too, and an empty one empties the dashboard. */
export function variableQueries(d: DashboardJson): DashboardQuery[] {
  return (d.templating?.list ?? [])
    .filter((v) => v.type === 'query' && typeof v.query === 'string')
    .map((v) => ({ dashboard: d.title, panel: `variable $${v.name}`, refId: v.name, query: v.query as string }));
}

// Grafana's rangeUtil.roundInterval: the interval it picks for a raw interval, in ms.
const ROUNDING: [number, number][] = [
  [15, 10], [35, 20], [75, 50], [150, 100], [350, 200], [750, 500], [1500, 1000], [3500, 2000], [7500, 5000],
  [12500, 10000], [17500, 15000], [25000, 20000], [45000, 30000], [90000, 60000], [210000, 120000], [450000, 300000],
  [750000, 600000], [1050000, 900000], [1500000, 1200000], [2700000, 1800000], [5400000, 3600000], [9000000, 7200000],
  [16200000, 10800000], [32400000, 21600000], [86400000, 43200000], [604800000, 86400000], [1814400000, 604800000],
  [3628800000, 2592000000],
];

export function roundInterval(ms: number): number {
  for (const [limit, value] of ROUNDING) if (ms <= limit) return value;
  return 31536000000;
}

/** `$__interval` as Grafana computes it: range / max data points, rounded, never below the data source's minimum. */
export function grafanaInterval(rangeMs: number, minIntervalMs: number, maxDataPoints = 1000): string {
  const ms = Math.max(roundInterval(rangeMs / maxDataPoints), minIntervalMs);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Start of today in a time zone given as a fixed offset (Asia/Ho_Chi_Minh is UTC+7 all year). */
export function startOfDay(now: number, offsetMinutes: number): number {
  const local = now + offsetMinutes * 60_000;
  return local - (local % 86_400_000) - offsetMinutes * 60_000;
}

/** Regex-escape like Grafana's InfluxDB data source does for a variable inside `=~ /^$var$/`. */
const regexEscape = (v: string) => v.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

export interface Expansion {
  from: number;
  to: number;
  minIntervalMs: number;
  variables: Record<string, string>;
}

export function expand(q: DashboardQuery, e: Expansion): string {
  const from = q.timeFrom === 'now/d' ? startOfDay(e.to, 7 * 60) : e.from;
  let text = q.query
    .replaceAll('$timeFilter', `time >= ${from}ms and time <= ${e.to}ms`)
    .replaceAll('$__interval', grafanaInterval(e.to - from, e.minIntervalMs));
  // Longest names first so `$agency` never eats `$agency_x`.
  for (const [name, value] of Object.entries(e.variables).sort((a, b) => b[0].length - a[0].length)) {
    text = text.replaceAll(`/^$${name}$/`, `/^${regexEscape(value)}$/`).replaceAll(`$${name}`, value);
  }
  const left = /\$[A-Za-z_]\w*/.exec(text);
  if (left) throw new Error(`${q.dashboard} / ${q.panel}: variable ${left[0]} is not defined: ${q.query}`);
  return text;
}
