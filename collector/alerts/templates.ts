// The words of alerting: mail subjects, text and HTML in Vietnamese or English, alert summaries
// and rule templates, with times shown in Asia/Ho_Chi_Minh.
import type { Rule, Severity, Text } from './rules.ts';

export type Locale = 'vi' | 'en';
export const TIMEZONE = 'Asia/Ho_Chi_Minh';
/** A grouped mail lists at most this many alerts and says how many more there are (the console has them all). */
export const MAX_LISTED_ALERTS = 50;

export const SEVERITY_WORD: Record<Locale, Record<Severity, string>> = {
  vi: { critical: 'NGHIÊM TRỌNG', warning: 'CẢNH BÁO', info: 'THÔNG TIN' },
  en: { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' },
};

const WORDS = {
  vi: {
    resolved: 'ĐÃ KHẮC PHỤC',
    escalated: 'CHUYỂN CẤP',
    reminder: 'NHẮC LẠI',
    more: (n: number) => `(+${n} cảnh báo khác)`,
    firingHead: (n: number) => `${n} cảnh báo đang xảy ra`,
    resolvedHead: (n: number) => `${n} cảnh báo đã khắc phục`,
    escalationNote: 'Cảnh báo nghiêm trọng chưa được xác nhận sau thời gian quy định nên được chuyển cấp.',
    started: 'Bắt đầu',
    ended: 'Kết thúc',
    lasted: 'Kéo dài',
    agent: 'Agent',
    acked: 'Đã xác nhận bởi',
    console: 'Xem trên bảng điều khiển',
    grafana: 'Biểu đồ Grafana',
    ackHint: 'Xác nhận cảnh báo để dừng nhắc lại và chuyển cấp.',
    footer: 'Thư tự động từ hệ thống Canh Gác. Giờ hiển thị theo giờ Việt Nam (Asia/Ho_Chi_Minh).',
    system: 'Hệ thống giám sát',
    location: 'Đối tượng',
    measured: 'Giá trị đo',
    threshold: 'ngưỡng',
    between: (lo: string, hi: string) => `từ ${lo} đến dưới ${hi}`,
    increase: (t: string) => `tăng hơn ${t} so với mẫu trước`,
    decrease: (t: string) => `giảm hơn ${t} so với mức trước đó`,
    absent: (span: string) => `không nhận được mẫu nào trong ${span}`,
    andMore: (n: number) => `… và ${n} cảnh báo khác (thư chỉ liệt kê ${MAX_LISTED_ALERTS} cảnh báo đầu; xem đầy đủ trên bảng điều khiển)`,
  },
  en: {
    resolved: 'RESOLVED',
    escalated: 'ESCALATED',
    reminder: 'REMINDER',
    more: (n: number) => `(+${n} more)`,
    firingHead: (n: number) => `${n} alert(s) firing`,
    resolvedHead: (n: number) => `${n} alert(s) resolved`,
    escalationNote: 'A critical alert was not acknowledged in time and is escalated.',
    started: 'Started',
    ended: 'Ended',
    lasted: 'Lasted',
    agent: 'Agent',
    acked: 'Acknowledged by',
    console: 'Open in the console',
    grafana: 'Grafana dashboard',
    ackHint: 'Acknowledge the alert to stop reminders and escalation.',
    footer: 'Automatic mail from Canh Gác. Times are Vietnam time (Asia/Ho_Chi_Minh).',
    system: 'Monitoring system',
    location: 'Target',
    measured: 'Measured',
    threshold: 'threshold',
    between: (lo: string, hi: string) => `from ${lo} to under ${hi}`,
    increase: (t: string) => `rose by more than ${t} since the previous sample`,
    decrease: (t: string) => `more than ${t} below where it stood`,
    absent: (span: string) => `no sample for ${span}`,
    andMore: (n: number) => `… and ${n} more (a mail lists the first ${MAX_LISTED_ALERTS} alerts; see the console for all)`,
  },
} as const;

/** The words of mails, for the messages of the other channels (collector/alerts/channels/). */
export function mailWords(locale: Locale) {
  return WORDS[locale];
}

/** A URL's user:password never leaves the collector, whatever a tag carries. */
export function redact(value: string): string {
  return value.replace(/(\/\/)[^/@\s]+@/g, '$1***@');
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 10) / 10);
}

