// Agents and one-time enrolment codes: the list for everyone, codes and revoke/rotate for administrators
// (an agency-scoped admin acts on their own agency only).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseDuration } from '../../../protocol/index.ts';
import { getAgency } from '../../state/agencies.ts';
import { getAgent, listAgents, requestTokenRotation, revokeAgent } from '../../state/agents.ts';
import { createEnrollCode, listEnrollCodes } from '../../state/enroll-codes.ts';
import { formBody, IdParams, text, type ConsoleContext } from '../context.ts';
import { t } from '../i18n.ts';
import { CONSOLE } from '../layout.ts';
import { agentsPage, type AgentsPageData } from '../pages/agents.ts';
import { agencyParam, pageParam, paginate } from '../paging.ts';
import { ROWS_PER_PAGE } from '../views.ts';

const CodeForm = formBody({ agency: text(64), ttl: text(16), note: text(1000) });
const ActionForm = formBody({});

export default async function agentRoutes(app: FastifyInstance, { cx }: { cx: ConsoleContext }) {
  const { latest } = cx;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  const renderAgents = async (request: FastifyRequest, reply: FastifyReply, extra: Pick<AgentsPageData, 'newCode' | 'message' | 'error'> = {}, status = 200) => {
    const asked = agencyParam(request.query);
    const scope = cx.scopeOf(request);
    const page = agentsPage(cx.ctxOf(request, reply), {
      agents: paginate(await listAgents(cx.services.state, { agency: scope ?? asked }), pageParam(request.query), ROWS_PER_PAGE),
      agency: asked,
      codes: await listEnrollCodes(cx.services.state, { agency: scope, limit: 50 }),
      agencies: await cx.visibleAgencies(request),
      names: await cx.names(),
      canAdmin: cx.mayAct(request, 'admin'),
      ...extra,
    });
    return cx.send(reply, page, status);
  };

  r.get(`${CONSOLE}/agents`, { preValidation: cx.need('viewer') }, async (request, reply) => {
    const done = (request.query as Record<string, unknown>).done;
    const L = cx.localeOf(request, reply);
    return renderAgents(request, reply, { message: done === 'rotate' ? t(L, 'rotateRequested') : done ? t(L, 'saved') : undefined });
  });

  r.post(`${CONSOLE}/enroll-codes`, { preValidation: cx.need('admin'), schema: { body: CodeForm } }, async (request, reply) => {
    const form = request.body;
    const L = cx.localeOf(request, reply);
    const scope = cx.scopeOf(request);
    const agency = form.agency ?? '';
    const a = await getAgency(cx.services.state, agency);
    if (!a || !a.active || (scope && scope !== agency)) return renderAgents(request, reply, { error: t(L, 'unknownAgency', { agency }) }, 400);
    const ttlMs = parseDuration(form.ttl ?? '');
    if (ttlMs === undefined || ttlMs < 60_000 || ttlMs > 30 * 86_400_000) return renderAgents(request, reply, { error: t(L, 'badTtl', { ttl: form.ttl ?? '' }) }, 400);
    const code = await createEnrollCode(cx.services.state, agency, ttlMs, form.note?.trim().slice(0, 200) || `console: ${cx.userName(request)}`);
    await cx.audit(request, 'enroll_code', { agency, detail: `valid until ${new Date(code.expiresAt).toISOString()}` });
    // Shown once, on this response only: never in a URL, a log or a later page.
    return renderAgents(request, reply, { newCode: code });
  });

  for (const action of ['revoke', 'rotate'] as const) {
    r.post(`${CONSOLE}/agents/:id/${action}`, { preValidation: cx.need('admin'), schema: { params: IdParams, body: ActionForm } }, async (request, reply) => {
      const agent = await getAgent(cx.services.state, request.params.id);
      const scope = cx.scopeOf(request);
      if (!agent || (scope && agent.agency !== scope)) return cx.fail(request, reply, 404);
      const ok = action === 'revoke' ? await revokeAgent(cx.services.state, agent.id) : await requestTokenRotation(cx.services.state, agent.id);
      if (ok && action === 'revoke') latest.forgetAgent(agent.id);
      request.log.info({ agent: agent.id, by: cx.userName(request), action }, 'agent changed from the console');
      if (ok) await cx.audit(request, action === 'revoke' ? 'agent_revoke' : 'agent_rotate', { target: agent.id, agency: agent.agency, detail: agent.hostname });
      return reply.redirect(`${CONSOLE}/agents?done=${action}`, 303);
    });
  }
}
