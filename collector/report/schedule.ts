// Mails last month's report once a month (HTML, PDF and CSV) through the alerting mail queue, never
// twice for one month, even across restarts.
import type { InfluxDB } from 'influx';
import { sql } from 'kysely';
import { AlertStore, type MailAttachment } from '../alerts/store.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { changes, type Q } from '../state/sql/query.ts';
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

/** Whether the report of `month` (YYYY-MM) has been queued already. */
export async function reportMailed(q: Q, month: string): Promise<boolean> {
  const { rows } = await sql`SELECT 1 AS one FROM report_mailings WHERE month = ${month}`.execute(q);
  return rows.length > 0;
}

/**
 * Notes `month` as queued with its notification; false (nothing written) when it already was, so a
 * caller's transaction can roll its mail back rather than queue a second one.
 */
export async function noteReportMailed(q: Q, month: string, queuedAt: number, notificationId: number): Promise<boolean> {
  const r = await sql`INSERT INTO report_mailings (month, queued_at, notification_id) VALUES (${month}, ${queuedAt}, ${notificationId}) ON CONFLICT (month) DO NOTHING`.execute(q);
  return changes(r) > 0;
}

/** Thrown inside the queueing transaction when another run noted the month first: rolls the mail back. */
class AlreadyQueued extends Error {}

/**
 * The monthly report mail: from `report.day` at `report.hour` (Vietnam time) the previous month's
 * report (HTML body, PDF and CSV attached) goes into the alerting mail queue (the same durable queue, retries and history as alert
 * mails). `report_mailings` records each month once, so a restart never sends it twice.
 */
export function startReportMailer(opts: {
  state: StateSql;
  influx: InfluxDB;
  settings: ReportSettings;
  log?: { info(o: object, m: string): void; error(o: object, m: string): void };
  timers?: boolean;
  /** Whether this collector leads (several on one PostgreSQL): only the leader builds the report. Always, by default. */
  leader?: () => boolean;
  /** HTML to PDF; headless Chromium unless a test says otherwise. */
  pdf?: (html: string) => Promise<Buffer>;
}): ReportMailer {
  let running: Promise<string | undefined> | undefined;

  const runOnce = async (now = Date.now()): Promise<string | undefined> => {
    if (opts.settings.recipients.length === 0) return undefined;
    const { day, hour } = vnDayHour(now);
    if (day < opts.settings.day || (day === opts.settings.day && hour < opts.settings.hour)) return undefined;
    const month = previousMonth(monthOf(now));
    if (await reportMailed(opts.state.db, month)) return undefined;
    const report = await buildMonthlyReport({ state: opts.state, influx: opts.influx, month, now });
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
    // The mail and the month's row commit together: one collector queues it, even with several running.
    const n = { agency: '', kind: 'report', recipients: opts.settings.recipients, subject, alertIds: [], text, html, status: 'queued' as const, attachments };
    try {
      await opts.state.db.transaction().execute(async (trx) => {
        if (await reportMailed(trx, month)) throw new AlreadyQueued();
        const id = await new AlertStore(opts.state, trx).addNotification(n, now);
        if (!(await noteReportMailed(trx, month, now, id))) throw new AlreadyQueued();
      });
    } catch (err) {
      if (err instanceof AlreadyQueued) return undefined;
      throw err;
    }
    opts.log?.info({ month, recipients: opts.settings.recipients.length }, 'monthly report queued for mailing');
    return month;
  };

  const tick = () => {
    // The month's row makes the mail once whoever queues it; the leader alone spares the others the build.
    if (running || !(opts.leader?.() ?? true)) return;
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
