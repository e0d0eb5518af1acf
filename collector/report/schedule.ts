import type { InfluxDB } from 'influx';
import { AlertStore } from '../alerts/store.ts';
import type { DB } from '../state/db.ts';
import { buildMonthlyReport } from './figures.ts';
import { monthOf, previousMonth, vnDayHour } from './month.ts';
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
 * report goes into the alerting mail queue (the same durable queue, retries and history as alert
 * mails). `report_mailings` records each month once, so a restart never sends it twice.
 */
export function startReportMailer(opts: { db: DB; influx: InfluxDB; settings: ReportSettings; log?: { info(o: object, m: string): void; error(o: object, m: string): void }; timers?: boolean }): ReportMailer {
  const store = new AlertStore(opts.db);
  let running: Promise<string | undefined> | undefined;

  const runOnce = async (now = Date.now()): Promise<string | undefined> => {
    if (opts.settings.recipients.length === 0) return undefined;
    const { day, hour } = vnDayHour(now);
    if (day < opts.settings.day || (day === opts.settings.day && hour < opts.settings.hour)) return undefined;
    const month = previousMonth(monthOf(now));
    if (opts.db.prepare('SELECT 1 FROM report_mailings WHERE month = ?').get(month)) return undefined;
    const report = await buildMonthlyReport({ db: opts.db, influx: opts.influx, month, now });
    const html = reportHtml(report, opts.settings.locale);
    const subject = opts.settings.locale === 'vi' ? `Báo cáo giám sát tháng ${month}` : `Monitoring report ${month}`;
    const text = opts.settings.locale === 'vi'
      ? `Báo cáo tháng ${month}: ${report.reporting.count}/${report.reporting.total} cơ quan gửi dữ liệu. Mở thư ở dạng HTML để xem đầy đủ; bản CSV và PDF: canhgac-collector report --month ${month}.`
      : `Report for ${month}: ${report.reporting.count}/${report.reporting.total} agencies sent data. Open the HTML part for the whole report; CSV and PDF: canhgac-collector report --month ${month}.`;
    opts.db.transaction(() => {
      if (opts.db.prepare('SELECT 1 FROM report_mailings WHERE month = ?').get(month)) return;
      const id = store.addNotification({ agency: '', kind: 'report', recipients: opts.settings.recipients, subject, alertIds: [], text, html, status: 'queued' }, now);
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
