// The wall-display pages every signed-in user may see: the overview, the video-conference board and the
// certificate list, each limited to the user's agency when they have one.
import type { FastifyInstance } from 'fastify';
import type { ConsoleContext } from '../context.ts';
import { CONSOLE } from '../layout.ts';
import { certificatesPage } from '../pages/certificates.ts';
import { overviewPage } from '../pages/overview.ts';
import { videoconfPage } from '../pages/videoconf.ts';
import { activeAlertCount, agencyStatuses, certificates, tilePage, tilePreview, videoTiles } from '../views.ts';

/** The overview lists this many of the newest active alerts (and links to the rest). */
const OVERVIEW_ALERTS = 100;

/** `?page=` and `?agency=` of the video board, read leniently: anything odd is page 1 of every agency. */
function boardQuery(query: unknown): { page: number; agency?: string } {
  const q = (query ?? {}) as Record<string, unknown>;
  const page = typeof q.page === 'string' && /^[0-9]{1,6}$/.test(q.page) ? Number(q.page) : 1;
  const agency = typeof q.agency === 'string' && /^[a-z0-9][a-z0-9-]{0,62}$/.test(q.agency) ? q.agency : undefined;
  return { page, agency };
}

export default async function overviewRoutes(app: FastifyInstance, { cx }: { cx: ConsoleContext }) {
  const { db, latest, store } = cx;

  app.get(`${CONSOLE}/`, { preValidation: cx.need('viewer') }, async (request, reply) => {
    const scope = cx.scopeOf(request);
    const now = Date.now();
    return cx.send(
      reply,
      overviewPage(cx.ctxOf(request, reply), {
        statuses: agencyStatuses(db, now, scope),
        video: tilePreview(videoTiles(latest, scope)),
        alerts: store.list({ state: 'active', agency: scope, limit: OVERVIEW_ALERTS }),
        alertTotal: activeAlertCount(db, scope),
        names: cx.names(),
        now,
      }),
    );
  });

  app.get(`${CONSOLE}/videoconf`, { preValidation: cx.need('viewer') }, async (request, reply) => {
    const q = boardQuery(request.query);
    // An agency-scoped user always sees their own agency, whatever the query says.
    const agency = cx.scopeOf(request) ?? q.agency;
    const board = { ...tilePage(videoTiles(latest, agency), q.page), agency: q.agency };
    return cx.send(reply, videoconfPage(cx.ctxOf(request, reply), { board, names: cx.names(), canCheck: cx.mayAct(request, 'operator') }));
  });

  app.get(`${CONSOLE}/certificates`, { preValidation: cx.need('viewer') }, async (request, reply) => {
    return cx.send(reply, certificatesPage(cx.ctxOf(request, reply), certificates(db, cx.scopeOf(request)), cx.names()));
  });
}
