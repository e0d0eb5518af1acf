// The numbers of the monthly report (reporting agencies, availability, certificates, security score,
// incidents) from InfluxDB roll-ups and the state database, each with the query and window it came from.
import type { InfluxDB } from 'influx';
import { ROLLUP_RP } from '../influx/setup.ts';
import { listAgencies } from '../state/agencies.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { withValues } from '../state/sql/query.ts';
import { countWebFindings, WEB_FINDINGS_COUNT_SQL } from '../state/web-findings.ts';
import { AUTH_FINDINGS_COUNT_SQL, countAuthFindings } from '../state/auth-findings.ts';
import { parseMonth, previousMonth, type MonthWindow } from './month.ts';

/** Where a number came from: the query text and its window travel with it into the CSV. */
export interface Source {
  kind: 'InfluxQL' | 'SQL';
  query: string;
  start: number;
  end: number;
}

export interface AgencyInfo {
  id: string;
  name: string;
  district?: string;
}

export const PROBE_MEASUREMENTS = ['ping', 'tcp', 'http', 'dns', 'sip'] as const;
export const EXPIRING_WITHIN_DAYS = 30;

export interface MonthlyReport {
  window: MonthWindow;
  generatedAt: number;
  agencies: AgencyInfo[];
  reporting: { count: number; total: number; sharePercent: number; agencies: string[]; source: Source; totalSource: Source };
  videoconf: { agency: string; endpoint: string; availabilityPercent: number; hours: number }[];
  videoconfSource: Source;
  probes: { agency: string; byMeasurement: Record<string, { availabilityPercent: number; hours: number }>; availabilityPercent: number; hours: number }[];
  probesSource: Source;
  certificates: { agency: string; expired: number; expiring: number; items: { kind: 'tls' | 'file'; where: string; notAfter: number; state: 'expired' | 'expiring' }[] }[];
  certificatesSource: Source;
  security: { agency: string; scorePercent: number | null; previousPercent: number | null; change: number | null }[];
  securitySource: Source;
  securityPreviousSource: Source;
  incidents: { severity: string; count: number; acknowledged: number; resolved: number; mttaMinutes: number | null; mttrMinutes: number | null }[];
  incidentsSource: Source;
  /** Web integrity findings first seen in the month, by agency (and kind), from the findings inventory. */
  webFindings: { agency: string; findings: number; sites: number; byKind: Record<string, number> }[];
  webFindingsSource: Source;
  /** WAN links (snmp_interfaces, `wan=1`): share of hourly roll-ups in which each link was operationally up. */
  wanLinks: { agency: string; device: string; interface: string; availabilityPercent: number; hours: number }[];
  wanLinksSource: Source;
  /** Intrusion signals (auth_events) that began in the month, by agency and kind, from the findings inventory. */
  authFindings: { agency: string; findings: number; byKind: Record<string, number> }[];
  authFindingsSource: Source;
}

const iso = (ms: number) => new Date(ms).toISOString();
const timeWhere = (w: { start: number; end: number }) => `time >= '${iso(w.start)}' AND time < '${iso(w.end)}'`;
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

async function influxSeries(influx: InfluxDB, query: string): Promise<Series[]> {
  const raw = (await influx.queryRaw(query)) as { results: { series?: Series[]; error?: string }[] };
  const out: Series[] = [];
  for (const r of raw.results) {
    if (r.error) throw new Error(`InfluxDB: ${r.error} (query: ${query})`);
    out.push(...(r.series ?? []));
  }
  return out;
}

function col(s: Series, name: string, row = 0): number | null {
  const i = s.columns.indexOf(name);
  const v = i >= 0 ? s.values[row]?.[i] : null;
  return typeof v === 'number' ? v : null;
}

/** A report query's SQL as a reader can run it: each `?` bound in turn to the window's start and end. */
function windowSql(sql: string, window: { start: number; end: number }): string {
  let i = 0;
  return sql.replace(/\?/g, () => String(i++ % 2 === 0 ? window.start : window.end));
}

