// The wall-display pages every signed-in user may see: the overview, the video-conference board and the
// certificate list, each limited to the user's agency when they have one.
import type { FastifyInstance } from 'fastify';
import type { ConsoleContext } from '../context.ts';
import { CONSOLE } from '../layout.ts';
import { certificatesPage } from '../pages/certificates.ts';
import { overviewPage } from '../pages/overview.ts';
import { videoconfPage } from '../pages/videoconf.ts';
import { agencyStatuses, certificates, videoTiles } from '../views.ts';

export default async function overviewRoutes(app: FastifyInstance, { cx }: { cx: ConsoleContext }) {
  const { db, latest, store } = cx;

  app.get(`${CONSOLE}/`, { preValidation: cx.need('viewer') }, async (request, reply) => {
    const scope = cx.scopeOf(request);
    const now = Date.now();
    return cx.send(reply, overviewPage(cx.ctxOf(request, reply), { statuses: agencyStatuses(db, now, scope), tiles: videoTiles(latest, scope), alerts: store.list({ state: 'active', agency: scope }), names: cx.names(), now }));
  });

  app.get(`${CONSOLE}/videoconf`, { preValidation: cx.need('viewer') }, async (request, reply) => {
    const scope = cx.scopeOf(request);
    return cx.send(reply, videoconfPage(cx.ctxOf(request, reply), { tiles: videoTiles(latest, scope), names: cx.names(), canCheck: cx.mayAct(request, 'operator') }));
  });

  app.get(`${CONSOLE}/certificates`, { preValidation: cx.need('viewer') }, async (request, reply) => {
    return cx.send(reply, certificatesPage(cx.ctxOf(request, reply), certificates(db, cx.scopeOf(request)), cx.names()));
  });
}
