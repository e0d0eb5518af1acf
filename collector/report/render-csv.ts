// The monthly report as CSV: every figure with its window and source query, so numbers can be traced.
import type { MonthlyReport, Source } from './figures.ts';

const HEADER = ['section', 'agency', 'subject', 'metric', 'value', 'unit', 'window_start', 'window_end', 'source', 'query'];

function cell(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  // Quote always; a leading = + - @ would be a formula in a spreadsheet.
  return `"${(/^[=+\-@]/.test(s) && typeof v === 'string' ? `'${s}` : s).replace(/"/g, '""')}"`;
}

/** Every figure of the report on one row, with the window and the query it came from. */
export function reportCsv(r: MonthlyReport): string {
  const rows: (string | number | null)[][] = [];
  const add = (section: string, agency: string, subject: string, metric: string, value: number | null, unit: string, src: Source) =>
    rows.push([section, agency, subject, metric, value, unit, new Date(src.start).toISOString(), new Date(src.end).toISOString(), src.kind, src.query]);
  add('reporting', '', '', 'agencies_total', r.reporting.total, 'count', r.reporting.totalSource);
  add('reporting', '', '', 'agencies_reporting', r.reporting.count, 'count', r.reporting.source);
  add('reporting', '', '', 'agencies_reporting_share', r.reporting.sharePercent, 'percent', r.reporting.source);
  for (const v of r.videoconf) {
    add('videoconf', v.agency, v.endpoint, 'availability', v.availabilityPercent, 'percent', r.videoconfSource);
    add('videoconf', v.agency, v.endpoint, 'hours_measured', v.hours, 'hours', r.videoconfSource);
  }
  for (const p of r.probes) {
    add('probes', p.agency, 'all', 'availability', p.availabilityPercent, 'percent', r.probesSource);
    for (const [m, x] of Object.entries(p.byMeasurement)) add('probes', p.agency, m, 'availability', x.availabilityPercent, 'percent', r.probesSource);
  }
  for (const w of r.wanLinks ?? []) {
    add('wan_links', w.agency, `${w.device} ${w.interface}`, 'availability', w.availabilityPercent, 'percent', r.wanLinksSource);
    add('wan_links', w.agency, `${w.device} ${w.interface}`, 'hours_measured', w.hours, 'hours', r.wanLinksSource);
  }
  for (const c of r.certificates) {
    add('certificates', c.agency, '', 'expired', c.expired, 'count', r.certificatesSource);
    add('certificates', c.agency, '', 'expiring_30d', c.expiring, 'count', r.certificatesSource);
  }
  for (const s of r.security) {
    add('security', s.agency, '', 'score', s.scorePercent, 'percent', r.securitySource);
    add('security', s.agency, '', 'score_previous_month', s.previousPercent, 'percent', r.securityPreviousSource);
    add('security', s.agency, '', 'score_change', s.change, 'points', r.securitySource);
  }
  for (const i of r.incidents) {
    add('incidents', '', i.severity, 'count', i.count, 'count', r.incidentsSource);
    add('incidents', '', i.severity, 'mean_time_to_acknowledge', i.mttaMinutes, 'minutes', r.incidentsSource);
    add('incidents', '', i.severity, 'mean_time_to_resolve', i.mttrMinutes, 'minutes', r.incidentsSource);
  }
  for (const w of r.webFindings) {
    add('web_integrity', w.agency, 'all', 'findings', w.findings, 'count', r.webFindingsSource);
    for (const [kind, n] of Object.entries(w.byKind)) add('web_integrity', w.agency, kind, 'findings', n, 'count', r.webFindingsSource);
  }
  for (const a of r.authFindings ?? []) {
    add('intrusion_signals', a.agency, 'all', 'findings', a.findings, 'count', r.authFindingsSource);
    for (const [kind, n] of Object.entries(a.byKind)) add('intrusion_signals', a.agency, kind, 'findings', n, 'count', r.authFindingsSource);
  }
  return [HEADER.join(','), ...rows.map((row) => row.map(cell).join(','))].join('\r\n') + '\r\n';
}