const label = (labels: Record<string, string>, name: string): string | undefined => {
  const v = Object.hasOwn(labels, name) ? labels[name] : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
};

const hostPort = (host: string, port: string) => `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;

/**
 * The exact thing an alert is about, from its tags: `host:port` (tcp: target and port), the URL, the
 * certificate file, the TLS or SIP `host:port`, an endpoint's address, `ip:port` of a LAN service,
 * `host:mount`, a subnet, the collector instance; else the agent. A check's display `name` is not it.
 */
export function locationOf(labels: Record<string, string>): string | undefined {
  const l = (name: string) => label(labels, name);
  const url = l('url');
  if (url) return redact(url);
  const target = l('target') ?? l('ip');
  const port = l('port');
  if (target) return port ? hostPort(target, port) : target;
  const mount = l('mount');
  const host = l('host');
  if (host && mount) return `${host}:${mount}`;
  const server = l('server');
  const query = l('query');
  if (server && query) return `${query} @ ${server}`;
  // A router or switch interface (net_interface), or the device itself (net_device).
  const device = l('device');
  if (device) return l('interface') ? `${device} ${l('interface')}` : device;
  // An InfluxDB node the collector writes (collector_influx_node) before the collector itself.
  return l('path') ?? l('address') ?? l('endpoint') ?? l('subnet') ?? l('node') ?? l('instance') ?? host ?? l('agent');
}

/** `display name (location)`, or the location alone when there is no other name for it. */
export function namedLocationOf(labels: Record<string, string>): string | undefined {
  const location = locationOf(labels);
  const name = [label(labels, 'endpoint'), label(labels, 'name')].find((n) => n !== undefined && n !== location);
  if (!location) return name;
  return name ? `${redact(name)} (${location})` : location;
}

/**
 * Times and spans from numeric alert labels, in the reader's language: `{{first_seen}}` and `{{last_seen}}`
 * (from `first_seen_seconds`, `last_seen_seconds`, Vietnam time) and `{{window}}` (from `window_seconds`).
 */
function derivedTime(name: string, labels: Record<string, string>, locale: Locale): string | undefined {
  const seconds = (key: string) => {
    const v = label(labels, key);
    const n = v === undefined ? NaN : Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  if (name === 'window') {
    const s = seconds('window_seconds');
    return s ? formatSpan(s * 1000, locale) : undefined;
  }
  if (name === 'first_seen' || name === 'last_seen') {
    const s = seconds(`${name}_seconds`);
    return s !== undefined ? formatTime(s * 1000, locale) : undefined;
  }
  return undefined;
}

/**
 * `{{tag}}`, `{{a|b|c}}` (first label present), `{{value}}`, `{{threshold}}`, `{{agency}}`, and the
 * derived `{{location}}` (see locationOf), `{{named_location}}` (`name (location)`), `{{first_seen}}`,
 * `{{last_seen}}` and `{{window}}` (see derivedTime).
 */
export function renderText(template: string, ctx: { labels: Record<string, string>; value?: number | null; threshold?: number | [number, number]; agencyName?: string; locale?: Locale }): string {
  return template.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
    for (const name of expr.split('|').map((s) => s.trim())) {
      if (name === 'value' && ctx.value !== undefined && ctx.value !== null) return formatNumber(ctx.value);
      if (name === 'threshold' && ctx.threshold !== undefined) return Array.isArray(ctx.threshold) ? formatNumber(ctx.threshold[0]) : formatNumber(ctx.threshold);
      if (name === 'agency' && ctx.agencyName) return ctx.agencyName;
      const v = label(ctx.labels, name);
      if (v !== undefined) return redact(v);
      const derived = name === 'location' ? locationOf(ctx.labels) : name === 'named_location' ? namedLocationOf(ctx.labels) : derivedTime(name, ctx.labels, ctx.locale ?? 'vi');
      if (derived) return derived;
    }
    return '';
  });
}

const dateFormats: Partial<Record<Locale, Intl.DateTimeFormat>> = {};
export function formatTime(t: number, locale: Locale): string {
  const f = (dateFormats[locale] ??= new Intl.DateTimeFormat(locale === 'vi' ? 'vi-VN' : 'en-GB', {
    timeZone: TIMEZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }));
  return f.format(t);
}

export function formatSpan(ms: number, locale: Locale): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const u = locale === 'vi' ? { h: ' giờ', m: ' phút', s: ' giây' } : { h: 'h', m: 'm', s: 's' };
  return [h ? `${h}${u.h}` : '', m ? `${m}${u.m}` : '', !h && (sec || !m) ? `${sec}${u.s}` : ''].filter(Boolean).join(' ');
}

/** What a mail says about one alert. */
export interface AlertView {
  id: number;
  rule?: Rule;
  ruleName: string;
  severity: Severity;
  agency: string;
  labels: Record<string, string>;
  value: number | null;
  firedAt: number;
  resolvedAt?: number;
  ackedBy?: string | null;
}

export interface MailContext {
  locale: Locale;
  agencyName: string;
  kind: 'alert' | 'repeat' | 'escalation';
  firing: AlertView[];
  resolved: AlertView[];
  consoleUrl?: string;
  grafanaUrl?: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export function summaryOf(a: AlertView, locale: Locale, agencyName?: string): string {
  const text: Text | undefined = a.rule?.summary;
  return text ? renderText(text[locale], { labels: a.labels, value: a.value, threshold: a.rule?.threshold, agencyName, locale }) : a.ruleName;
}

export function descriptionOf(a: AlertView, locale: Locale, agencyName?: string): string {
  const text = a.rule?.description;
  return text ? renderText(text[locale], { labels: a.labels, value: a.value, threshold: a.rule?.threshold, agencyName, locale }) : '';
}

/** What was measured against what: `used_percent = 93.5 (ngưỡng: > 90)`; for a silent agent, for how long. */
export function measuredOf(a: AlertView, locale: Locale): string | undefined {
  const rule = a.rule;
  if (!rule || a.value === null || a.value === undefined) return undefined;
  const w = WORDS[locale];
  if (rule.kind === 'absent') return w.absent(formatSpan(a.value * 1000, locale));
  const t = rule.threshold;
  const n = (x: number) => formatNumber(x);
  let condition: string;
  if (rule.op === 'between') condition = `${w.threshold}: ${w.between(n((t as [number, number])[0]), n((t as [number, number])[1]))}`;
  else if (rule.op === 'increase') condition = w.increase(n(t as number));
  else if (rule.op === 'decrease') condition = w.decrease(n(t as number));
  else condition = `${w.threshold}: ${rule.op} ${n(t as number)}`;
  return `${rule.field} = ${n(a.value)} (${condition})`;
}

/** The console page of an alert and the Grafana dashboard of its rule around its time, when configured. */
export function links(a: AlertView, ctx: Pick<MailContext, 'consoleUrl' | 'grafanaUrl'>): { console?: string; grafana?: string } {
  const out: { console?: string; grafana?: string } = {};
  if (ctx.consoleUrl) out.console = new URL(`alerts/${a.id}`, ctx.consoleUrl.endsWith('/') ? ctx.consoleUrl : `${ctx.consoleUrl}/`).toString();
  if (ctx.grafanaUrl && a.rule?.dashboard) {
    const u = new URL(`d/${encodeURIComponent(a.rule.dashboard)}`, ctx.grafanaUrl.endsWith('/') ? ctx.grafanaUrl : `${ctx.grafanaUrl}/`);
    if (a.agency) u.searchParams.set('var-agency', a.agency);
    u.searchParams.set('from', String(a.firedAt - 3_600_000));
    u.searchParams.set('to', String((a.resolvedAt ?? a.firedAt) + 3_600_000));
    out.grafana = u.toString();
  }
  return out;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/**
 * Subject, plain text and HTML for one group of alerts of one agency, such as
 * `[NGHIÊM TRỌNG][Sở Y tế] Mất kết nối tới điểm cầu UBND huyện Càng Long`.
 */
export function renderMail(ctx: MailContext): RenderedMail {
  const w = WORDS[ctx.locale];
  const lead = ctx.firing[0] ?? ctx.resolved[0];
  const worst = ctx.firing.reduce<Severity | undefined>((acc, a) => (!acc || RANK[a.severity] > RANK[acc] ? a.severity : acc), undefined);
  const tags: string[] = [];
  if (ctx.kind === 'escalation') tags.push(w.escalated);
  if (ctx.kind === 'repeat') tags.push(w.reminder);
  tags.push(worst ? SEVERITY_WORD[ctx.locale][worst] : w.resolved);
  tags.push(ctx.agencyName);
  const list = ctx.firing.length > 0 ? ctx.firing : ctx.resolved;
  let subject = `${tags.map((t) => `[${t}]`).join('')} ${summaryOf(lead, ctx.locale, ctx.agencyName)}`;
  if (list.length > 1) subject += ` ${w.more(list.length - 1)}`;

  const textParts: string[] = [];
  const htmlParts: string[] = [];
  let room = MAX_LISTED_ALERTS;
  const section = (head: string, all: AlertView[], resolved: boolean) => {
    if (all.length === 0) return;
    textParts.push(`${head}\n${'='.repeat(head.length)}`);
    htmlParts.push(`<h2 style="font-size:16px;margin:16px 0 8px">${esc(head)}</h2>`);
    const alerts = all.slice(0, room);
    room -= alerts.length;
    for (const a of alerts) {
      const sev = resolved ? w.resolved : SEVERITY_WORD[ctx.locale][a.severity];
      const summary = summaryOf(a, ctx.locale, ctx.agencyName);
      const description = descriptionOf(a, ctx.locale, ctx.agencyName);
      const l = links(a, ctx);
      const lines: [string, string][] = [];
      const location = locationOf(a.labels);
      const measured = measuredOf(a, ctx.locale);
      if (location && location !== a.labels.agent) lines.push([w.location, location]);
      if (measured) lines.push([w.measured, measured]);
      lines.push([w.started, formatTime(a.firedAt, ctx.locale)]);
      if (a.resolvedAt) {
        lines.push([w.ended, formatTime(a.resolvedAt, ctx.locale)]);
        lines.push([w.lasted, formatSpan(a.resolvedAt - a.firedAt, ctx.locale)]);
      }
      if (a.labels.agent) lines.push([w.agent, a.labels.agent]);
      if (a.ackedBy) lines.push([w.acked, a.ackedBy]);
      textParts.push(
        [`[${sev}] ${summary}`, description && `  ${description}`, ...lines.map(([k, v]) => `  ${k}: ${v}`), l.console && `  ${w.console}: ${l.console}`, l.grafana && `  ${w.grafana}: ${l.grafana}`]
          .filter(Boolean)
          .join('\n'),
      );
      const color = resolved ? '#2e7d32' : a.severity === 'critical' ? '#c62828' : a.severity === 'warning' ? '#ef6c00' : '#1565c0';
      htmlParts.push(
        `<div style="border-left:4px solid ${color};padding:4px 12px;margin:8px 0">` +
          `<p style="margin:0"><strong style="color:${color}">[${esc(sev)}]</strong> <strong>${esc(summary)}</strong></p>` +
          (description ? `<p style="margin:4px 0">${esc(description)}</p>` : '') +
          `<table style="font-size:13px">${lines.map(([k, v]) => `<tr><td style="color:#555;padding-right:8px">${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>` +
          [l.console && `<a href="${esc(l.console)}">${esc(w.console)}</a>`, l.grafana && `<a href="${esc(l.grafana)}">${esc(w.grafana)}</a>`].filter(Boolean).join(' · ') +
          `</div>`,
      );
    }
    if (all.length > alerts.length) {
      const more = w.andMore(all.length - alerts.length);
      const list = ctx.consoleUrl ? new URL('alerts', ctx.consoleUrl.endsWith('/') ? ctx.consoleUrl : `${ctx.consoleUrl}/`).toString() : undefined;
      textParts.push(list ? `${more}\n${list}` : more);
      htmlParts.push(`<p><strong>${esc(more)}</strong>${list ? ` <a href="${esc(list)}">${esc(list)}</a>` : ''}</p>`);
    }
  };
  if (ctx.kind === 'escalation') {
    textParts.push(w.escalationNote);
    htmlParts.push(`<p><strong>${esc(w.escalationNote)}</strong></p>`);
  }
  section(`${ctx.agencyName}: ${w.firingHead(ctx.firing.length)}`, ctx.firing, false);
  section(`${ctx.agencyName}: ${w.resolvedHead(ctx.resolved.length)}`, ctx.resolved, true);
  if (ctx.firing.length > 0) {
    textParts.push(w.ackHint);
    htmlParts.push(`<p style="color:#555">${esc(w.ackHint)}</p>`);
  }
  textParts.push(`--\n${w.footer}`);
  htmlParts.push(`<hr><p style="color:#777;font-size:12px">${esc(w.footer)}</p>`);
  const html = `<!doctype html><html lang="${ctx.locale}"><head><meta charset="utf-8"><title>${esc(subject)}</title></head><body style="font-family:Arial,sans-serif;font-size:14px">${htmlParts.join('\n')}</body></html>`;
  return { subject, text: textParts.join('\n\n') + '\n', html };
}

