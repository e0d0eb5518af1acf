import { writeFileSync } from 'node:fs';
import type { CollectorConfig } from '../config.ts';
import { influxClient } from '../influx/setup.ts';
import type { DB } from '../state/db.ts';
import { buildMonthlyReport } from './figures.ts';
import { monthOf, parseMonth, previousMonth } from './month.ts';
import { htmlToPdf } from './pdf.ts';
import { reportCsv } from './render-csv.ts';
import { reportHtml } from './render-html.ts';

export const REPORT_HELP = `  canhgac-collector report       [--month YYYY-MM] [--format html|pdf|csv] [--lang vi|en] [--out FILE] [--config FILE]
                                                            the monthly report (default: last month, HTML on stdout)
`;

/** `canhgac-collector report`: figures from InfluxDB roll-ups and the alert store, as HTML, PDF or CSV. */
export async function reportCommand(config: CollectorConfig, db: DB, args: { month?: string; format?: string; out?: string; lang?: string }, usage: (m: string) => Error): Promise<number> {
  const month = args.month ?? previousMonth(monthOf(Date.now()));
  if (!parseMonth(month)) throw usage(`--month: expected YYYY-MM such as 2026-11, got "${month}"`);
  const format = args.format ?? 'html';
  if (!['html', 'pdf', 'csv'].includes(format)) throw usage(`--format: expected html, pdf or csv, got "${format}"`);
  const lang = args.lang ?? config.report.locale;
  if (lang !== 'vi' && lang !== 'en') throw usage(`--lang: expected vi or en, got "${lang}"`);
  if (format === 'pdf' && !args.out) throw usage('--format pdf needs --out FILE');
  const report = await buildMonthlyReport({ db, influx: influxClient(config.influx), month });
  const body = format === 'csv' ? reportCsv(report) : format === 'pdf' ? await htmlToPdf(reportHtml(report, lang)) : reportHtml(report, lang);
  if (args.out) {
    writeFileSync(args.out, body);
    process.stderr.write(`report ${month} (${format}) written to ${args.out}\n`);
  } else {
    process.stdout.write(body);
  }
  return 0;
}