/** Probes per agency: sum and count of hourly `up` per measurement, so the overall figure is a plain
 * mean over every probe-hour of the agency (not a mean of means). */
async function probeFigures(influx: InfluxDB, rp: string, window: MonthWindow): Promise<{ probes: MonthlyReport['probes']; probesQ: string }> {
  const probesQ = `SELECT sum("up"), count("up") FROM ${PROBE_MEASUREMENTS.map((m) => `${rp}."${m}"`).join(', ')} WHERE ${timeWhere(window)} GROUP BY "agency"`;
  const probeMap = new Map<string, { byMeasurement: Record<string, { sum: number; count: number }> }>();
  for (const s of await influxSeries(influx, probesQ)) {
    const agency = s.tags?.agency ?? '';
    const e = probeMap.get(agency) ?? { byMeasurement: {} };
    e.byMeasurement[s.name] = { sum: col(s, 'sum') ?? 0, count: col(s, 'count') ?? 0 };
    probeMap.set(agency, e);
  }
  const probes = [...probeMap]
    .map(([agency, e]) => {
      const all = Object.values(e.byMeasurement).reduce((a, x) => ({ sum: a.sum + x.sum, count: a.count + x.count }), { sum: 0, count: 0 });
      return {
        agency,
        byMeasurement: Object.fromEntries(Object.entries(e.byMeasurement).map(([m, x]) => [m, { availabilityPercent: x.count ? round((x.sum / x.count) * 100) : 0, hours: x.count }])),
        availabilityPercent: all.count ? round((all.sum / all.count) * 100) : 0,
        hours: all.count,
      };
    })
    .sort((a, b) => a.agency.localeCompare(b.agency));

  return { probes, probesQ };
}

/** Certificates: the last known expiry of each certificate seen in the month, against the month's end. */
async function certificateFigures(influx: InfluxDB, rp: string, window: MonthWindow): Promise<{ certs: MonthlyReport['certificates']; certQ: string }> {
  const certQ = `SELECT last("not_after_seconds") FROM ${rp}."tls_cert", ${rp}."cert_file" WHERE ${timeWhere(window)} GROUP BY "agency", "target", "path"`;
  const certMap = new Map<string, MonthlyReport['certificates'][number]>();
  for (const s of await influxSeries(influx, certQ)) {
    const notAfterS = col(s, 'last');
    if (notAfterS === null) continue;
    const notAfter = notAfterS * 1000;
    const state = notAfter <= window.end ? 'expired' : notAfter <= window.end + EXPIRING_WITHIN_DAYS * 86_400_000 ? 'expiring' : undefined;
    const agency = s.tags?.agency ?? '';
    const e = certMap.get(agency) ?? { agency, expired: 0, expiring: 0, items: [] };
    if (state) {
      e[state]++;
      e.items.push({ kind: s.name === 'cert_file' ? 'file' : 'tls', where: (s.name === 'cert_file' ? s.tags?.path : s.tags?.target) ?? '', notAfter, state });
    }
    certMap.set(agency, e);
  }
  const certs = [...certMap.values()].sort((a, b) => a.agency.localeCompare(b.agency));

  return { certs, certQ };
}

/** Alerts that fired in the window, by severity; shown in the report as its source (the `?` are the window). */
export const INCIDENTS_SQL = `SELECT severity, COUNT(*) AS n, COUNT(acked_at) AS acked, COUNT(resolved_at) AS resolved,
    AVG(CASE WHEN acked_at IS NOT NULL THEN acked_at - fired_at END) AS mtta_ms,
    AVG(CASE WHEN resolved_at IS NOT NULL THEN resolved_at - fired_at END) AS mttr_ms
    FROM alerts WHERE fired_at >= ? AND fired_at < ? GROUP BY severity`;

const SEVERITY_ORDER = ['critical', 'warning', 'info'];

