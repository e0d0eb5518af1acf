// The agent versions page of the console: the fleet by version and the rollouts' progress, limited to
// the user's agency when they have one (a rollout is started with the CLI or the API, not here).
import type { FastifyInstance } from 'fastify';
import { ReleasePusher } from '../../releases/pusher.ts';
import { currentRollouts } from '../../releases/store.ts';
import { listAgents } from '../../state/agents.ts';
import type { ConsoleContext } from '../context.ts';
import { CONSOLE } from '../layout.ts';
import { releasesPage } from '../pages/releases.ts';
import { agencyParam, pageParam, paginate } from '../paging.ts';
import { ROWS_PER_PAGE } from '../views.ts';

export default async function releaseConsoleRoutes(app: FastifyInstance, { cx }: { cx: ConsoleContext }) {
  // Only reads: the statuses come from the state database, whatever instance took the polls.
  const reader = new ReleasePusher(cx.services.state);
  app.get(`${CONSOLE}/releases`, { preValidation: cx.need('viewer') }, async (request, reply) => {
    const scope = cx.scopeOf(request);
    const asked = agencyParam(request.query);
    const agency = scope ?? asked;
    const { agents, versions } = await reader.statuses(await listAgents(cx.services.state, agency ? { agency } : {}));
    const rollouts = [...(await currentRollouts(cx.services.state)).values()].filter((r) => !scope || r.agencies.length === 0 || r.agencies.includes(scope));
    const data = { versions, rollouts, all: agents, agents: paginate(agents, pageParam(request.query), ROWS_PER_PAGE), agency: asked, names: await cx.names() };
    return cx.send(reply, releasesPage(cx.ctxOf(request, reply), data));
  });
}
