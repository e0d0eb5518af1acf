// Mails last month's report once a month (HTML, PDF and CSV) through the alerting mail queue, never
// twice for one month, even across restarts.
import type { InfluxDB } from 'influx';
import { AlertStore, type MailAttachment } from '../alerts/store.ts';
import type { DB } from '../state/db.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { buildMonthlyReport } from './figures.ts';
import { monthOf, previousMonth, vnDayHour } from './month.ts';
import { htmlToPdf } from './pdf.ts';
import { reportCsv } from './render-csv.ts';
import { reportHtml } from './render-html.ts';
import type { ReportSettings } from './settings.ts';

export interface ReportMailer {
  /** Queue last month's report if it is due and not queued yet; the month queued, if any. */
  runOnce(now?: number): Promise<string | undefined>;
  close(): void;
}

const CHECK_MS = 15 * 60_000;

/**
 * The monthly report mail: from `report.day` at `report.hour` (Vietnam time) the previous month's
 * report (HTML body, PDF and CSV attached) goes into the alerting mail queue (the same durable queue, retries and history as alert
 * mails). `report_mailings` records each month once, so a restart never sends it twice.
 */
export function startReportMailer(opts: {
  db: DB;
  state: StateSql;
  influx: InfluxDB;
  settings: ReportSettings;
  log?: { info(o: object, m: string): void; error(o: object, m: string): void };
  timers?: boolean;
  /** HTML to PDF; headless Chromium unless a test says otherwise. */
  pdf?: (html: string) => Promise<Buffer>;
}): ReportMailer {
  const store = new AlertStore(opts.db);
  let running: Promise<string | undefined> | undefined;

  const runOnce = async (now = Date.now()): Promise<string | undefined> => {
    if (opts.settings.recipients.length === 0) return undefined;
    const { day, hour } = vnDayHour(now);
    if (day < opts.settings.day || (day === opts.settings.day && hour < opts.settings.hour)) return undefined;
    const month = previousMonth(monthOf(now));
    if (opts.db.prepare('SELECT 1 FROM report_mailings WHERE month = ?').get(month)) return undefined;
    const report = await buildMonthlyReport({ db: opts.db, state: opts.state, influx: opts.influx, month, now });
    const html = reportHtml(report, opts.settings.locale);
    const vi = opts.settings.locale === 'vi';
    // Leadership forwards and prints the PDF; the CSV carries the window and source of every figure.
    const attachments: MailAttachment[] = [{ filename: `canhgac-bao-cao-${month}.csv`, contentType: 'text/csv; charset=utf-8', content: Buffer.from(reportCsv(report)) }];
    let pdfNote = '';
    try {
      attachments.unshift({ filename: `canhgac-bao-cao-${month}.pdf`, contentType: 'application/pdf', content: await (opts.pdf ?? htmlToPdf)(html) });
    } catch (err) {
      // No Chromium on this host (or it failed): the mail still goes, with the HTML and the CSV.
      opts.log?.error({ err: (err as Error).message, month }, 'monthly report: no PDF attached');
      pdfNote = vi ? ' Không tạo được bản PDF trên máy chủ này (cần gói chromium).' : ' No PDF could be made on this server (it needs the chromium package).';
    }
    const subject = vi ? `Báo cáo giám sát tháng ${month}` : `Monitoring report ${month}`;
    const files = attachments.map((a) => a.filename).join(', ');
    const text = vi
      ? `Báo cáo tháng ${month}: ${report.reporting.count}/${report.reporting.total} cơ quan gửi dữ liệu. Mở thư ở dạng HTML để xem đầy đủ. Tệp đính kèm: ${files}.${pdfNote}`
      : `Report for ${month}: ${report.reporting.count}/${report.reporting.total} agencies sent data. Open the HTML part for the whole report. Attached: ${files}.${pdfNote}`;
    opts.db.transaction(() => {
      if (opts.db.prepare('SELECT 1 FROM report_mailings WHERE month = ?').get(month)) return;
      const id = store.addNotification({ agency: '', kind: 'report', recipients: opts.settings.recipients, subject, alertIds: [], text, html, status: 'queued', attachments }, now);
      opts.db.prepare('INSERT INTO report_mailings (month, queued_at, notification_id) VALUES (?, ?, ?)').run(month, now, id);
    })();
    opts.log?.info({ month, recipients: opts.settings.recipients.length }, 'monthly report queued for mailing');
    return month;
  };

  const tick = () => {
    if (running) return;
    running = runOnce()
      .catch((err) => {
        opts.log?.error({ err: (err as Error).message }, 'monthly report failed; retrying later');
        return undefined;
      })
      .finally(() => (running = undefined));
  };
  let timer: NodeJS.Timeout | undefined;
  let first: NodeJS.Timeout | undefined;
  if (opts.timers !== false && opts.settings.recipients.length > 0) {
    first = setTimeout(tick, 60_000);
    first.unref();
    timer = setInterval(tick, CHECK_MS);
    timer.unref();
  }
  return {
    runOnce,
    close: () => {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
