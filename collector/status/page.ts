// Renders the public status page: plain HTML that works without JavaScript and fits a phone, with one
// local stylesheet; every value escaped, Vietnamese first with an English link.
import { html, raw, type Html } from '../console/html.ts';
import { formatTime, type Locale } from '../console/i18n.ts';
import type { StatusModel, PublicNotice, PublicService, Texts } from './model.ts';
import type { ServiceState } from './probe-state.ts';

const T = {
  vi: {
    up: 'Hoạt động bình thường',
    degraded: 'Hoạt động không ổn định',
    down: 'Ngừng hoạt động',
    unknown: 'Chưa có dữ liệu',
    overallUp: 'Tất cả hệ thống hoạt động bình thường',
    overallDegraded: 'Một số hệ thống gặp sự cố',
    overallDown: 'Các hệ thống đang ngừng hoạt động',
    overallUnknown: 'Chưa có dữ liệu về tình trạng hệ thống',
    uptime: '{p}% thời gian hoạt động trong 90 ngày',
    noUptime: 'Chưa có số liệu 90 ngày',
    daysAgo: '90 ngày trước',
    today: 'Hôm nay',
    noData: 'không có dữ liệu',
    incident: 'Sự cố',
    maintenance: 'Bảo trì theo kế hoạch',
    notices: 'Thông báo',
    from: 'Từ',
    until: 'đến',
    ongoing: 'đang diễn ra',
    upcoming: 'sắp diễn ra',
    updatedAt: 'Cập nhật lúc',
    other: 'English',
    footer: 'Trang được cập nhật mỗi 30 giây. Giờ Việt Nam (UTC+7).',
  },
  en: {
    up: 'Operational',
    degraded: 'Degraded',
    down: 'Down',
    unknown: 'No data yet',
    overallUp: 'All systems operational',
    overallDegraded: 'Some systems have problems',
    overallDown: 'Systems are down',
    overallUnknown: 'No data about the systems yet',
    uptime: '{p}% uptime over 90 days',
    noUptime: 'No 90-day figures yet',
    daysAgo: '90 days ago',
    today: 'Today',
    noData: 'no data',
    incident: 'Incident',
    maintenance: 'Planned maintenance',
    notices: 'Notices',
    from: 'From',
    until: 'until',
    ongoing: 'ongoing',
    upcoming: 'upcoming',
    updatedAt: 'Updated at',
    other: 'Tiếng Việt',
    footer: 'This page is refreshed every 30 seconds. Vietnam time (UTC+7).',
  },
} as const;

type Key = keyof (typeof T)['vi'];
const t = (L: Locale, k: Key, vars: Record<string, string> = {}) => T[L][k].replace(/\{(\w+)\}/g, (_, v: string) => vars[v] ?? '');
const text = (L: Locale, x: Texts | undefined) => (x ? (L === 'en' ? (x.en ?? x.vi) : x.vi) : '');
const OVERALL: Record<ServiceState, Key> = { up: 'overallUp', degraded: 'overallDegraded', down: 'overallDown', unknown: 'overallUnknown' };

// A day's cell: its percentage on hover (title) and for screen readers (aria-label); kept short, as a
// page carries 90 of them per service.
function dayCell(L: Locale, d: { day: string; percent?: number }): Html {
  const level = d.percent === undefined ? 'n' : d.percent >= 99.9 ? 'f' : d.percent >= 99 ? 'h' : d.percent >= 95 ? 'm' : 'l';
  const label = `${d.day}: ${d.percent === undefined ? t(L, 'noData') : `${d.percent}%`}`;
  return html`<li class="${level}" title="${label}"></li>`;
}

function serviceBlock(L: Locale, s: PublicService): Html {
  return html`<section class="service" id="svc-${s.id}" data-state="${s.state}">
  <div class="head"><h2>${text(L, s.name)}</h2><span class="state ${s.state}">${t(L, s.state)}</span></div>
  ${s.description ? html`<p class="desc">${text(L, s.description)}</p>` : ''}
  <ol class="bar" aria-label="${s.uptime90 === undefined ? t(L, 'noUptime') : t(L, 'uptime', { p: String(s.uptime90) })}">${s.days.map((d) => dayCell(L, d))}</ol>
  <div class="scale"><span>${t(L, 'daysAgo')}</span><span>${s.uptime90 === undefined ? t(L, 'noUptime') : t(L, 'uptime', { p: String(s.uptime90) })}</span><span>${t(L, 'today')}</span></div>
</section>`;
}