export function systemName(locale: Locale): string {
  return WORDS[locale].system;
}

const SUMMARY_WORDS = {
  vi: { subject: (n: number) => `[TỔNG HỢP] ${n} thư cảnh báo bị gộp do quá nhiều thư`, intro: (n: number, span: string) => `Bạn nhận quá nhiều thư trong ${span}; ${n} thư sau được gộp lại:` },
  en: { subject: (n: number) => `[SUMMARY] ${n} alert mails held back (too many mails)`, intro: (n: number, span: string) => `You received too many mails within ${span}; these ${n} were held back:` },
};

/** The one mail that replaces a storm of mails to one recipient. */
export function renderStormSummary(locale: Locale, subjects: { subject: string; at: number }[], windowMs: number, consoleUrl?: string): RenderedMail {
  const w = SUMMARY_WORDS[locale];
  const subject = w.subject(subjects.length);
  const intro = w.intro(subjects.length, formatSpan(windowMs, locale));
  const lines = subjects.map((s) => `${formatTime(s.at, locale)}  ${s.subject}`);
  const link = consoleUrl ? `\n\n${new URL('alerts', consoleUrl.endsWith('/') ? consoleUrl : `${consoleUrl}/`)}` : '';
  const text = `${intro}\n\n${lines.join('\n')}${link}\n\n--\n${WORDS[locale].footer}\n`;
  const html = `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"></head><body style="font-family:Arial,sans-serif"><p>${esc(intro)}</p><ul>${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>${link ? `<p><a href="${esc(link.trim())}">${esc(link.trim())}</a></p>` : ''}<hr><p style="color:#777;font-size:12px">${esc(WORDS[locale].footer)}</p></body></html>`;
  return { subject, text, html };
}

const TEST_WORDS = {
  vi: { subject: '[THỬ NGHIỆM] Thư thử cấu hình SMTP của Canh Gác', body: 'Nếu bạn đọc được thư này, cấu hình SMTP của collector Canh Gác hoạt động. Gửi lúc' },
  en: { subject: '[TEST] Canh Gác SMTP settings test', body: 'If you can read this, the Canh Gác collector SMTP settings work. Sent at' },
};

export function renderTestMail(locale: Locale, now: number): RenderedMail {
  const w = TEST_WORDS[locale];
  const line = `${w.body} ${formatTime(now, locale)}.`;
  return { subject: w.subject, text: `${line}\n`, html: `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"></head><body><p>${esc(line)}</p></body></html>` };
}
