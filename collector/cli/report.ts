// `report`: the monthly report (availability, certificates, security score per agency) from InfluxDB
// roll-ups and the alert store, as HTML, PDF or CSV, for leadership and for the record.
import { writeFileSync } from 'node:fs';
import { influxClient } from '../influx/setup.ts';
import { buildMonthlyReport } from '../report/figures.ts';
import { monthOf, parseMonth, previousMonth } from '../report/month.ts';
import { htmlToPdf } from '../report/pdf.ts';
import { reportCsv } from '../report/render-csv.ts';
import { reportHtml } from '../report/render-html.ts';
import { loadConfig, parseOptions, UsageError, withState, type CommandGroup } from './common.ts';

export const REPORT_USAGE = `  canhgac-collector report       [--month YYYY-MM] [--format html|pdf|csv] [--lang vi|en] [--out FILE] [--config FILE]
                                                            the monthly report (default: last month, HTML on stdout)
`;

export async function reportCommand(_command: string, argv: string[]): Promise<number> {
  const { values: args } = parseOptions(argv, { month: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, lang: { type: 'string' } });
  const config = loadConfig(args);
  const month = args.month ?? previousMonth(monthOf(Date.now()));
  if (!parseMonth(month)) throw new UsageError(`--month: expected YYYY-MM such as 2026-11, got "${month}"`);
  const format = args.format ?? 'html';
  if (!['html', 'pdf', 'csv'].includes(format)) throw new UsageError(`--format: expected html, pdf or csv, got "${format}"`);
  const lang = args.lang ?? config.report.locale;
  if (lang !== 'vi' && lang !== 'en') throw new UsageError(`--lang: expected vi or en, got "${lang}"`);
  if (format === 'pdf' && !args.out) throw new UsageError('--format pdf needs --out FILE');
  const body = await withState(config, async (state) => {
    const report = await buildMonthlyReport({ state, influx: influxClient(config.influx), month });
    return format === 'csv' ? reportCsv(report) : format === 'pdf' ? await htmlToPdf(reportHtml(report, lang)) : reportHtml(report, lang);
  });
  if (args.out) {
    writeFileSync(args.out, body);
    process.stderr.write(`report ${month} (${format}) written to ${args.out}\n`);
  } else {
    process.stdout.write(body);
  }
  return 0;
}

export const reportGroup: CommandGroup = { commands: ['report'], usage: REPORT_USAGE, run: reportCommand };
