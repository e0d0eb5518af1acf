// The monthly report as one self-contained HTML document in Vietnamese or English: the mail body,
// the console view and the source of the PDF.
import { escapeHtml as e } from '../console/html.ts';
import type { MonthlyReport } from './figures.ts';
import { barChart } from './svg.ts';

type L = 'vi' | 'en';
const T = {
  vi: {
    title: 'Báo cáo giám sát mạng và an toàn thông tin tháng',
    window: 'Khoảng thời gian',
    generated: 'Lập lúc',
    reporting: 'Cơ quan gửi báo cáo',
    reportingText: '{n}/{total} cơ quan có dữ liệu trong tháng ({p}%)',
    videoconf: 'Mức sẵn sàng của điểm cầu hội nghị truyền hình',
    probes: 'Mức sẵn sàng của các dịch vụ được giám sát, theo cơ quan',
    wan: 'Mức sẵn sàng của đường truyền WAN (cổng WAN của router, qua SNMP)', device: 'Thiết bị', port: 'Cổng',
    certs: 'Chứng thư số đã hết hạn hoặc hết hạn trong 30 ngày (tính đến cuối tháng)',
    security: 'Điểm an ninh theo cơ quan',
    incidents: 'Sự cố theo mức độ',
    agency: 'Cơ quan', endpoint: 'Điểm cầu', availability: 'Sẵn sàng', hours: 'Số giờ có dữ liệu', all: 'Tất cả',
    expired: 'Đã hết hạn', expiring: 'Sắp hết hạn', score: 'Điểm', previous: 'Tháng trước', change: 'Thay đổi',
    web: 'Toàn vẹn trang web: phát hiện mới trong tháng (cờ bạc, nội dung ẩn, che giấu, chuyển hướng, mã lạ, thay đổi giao diện)', findings: 'Số phát hiện', sites: 'Số trang web', kinds: 'Loại',
    auth: 'Dấu hiệu xâm nhập trong tháng (dò mật khẩu, thử nhiều tài khoản, đăng nhập sau chuỗi thất bại, quản trị viên mới, xóa nhật ký)', signals: 'Số dấu hiệu',
    severity: 'Mức độ', count: 'Số sự cố', acked: 'Đã xác nhận', resolved: 'Đã khắc phục', mtta: 'Thời gian xác nhận TB (phút)', mttr: 'Thời gian khắc phục TB (phút)',
    severities: { critical: 'Nghiêm trọng', warning: 'Cảnh báo', info: 'Thông tin' } as Record<string, string>,
    none: 'Không có.', sources: 'Nguồn số liệu: InfluxDB (retention policy rollup_1h, trung bình theo giờ) và cơ sở dữ liệu cảnh báo của collector. Tệp CSV kèm theo ghi câu truy vấn và khoảng thời gian của từng con số.',
  },
  en: {
    title: 'Monthly network and security monitoring report',
    window: 'Period',
    generated: 'Generated',
    reporting: 'Agencies reporting',
    reportingText: '{n}/{total} agencies sent data in the month ({p}%)',
    videoconf: 'Availability of video-conference endpoints',
    probes: 'Availability of monitored services, by agency',
    wan: 'WAN link availability (the routers\' WAN interfaces, over SNMP)', device: 'Device', port: 'Interface',
    certs: 'Certificates expired or expiring within 30 days (as of the end of the month)',
    security: 'Security score by agency',
    incidents: 'Incidents by severity',
    agency: 'Agency', endpoint: 'Endpoint', availability: 'Availability', hours: 'Hours with data', all: 'All',
    expired: 'Expired', expiring: 'Expiring', score: 'Score', previous: 'Previous month', change: 'Change',
    web: 'Web integrity: findings first seen in the month (gambling, hidden content, cloaking, redirects, new scripts, defacement)', findings: 'Findings', sites: 'Sites', kinds: 'Kinds',
    auth: 'Intrusion signals in the month (password guessing, spraying, logins after failures, new administrators, cleared logs)', signals: 'Signals',
    severity: 'Severity', count: 'Incidents', acked: 'Acknowledged', resolved: 'Resolved', mtta: 'Mean time to acknowledge (min)', mttr: 'Mean time to resolve (min)',
    severities: { critical: 'Critical', warning: 'Warning', info: 'Info' } as Record<string, string>,
    none: 'None.', sources: 'Sources: InfluxDB (retention policy rollup_1h, hourly means) and the collector alert store. The CSV gives the query and window of every figure.',
  },
} as const;

const fmtTime = (l: L, ms: number) =>
  new Intl.DateTimeFormat(l === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(ms));
const num = (l: L, n: number | null, d = 2) => (n === null ? '–' : new Intl.NumberFormat(l === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: d }).format(n));

