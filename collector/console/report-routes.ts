import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { buildMonthlyReport } from '../report/figures.ts';
import { monthOf, parseMonth, previousMonth } from '../report/month.ts';
import { reportCsv } from '../report/render-csv.ts';
import { reportHtml } from '../report/render-html.ts';
import type { CollectorServices } from '../server/services.ts';
import type { Role } from '../state/admin-tokens.ts';
import { html } from './html.ts';
import { t } from './i18n.ts';
import type { LatestSamples } from './latest.ts';
import { CONSOLE, page, type PageContext } from './layout.ts';

interface Helpers {
  services: CollectorServices;
  need: (role: Role) => (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  send: (reply: FastifyReply, body: string, status?: number) => unknown;
  fail: (request: FastifyRequest, reply: FastifyReply, status: number, message?: string) => unknown;
  ctxOf: (request: FastifyRequest, reply: FastifyReply) => PageContext;
  latest: LatestSamples;
}

/** The monthly report from the console: province-wide, so not for agency-scoped users. */
export async function reportRoutes(app: FastifyInstance, h: Helpers): Promise<void> {
  app.get(`${CONSOLE}/report`, { preHandler: h.need('viewer') }, async (request, reply) => {
    const ctx = h.ctxOf(request, reply);
    if (request.consoleSession?.user.agency) return h.fail(request, reply, 403);
    const L = ctx.locale;
    const last = previousMonth(monthOf(Date.now()));
    const body = html`<form method="get" action="${CONSOLE}/report/view" class="card form" id="report-form">
      <label>${t(L, 'month')} <input type="month" name="month" value="${last}" required></label>
      <label>Format <select name="format"><option value="html">HTML</option><option value="csv">CSV</option></select></label>
      <button type="submit">${t(L, 'download')}</button></form>
      <p class="muted">PDF: <code>canhgac-collector report --month ${last} --format pdf</code></p>`;
    return h.send(reply, page(ctx, t(L, 'report'), body, { active: 'report' }));
  });

  app.get(`${CONSOLE}/report/view`, { preHandler: h.need('viewer') }, async (request, reply) => {
    if (request.consoleSession?.user.agency) return h.fail(request, reply, 403);
    const q = request.query as Record<string, string>;
    const window = parseMonth(q.month ?? '');
    if (!window) return h.fail(request, reply, 400, `month: expected YYYY-MM such as 2026-11, got "${q.month ?? ''}"`);
    if (q.format !== 'html' && q.format !== 'csv') return h.fail(request, reply, 400, `format: expected html or csv, got "${q.format ?? ''}"`);
    if (!h.services.influx) return h.fail(request, reply, 400, 'InfluxDB is not configured on this collector');
    const report = await buildMonthlyReport({ db: h.services.db, influx: h.services.influx, month: window.month });
    if (q.format === 'csv') {
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="canhgac-report-${window.month}.csv"`).send(reportCsv(report));
    }
    // The report is a standalone document with its own inline CSS (it is also mailed): relax style-src for it only.
    reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    return reply.type('text/html; charset=utf-8').send(reportHtml(report, h.ctxOf(request, reply).locale));
  });
}
