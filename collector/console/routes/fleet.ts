// The central configuration page of the console: profiles and each agent's state (applied, pending,
// refused with the reasons), limited to the user's agency when they have one.
import type { FastifyInstance } from 'fastify';
import type { FleetService } from '../../fleet/service.ts';
import { listAgents } from '../../state/agents.ts';
import type { ConsoleContext } from '../context.ts';
import { CONSOLE } from '../layout.ts';
import { fleetPage } from '../pages/fleet.ts';
import { agencyParam, pageParam, paginate } from '../paging.ts';
import { ROWS_PER_PAGE } from '../views.ts';

export default async function fleetConsoleRoutes(app: FastifyInstance, { cx }: { cx: ConsoleContext }) {
  app.get(`${CONSOLE}/fleet`, { preValidation: cx.need('viewer') }, async (request, reply) => {
    const fleet = cx.services.fleet as FleetService | undefined;
    const scope = cx.scopeOf(request);
    const asked = agencyParam(request.query);
    const agents = fleet ? await fleet.statuses(await listAgents(cx.services.state, { agency: scope ?? asked })) : [];
    // A scoped user sees the profiles of its agency and of its agents only.
    const own = new Set(agents.map((a) => a.agent));
    const profiles = (fleet?.current.summaries() ?? []).filter((p) => !scope || p.agencies.includes(scope) || p.agents.some((a) => own.has(a)));
    const data = { profiles, agents: paginate(agents, pageParam(request.query), ROWS_PER_PAGE), agency: asked, names: await cx.names() };
    return cx.send(reply, fleetPage(cx.ctxOf(request, reply), data));
  });
}