function noticeBlock(L: Locale, n: PublicNotice, names: Map<string, string>, now: number): Html {
  const starts = Date.parse(n.startsAt);
  const phase = starts > now ? t(L, 'upcoming') : n.endsAt && Date.parse(n.endsAt) <= now ? '' : t(L, 'ongoing');
  const when = html`${t(L, 'from')} ${formatTime(L, starts)}${n.endsAt ? html` ${t(L, 'until')} ${formatTime(L, Date.parse(n.endsAt))}` : ''}${phase ? html` (${phase})` : ''}`;
  return html`<article class="notice ${n.kind}" id="notice-${String(n.id)}">
  <h3><span class="kind">${t(L, n.kind)}:</span> ${n.title}</h3>
  <p class="when">${when}</p>
  ${n.services.length ? html`<p class="affects">${n.services.map((s) => names.get(s) ?? s).join(', ')}</p>` : ''}
  <p class="body">${n.body}</p>
  ${n.updates.length ? html`<ul class="updates">${n.updates.map((u) => html`<li><time>${formatTime(L, Date.parse(u.at))}</time> ${u.text}</li>`)}</ul>` : ''}
</article>`;
}

/** The whole page for one language. */
export function statusPage(model: StatusModel, L: Locale): string {
  const names = new Map(model.services.map((s) => [s.id, text(L, s.name)]));
  const body = html`<!doctype html>
<html lang="${L}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${text(L, model.title)}</title>
<link rel="stylesheet" href="/status/status.css">
</head>
<body>
<header><h1>${text(L, model.title)}</h1><a class="lang" href="/status${L === 'vi' ? '?lang=en' : ''}" hreflang="${L === 'vi' ? 'en' : 'vi'}">${t(L, 'other')}</a></header>
<main>
<p class="overall ${model.overall}" id="overall">${t(L, OVERALL[model.overall])}</p>
${model.notices.length ? html`<section class="notices"><h2>${t(L, 'notices')}</h2>${model.notices.map((n) => noticeBlock(L, n, names, Date.parse(model.generatedAt)))}</section>` : ''}
${model.services.map((s) => serviceBlock(L, s))}
</main>
<footer><p>${t(L, 'updatedAt')} ${formatTime(L, Date.parse(model.generatedAt), { seconds: true })}. ${t(L, 'footer')}</p></footer>
</body>
</html>`;
  return body.value;
}

/** The page's only stylesheet: served from the collector, never a CDN. */
export const STATUS_CSS = raw(`*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1b1f24;background:#f4f6f8}
header,main,footer{max-width:960px;margin:0 auto;padding:0 16px}header{display:flex;justify-content:space-between;align-items:center;gap:12px;flex-wrap:wrap}
h1{font-size:1.4rem;margin:20px 0}.lang{font-size:.9rem}
.overall{padding:14px 16px;border-radius:8px;font-weight:600;color:#fff;background:#6b7280}.overall.up{background:#1a7f37}.overall.degraded{background:#b35900}.overall.down{background:#b42318}
.service,.notice{background:#fff;border:1px solid #d8dee4;border-radius:8px;padding:12px 16px;margin:12px 0}
.head{display:flex;justify-content:space-between;align-items:baseline;gap:8px;flex-wrap:wrap}.head h2{font-size:1.05rem;margin:0}
.state{font-size:.9rem;font-weight:600}.state.up{color:#1a7f37}.state.degraded{color:#b35900}.state.down{color:#b42318}.state.unknown{color:#6b7280}
.desc{margin:4px 0 8px;color:#57606a;font-size:.9rem}
.bar{display:flex;gap:2px;list-style:none;margin:8px 0 4px;padding:0;height:32px}.bar li{flex:1;border-radius:2px;background:#d0d7de}
.bar .f{background:#2da44e}.bar .h{background:#7bc96f}.bar .m{background:#e3b341}.bar .l{background:#cf222e}
.scale{display:flex;justify-content:space-between;font-size:.75rem;color:#57606a;gap:8px}
.notices h2{font-size:1.1rem}.notice.incident{border-left:4px solid #b42318}.notice.maintenance{border-left:4px solid #0969da}
.notice h3{margin:0 0 4px;font-size:1rem}.kind{font-weight:700}.when,.affects{margin:2px 0;font-size:.85rem;color:#57606a}.body{white-space:pre-line}
.updates{margin:8px 0 0;padding-left:18px;font-size:.9rem}time{color:#57606a;margin-right:6px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}footer{font-size:.8rem;color:#57606a;padding-bottom:24px}
@media (max-width:600px){.bar{gap:1px;height:28px}h1{font-size:1.15rem}.scale span:nth-child(2){display:none}}`);
