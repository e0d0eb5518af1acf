// One agency's page: its agents, LAN devices, certificates, security checks, video endpoints and alerts.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { listAlerts } from '../../alerts/alert-queries.ts';
import { getAgency } from '../../state/agencies.ts';
import { listAgents } from '../../state/agents.ts';
import { listDevices } from '../../state/devices.ts';
import { latestAuthFindings } from '../../state/auth-findings.ts';
import { IdParams, type ConsoleContext } from '../context.ts';
import { CONSOLE } from '../layout.ts';
import { agencyPage } from '../pages/agency.ts';
import { agencyStatuses, certificates, compliance, PREVIEW_ROWS, tilePreview, videoTiles } from '../views.ts';

export default async function agencyRoutes(app: FastifyInstance, { cx }: { cx: ConsoleContext }) {
  const { latest } = cx;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(`${CONSOLE}/agencies/:id`, { preValidation: cx.need('viewer'), schema: { params: IdParams } }, async (request, reply) => {
    const id = request.params.id;
    const scope = cx.scopeOf(request);
    if (scope && scope !== id) return cx.fail(request, reply, 403);
    const agency = await getAgency(cx.services.state, id);
    if (!agency) return cx.fail(request, reply, 404);
    const ctx = cx.ctxOf(request, reply);
    const names = await cx.names();
    const status = (await agencyStatuses(cx.services.state, Date.now(), id))[0] ?? { agency, agents: 0, state: 'none' as const };
    return cx.send(
      reply,
      agencyPage(ctx, {
        agency,
        status,
        agents: await listAgents(cx.services.state, { agency: id }),
        devices: await listDevices(cx.services.state, id),
        certs: await certificates(cx.services.state, id, { size: PREVIEW_ROWS }),
        compliance: await compliance(cx.services.state, id),
        video: tilePreview(videoTiles(latest, id)),
        alerts: await listAlerts(cx.services.state, { state: 'active', agency: id }),
        authFindings: await latestAuthFindings(cx.services.state, id, PREVIEW_ROWS),
        names,
        canAdmin: cx.mayAct(request, 'admin'),
        summarize: cx.summarize(ctx.locale, names),
      }),
    );
  });
}
