// The wall-display pages every signed-in user may see: the overview, the video-conference board and the
// certificate list, each limited to the user's agency when they have one.
import type { FastifyInstance } from 'fastify';
import { listAlerts } from '../../alerts/alert-queries.ts';
import type { ConsoleContext } from '../context.ts';
import { CONSOLE } from '../layout.ts';
import { certificatesPage } from '../pages/certificates.ts';
import { agencyParam, pageParam } from '../paging.ts';
import { overviewPage } from '../pages/overview.ts';
import { videoconfPage } from '../pages/videoconf.ts';
import { attackingSources } from '../../state/auth-findings.ts';
import { activeAlertCount, agencyStatuses, certificates, tilePage, tilePreview, videoTiles } from '../views.ts';

/** The overview lists this many of the newest active alerts (and links to the rest). */
const OVERVIEW_ALERTS = 100;

export default async function overviewRoutes(app: FastifyInstance, { cx }: { cx: ConsoleContext }) {
  const { latest } = cx;

  app.get(`${CONSOLE}/`, { preValidation: cx.need('viewer') }, async (request, reply) => {
    const scope = cx.scopeOf(request);
    const now = Date.now();
    return cx.send(
      reply,
      overviewPage(cx.ctxOf(request, reply), {
        statuses: await agencyStatuses(cx.services.state, now, scope),
        video: tilePreview(videoTiles(latest, scope)),
        alerts: await listAlerts(cx.services.state, { state: 'active', agency: scope, limit: OVERVIEW_ALERTS }),
        alertTotal: await activeAlertCount(cx.services.state, scope),
        attackingSources: await attackingSources(cx.services.state, now - 86_400_000, scope),
        names: await cx.names(),
        now,
      }),
    );
  });

  app.get(`${CONSOLE}/videoconf`, { preValidation: cx.need('viewer') }, async (request, reply) => {
    const asked = agencyParam(request.query);
    // An agency-scoped user always sees their own agency, whatever the query says.
    const board = { ...tilePage(videoTiles(latest, cx.scopeOf(request) ?? asked), pageParam(request.query)), agency: asked };
    return cx.send(reply, videoconfPage(cx.ctxOf(request, reply), { board, names: await cx.names(), canCheck: cx.mayAct(request, 'operator') }));
  });

  app.get(`${CONSOLE}/certificates`, { preValidation: cx.need('viewer') }, async (request, reply) => {
    const asked = agencyParam(request.query);
    const certs = await certificates(cx.services.state, cx.scopeOf(request) ?? asked, { page: pageParam(request.query) });
    return cx.send(reply, certificatesPage(cx.ctxOf(request, reply), certs, await cx.names(), asked));
  });
}
