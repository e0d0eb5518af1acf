// Province-wide administrators' oversight pages: the API tokens (list and revoke) and the audit log.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { listAdminTokens, revokeAdminTokenById } from '../../state/admin-tokens.ts';
import { listAudit } from '../../state/audit.ts';
import { formBody, IdParams, type ConsoleContext } from '../context.ts';
import { t } from '../i18n.ts';
import { CONSOLE } from '../layout.ts';
import { auditPage } from '../pages/audit.ts';
import { tokensPage } from '../pages/tokens.ts';

const AUDIT_PAGE = 200;
const AuditQuery = Type.Object({ before: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,15}$' })), lang: Type.Optional(Type.String({ maxLength: 2 })) });
const TokensQuery = Type.Object({ revoked: Type.Optional(Type.String({ maxLength: 64 })), lang: Type.Optional(Type.String({ maxLength: 2 })) });

export default async function adminRoutes(app: FastifyInstance, { cx }: { cx: ConsoleContext }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(`${CONSOLE}/tokens`, { preValidation: cx.needUserAdmin, schema: { querystring: TokensQuery } }, async (request, reply) => {
    const revoked = request.query.revoked;
    const L = cx.localeOf(request, reply);
    return cx.send(reply, tokensPage(cx.ctxOf(request, reply), { tokens: await listAdminTokens(cx.services.state), names: await cx.names(), message: revoked ? t(L, 'tokenRevoked', { name: revoked }) : undefined }));
  });

  r.post(`${CONSOLE}/tokens/:id/revoke`, { preValidation: cx.needUserAdmin, schema: { params: IdParams, body: formBody({}) } }, async (request, reply) => {
    const id = Number(request.params.id);
    const token = Number.isSafeInteger(id) && id > 0 ? await revokeAdminTokenById(cx.services.state, id) : undefined;
    if (!token) return cx.fail(request, reply, 404);
    request.log.info({ token: token.name, by: cx.userName(request) }, 'API token revoked from the console');
    await cx.audit(request, 'token_revoke', { target: token.name, agency: token.agency, detail: token.role });
    return reply.redirect(`${CONSOLE}/tokens?revoked=${encodeURIComponent(token.name)}`, 303);
  });

  r.get(`${CONSOLE}/audit`, { preValidation: cx.needUserAdmin, schema: { querystring: AuditQuery } }, async (request, reply) => {
    const before = request.query.before ? Number(request.query.before) : undefined;
    const rows = await listAudit(cx.services.state, { limit: AUDIT_PAGE + 1, before });
    const shown = rows.slice(0, AUDIT_PAGE);
    return cx.send(reply, auditPage(cx.ctxOf(request, reply), { rows: shown, names: await cx.names(), olderThan: rows.length > AUDIT_PAGE ? shown.at(-1)!.id : undefined }));
  });
}