/** Incidents of the window from the alert table: counts, acknowledged and resolved, mean minutes to each, critical first. */
export async function incidentFigures(state: StateSql, window: { start: number; end: number }): Promise<MonthlyReport['incidents']> {
  type Row = { severity: string; n: number; acked: number; resolved: number; mtta_ms: number | null; mttr_ms: number | null };
  const { rows } = await withValues(INCIDENTS_SQL, [window.start, window.end]).execute(state.db);
  // PostgreSQL's AVG of integers is a NUMERIC (a number through connect.ts), its COUNT a BIGINT: both numbers here.
  const minutes = (ms: number | null) => (ms === null ? null : round(Number(ms) / 60_000, 1));
  return (rows as Row[])
    .map((r) => ({ severity: r.severity, count: Number(r.n), acknowledged: Number(r.acked), resolved: Number(r.resolved), mttaMinutes: minutes(r.mtta_ms), mttrMinutes: minutes(r.mttr_ms) }))
    .sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
}

/**
 * The monthly figures. Time series come from the `rollup_1h` retention policy (hourly means: one hour
 * of data weighs one hour, whatever the probe interval), incidents from the alert table of the state.
 */
export async function buildMonthlyReport(opts: { state: StateSql; influx: InfluxDB; month: string; now?: number }): Promise<MonthlyReport> {
  const window = parseMonth(opts.month);
  if (!window) throw new Error(`month: expected YYYY-MM such as 2026-11, got "${opts.month}"`);
  const prev = parseMonth(previousMonth(opts.month))!;
  const { influx } = opts;
  const rp = `"${ROLLUP_RP}"`;
  const agencies = (await listAgencies(opts.state)).map((a) => ({ id: a.id, name: a.name, district: a.district }));
  const known = new Set(agencies.map((a) => a.id));
  const totalSource: Source = { kind: 'SQL', query: 'SELECT id FROM agencies WHERE active = 1', start: window.start, end: window.end };

  // Agencies reporting: any agent_status roll-up point in the month.
  const reportingQ = `SELECT count("cycle_ms") FROM ${rp}."agent_status" WHERE ${timeWhere(window)} GROUP BY "agency"`;
  const reportingAgencies = (await influxSeries(influx, reportingQ)).filter((s) => (col(s, 'count') ?? 0) > 0 && known.has(s.tags?.agency ?? '')).map((s) => s.tags!.agency);
  const reporting = {
    count: reportingAgencies.length,
    total: agencies.length,
    sharePercent: agencies.length ? round((reportingAgencies.length / agencies.length) * 100) : 0,
    agencies: reportingAgencies.sort(),
    source: { kind: 'InfluxQL' as const, query: reportingQ, start: window.start, end: window.end },
    totalSource,
  };

  // Video-conference endpoints: mean of hourly readiness.
  const vcQ = `SELECT mean("ready"), count("ready") FROM ${rp}."videoconf" WHERE ${timeWhere(window)} GROUP BY "agency", "endpoint"`;
  const videoconf = (await influxSeries(influx, vcQ))
    .map((s) => ({ agency: s.tags?.agency ?? '', endpoint: s.tags?.endpoint ?? '', availabilityPercent: round((col(s, 'mean') ?? 0) * 100), hours: col(s, 'count') ?? 0 }))
    .sort((a, b) => a.agency.localeCompare(b.agency) || a.endpoint.localeCompare(b.endpoint, 'vi'));

  const { probes, probesQ } = await probeFigures(influx, rp, window);
  const { certs, certQ } = await certificateFigures(influx, rp, window);

  // Security score: mean of the hourly scores in the month, and the same for the month before.
  const scoreQ = (w: MonthWindow) => `SELECT mean("score_percent") FROM ${rp}."security_score" WHERE ${timeWhere(w)} GROUP BY "agency"`;
  const scores = async (w: MonthWindow) => new Map((await influxSeries(influx, scoreQ(w))).map((s) => [s.tags?.agency ?? '', col(s, 'mean')]));
  const now = await scores(window);
  const before = await scores(prev);
  const security = [...new Set([...now.keys()])]
    .sort()
    .map((agency) => {
      const a = now.get(agency) ?? null;
      const b = before.get(agency) ?? null;
      return { agency, scorePercent: a === null ? null : round(a), previousPercent: b === null ? null : round(b), change: a !== null && b !== null ? round(a - b) : null };
    });

  const incidents = await incidentFigures(opts.state, window);

  const src = (kind: Source['kind'], query: string, w: { start: number; end: number } = window): Source => ({ kind, query: query.replace(/\s+/g, ' '), start: w.start, end: w.end });
  const webFindings = await webFindingsByAgency(opts.state, window);
  return {
    window,
    generatedAt: opts.now ?? Date.now(),
    agencies,
    reporting,
    videoconf,
    videoconfSource: src('InfluxQL', vcQ),
    probes,
    probesSource: src('InfluxQL', probesQ),
    certificates: certs,
    certificatesSource: src('InfluxQL', certQ),
    security,
    securitySource: src('InfluxQL', scoreQ(window)),
    securityPreviousSource: src('InfluxQL', scoreQ(prev), prev),
    incidents,
    incidentsSource: src('SQL', windowSql(INCIDENTS_SQL, window)),
    webFindings,
    webFindingsSource: src('SQL', windowSql(WEB_FINDINGS_COUNT_SQL, window)),
    ...(await wanLinksOf(influx, window)),
    authFindings: await authFindingsByAgency(opts.state, window),
    authFindingsSource: src('SQL', windowSql(AUTH_FINDINGS_COUNT_SQL, window)),
  };
}

