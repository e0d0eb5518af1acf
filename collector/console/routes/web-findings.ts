// The web integrity page of the console: watched sites and findings, limited to the user's agency when
// they have one.
import type { FastifyInstance } from 'fastify';
import { listWebFindings, listWebSites } from '../../state/web-findings.ts';
import type { ConsoleContext } from '../context.ts';
import { CONSOLE } from '../layout.ts';
import { webFindingsPage } from '../pages/web-findings.ts';

export default async function webFindingRoutes(app: FastifyInstance, { cx }: { cx: ConsoleContext }) {
  app.get(`${CONSOLE}/web`, { preValidation: cx.need('viewer') }, async (request, reply) => {
    const agency = cx.scopeOf(request);
    const { state } = cx.services;
    return cx.send(reply, webFindingsPage(cx.ctxOf(request, reply), await listWebSites(state, agency), await listWebFindings(state, { agency, limit: 500 })));
  });
}