function tableOf(head: string[], rows: string[][], none: string): string {
  if (rows.length === 0) return `<p>${e(none)}</p>`;
  return `<table><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const STYLE = `body{font-family:"Noto Sans","DejaVu Sans",Arial,sans-serif;color:#1a202c;margin:24px;font-size:13px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:22px 0 6px;border-bottom:1px solid #cbd5e0;padding-bottom:3px}
table{border-collapse:collapse;margin:6px 0;width:100%}th,td{border:1px solid #cbd5e0;padding:3px 6px;text-align:left}th{background:#edf2f7}
td.n{text-align:right}.muted{color:#4a5568}.big{font-size:18px;font-weight:bold}.neg{color:#c05621}.pos{color:#2f855a}
@media print{h2{break-after:avoid}table,svg{break-inside:avoid}}`;

/** The report as one self-contained HTML document (inline CSS and SVG: it is mailed and printed to PDF). */
export function reportHtml(r: MonthlyReport, l: L = 'vi'): string {
  const t = T[l];
  const name = new Map(r.agencies.map((a) => [a.id, a.name]));
  const an = (id: string) => e(name.get(id) ?? id);
  const n = (x: number | null, d = 2) => `<span>${e(num(l, x, d))}</span>`;
  const sections: string[] = [];

  sections.push(`<h2>${e(t.reporting)}</h2><p class="big">${e(t.reportingText.replace('{n}', String(r.reporting.count)).replace('{total}', String(r.reporting.total)).replace('{p}', num(l, r.reporting.sharePercent)))}</p>`);

  sections.push(`<h2>${e(t.videoconf)}</h2>` +
    (r.videoconf.length ? barChart(r.videoconf.map((v) => ({ label: `${v.endpoint} (${name.get(v.agency) ?? v.agency})`, value: v.availabilityPercent })), { max: 100, unit: '%', title: t.videoconf, goodAbove: 99 }) : '') +
    tableOf([t.endpoint, t.agency, `${t.availability} (%)`, t.hours], r.videoconf.map((v) => [e(v.endpoint), an(v.agency), n(v.availabilityPercent), String(v.hours)]), t.none));

  const measurements = [...new Set(r.probes.flatMap((p) => Object.keys(p.byMeasurement)))].sort();
  sections.push(`<h2>${e(t.probes)}</h2>` +
    tableOf([t.agency, `${t.all} (%)`, ...measurements.map((m) => `${m} (%)`), t.hours], r.probes.map((p) => [an(p.agency), n(p.availabilityPercent), ...measurements.map((m) => n(p.byMeasurement[m]?.availabilityPercent ?? null)), String(p.hours)]), t.none));

  sections.push(`<h2>${e(t.wan)}</h2>` +
    tableOf([t.agency, t.device, t.port, `${t.availability} (%)`, t.hours], (r.wanLinks ?? []).map((w) => [an(w.agency), e(w.device), e(w.interface), n(w.availabilityPercent), String(w.hours)]), t.none));

  const certRows = r.certificates.filter((c) => c.expired + c.expiring > 0);
  sections.push(`<h2>${e(t.certs)}</h2>` +
    tableOf([t.agency, t.expired, t.expiring, ''], certRows.map((c) => [an(c.agency), String(c.expired), String(c.expiring), c.items.map((i) => `${e(i.where)} (${e(i.state === 'expired' ? t.expired : t.expiring)}, ${e(fmtTime(l, i.notAfter))})`).join('<br>')]), t.none));

  sections.push(`<h2>${e(t.security)}</h2>` +
    (r.security.length ? barChart(r.security.map((s) => ({ label: name.get(s.agency) ?? s.agency, value: s.scorePercent })), { max: 100, unit: '%', title: t.security, goodAbove: 80 }) : '') +
    tableOf([t.agency, `${t.score} (%)`, `${t.previous} (%)`, t.change], r.security.map((s) => [an(s.agency), n(s.scorePercent), n(s.previousPercent), s.change === null ? '–' : `<span class="${s.change < 0 ? 'neg' : 'pos'}">${s.change > 0 ? '+' : ''}${e(num(l, s.change))}</span>`]), t.none));

  sections.push(`<h2>${e(t.web)}</h2>` +
    tableOf([t.agency, t.findings, t.sites, t.kinds], r.webFindings.map((w) => [an(w.agency), String(w.findings), String(w.sites), e(Object.entries(w.byKind).map(([k, n]) => `${k} ${n}`).join(', '))]), t.none));

  sections.push(`<h2>${e(t.auth)}</h2>` +
    tableOf([t.agency, t.signals, t.kinds], (r.authFindings ?? []).map((w) => [an(w.agency), String(w.findings), e(Object.entries(w.byKind).map(([k, n]) => `${k} ${n}`).join(', '))]), t.none));

  sections.push(`<h2>${e(t.incidents)}</h2>` +
    tableOf([t.severity, t.count, t.acked, t.resolved, t.mtta, t.mttr], r.incidents.map((i) => [e(t.severities[i.severity] ?? i.severity), String(i.count), String(i.acknowledged), String(i.resolved), n(i.mttaMinutes, 1), n(i.mttrMinutes, 1)]), t.none));

  return `<!doctype html>
<html lang="${l}"><head><meta charset="utf-8"><title>${e(t.title)} ${e(r.window.month)}</title><style>${STYLE}</style></head>
<body>
<h1>${e(t.title)} ${e(r.window.month)}</h1>
<p class="muted">${e(t.window)}: ${e(fmtTime(l, r.window.start))} – ${e(fmtTime(l, r.window.end))} (Asia/Ho_Chi_Minh) · ${e(t.generated)}: ${e(fmtTime(l, r.generatedAt))}</p>
${sections.join('\n')}
<p class="muted">${e(t.sources)}</p>
</body></html>
`;
}