/**
 * WAN link availability per agency, device and interface: the mean of the hourly means of `oper_up` (one
 * hour weighs one hour whatever the poll interval), and the hours with data, so a link that was not
 * polled for part of the month says so rather than counting as down.
 */
async function wanLinksOf(influx: InfluxDB, window: MonthWindow): Promise<Pick<MonthlyReport, 'wanLinks' | 'wanLinksSource'>> {
  const query = `SELECT mean("oper_up"), count("oper_up") FROM "${ROLLUP_RP}"."net_interface" WHERE "wan" = '1' AND ${timeWhere(window)} GROUP BY "agency", "device", "interface"`;
  const wanLinks = (await influxSeries(influx, query))
    .map((s) => ({ agency: s.tags?.agency ?? '', device: s.tags?.device ?? '', interface: s.tags?.interface ?? '', availabilityPercent: round((col(s, 'mean') ?? 0) * 100), hours: col(s, 'count') ?? 0 }))
    .sort((a, b) => a.agency.localeCompare(b.agency) || a.device.localeCompare(b.device) || a.interface.localeCompare(b.interface));
  return { wanLinks, wanLinksSource: { kind: 'InfluxQL', query, start: window.start, end: window.end } };
}

/** Intrusion signals that began in the month per agency: how many, of which kinds. */
async function authFindingsByAgency(state: StateSql, window: MonthWindow): Promise<MonthlyReport['authFindings']> {
  const byAgency = new Map<string, MonthlyReport['authFindings'][number]>();
  for (const r of await countAuthFindings(state, window.start, window.end)) {
    const e = byAgency.get(r.agency) ?? { agency: r.agency, findings: 0, byKind: {} };
    e.findings += r.findings;
    e.byKind[r.kind] = r.findings;
    byAgency.set(r.agency, e);
  }
  return [...byAgency.values()].sort((a, b) => b.findings - a.findings || a.agency.localeCompare(b.agency));
}

/** Findings first seen in the month per agency: how many, on how many sites, of which kinds. */
async function webFindingsByAgency(state: StateSql, window: MonthWindow): Promise<MonthlyReport['webFindings']> {
  const byAgency = new Map<string, MonthlyReport['webFindings'][number]>();
  for (const r of await countWebFindings(state, window.start, window.end)) {
    const e = byAgency.get(r.agency) ?? { agency: r.agency, findings: 0, sites: 0, byKind: {} };
    if (r.kind === '') {
      e.findings = r.findings;
      e.sites = r.sites;
    } else e.byKind[r.kind] = r.findings;
    byAgency.set(r.agency, e);
  }
  return [...byAgency.values()].sort((a, b) => b.findings - a.findings || a.agency.localeCompare(b.agency));
}
