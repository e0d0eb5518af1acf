// The monthly report from the console: a month picker, and the report itself as HTML or CSV. It is
// province-wide, so agency-scoped users are refused.
import type { FastifyInstance } from 'fastify';
import { buildMonthlyReport } from '../../report/figures.ts';
import { monthOf, parseMonth, previousMonth } from '../../report/month.ts';
import { reportCsv } from '../../report/render-csv.ts';
import { reportHtml } from '../../report/render-html.ts';
import type { ConsoleContext } from '../context.ts';
import { html } from '../html.ts';
import { t } from '../i18n.ts';
import { CONSOLE, page } from '../layout.ts';

// The report is a standalone document with its own inline CSS (it is also mailed): style-src is relaxed for it only.
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export default async function reportRoutes(app: FastifyInstance, { cx }: { cx: ConsoleContext }) {
  const { services } = cx;

  app.get(`${CONSOLE}/report`, { preValidation: cx.need('viewer') }, async (request, reply) => {
    if (cx.scopeOf(request)) return cx.fail(request, reply, 403);
    const ctx = cx.ctxOf(request, reply);
    const L = ctx.locale;
    const last = previousMonth(monthOf(Date.now()));
    const body = html`<form method="get" action="${CONSOLE}/report/view" class="card form" id="report-form">
      <label>${t(L, 'month')} <input type="month" name="month" value="${last}" required></label>
      <label>${t(L, 'format')} <select name="format"><option value="html">HTML</option><option value="csv">CSV</option></select></label>
      <button type="submit">${t(L, 'download')}</button></form>
      <p class="muted">PDF: <code>canhgac-collector report --month ${last} --format pdf</code></p>`;
    return cx.send(reply, page(ctx, t(L, 'report'), body, { active: 'report' }));
  });

  app.get(`${CONSOLE}/report/view`, { preValidation: cx.need('viewer') }, async (request, reply) => {
    if (cx.scopeOf(request)) return cx.fail(request, reply, 403);
    const L = cx.localeOf(request, reply);
    const q = request.query as Record<string, unknown>;
    const month = typeof q.month === 'string' ? q.month : '';
    const format = typeof q.format === 'string' ? q.format : '';
    const window = parseMonth(month);
    if (!window) return cx.fail(request, reply, 400, t(L, 'badMonth', { month: month.slice(0, 32) }));
    if (format !== 'html' && format !== 'csv') return cx.fail(request, reply, 400, t(L, 'badFormat', { format: format.slice(0, 32) }));
    if (!services.influx) return cx.fail(request, reply, 400, t(L, 'noInflux'));
    const report = await buildMonthlyReport({ state: services.state, influx: services.influx, month: window.month });
    if (format === 'csv') {
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="canhgac-report-${window.month}.csv"`).send(reportCsv(report));
    }
    reply.header('content-security-policy', REPORT_CSP);
    return reply.type('text/html; charset=utf-8').send(reportHtml(report, L));
  });
}
