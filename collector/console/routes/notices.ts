// Status page notices from the console, for province-wide administrators: publish, update and end an
// incident or planned maintenance; the public page is refreshed at once and every change is audited.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { addNotice, addNoticeUpdate, endNotice, getNotice, listNotices, NOTICE_LIMITS } from '../../status/notices.ts';
import { formBody, IdParams, text, type ConsoleContext } from '../context.ts';
import { parseLocalDateTime, t } from '../i18n.ts';
import { CONSOLE } from '../layout.ts';
import { noticesPage, type NoticesPageData } from '../pages/notices.ts';

const NoticeForm = formBody({ kind: text(20), title: text(NOTICE_LIMITS.title + 50), body: text(NOTICE_LIMITS.body + 100), services: text(4000), startsAt: text(32), endsAt: text(32) });
const UpdateForm = formBody({ text: text(NOTICE_LIMITS.update + 100) });
const ActionForm = formBody({});
const YEAR = 365 * 86_400_000;

export default async function noticeRoutes(app: FastifyInstance, { cx }: { cx: ConsoleContext }) {
  const { state } = cx.services;
  const status = cx.services.status;
  const services = cx.services.config?.status.services ?? [];
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  const render = async (request: FastifyRequest, reply: FastifyReply, extra: Partial<NoticesPageData> = {}, code = 200) =>
    cx.send(reply, noticesPage(cx.ctxOf(request, reply), { enabled: Boolean(status), services, notices: await listNotices(state), now: Date.now(), ...extra }), code);
  const changed = async (request: FastifyRequest, reply: FastifyReply) => {
    await status?.refresh();
    return reply.redirect(`${CONSOLE}/notices?done=1`, 303);
  };

  r.get(`${CONSOLE}/notices`, { preValidation: cx.needUserAdmin }, async (request, reply) => {
    const done = (request.query as Record<string, unknown>).done;
    return render(request, reply, { message: done ? t(cx.localeOf(request, reply), 'saved') : undefined });
  });

  r.post(`${CONSOLE}/notices`, { preValidation: cx.needUserAdmin, schema: { body: NoticeForm } }, async (request, reply) => {
    const f = request.body;
    const L = cx.localeOf(request, reply);
    const bad = (field: string, problem: string) => render(request, reply, { error: t(L, 'badNotice', { field, problem }) }, 400);
    if (!status) return bad('status', t(L, 'statusDisabled'));
    const kind = f.kind === 'incident' || f.kind === 'maintenance' ? f.kind : undefined;
    const title = (f.title ?? '').trim();
    const body = (f.body ?? '').trim();
    const chosen = (f.services ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const known = new Set(services.map((s) => s.id));
    const startsAt = parseLocalDateTime(f.startsAt ?? '');
    const endsAt = f.endsAt ? parseLocalDateTime(f.endsAt) : undefined;
    const now = Date.now();
    if (!kind) return bad('kind', `expected incident or maintenance, got "${(f.kind ?? '').slice(0, 20)}"`);
    if (title.length < 3 || title.length > NOTICE_LIMITS.title) return bad('title', `3 to ${NOTICE_LIMITS.title} characters`);
    if (body.length < 3 || body.length > NOTICE_LIMITS.body) return bad('body', `3 to ${NOTICE_LIMITS.body} characters`);
    const unknown = chosen.find((s) => !known.has(s));
    if (unknown) return bad('services', `unknown service "${unknown.slice(0, 64)}"`);
    if (startsAt === undefined || Math.abs(startsAt - now) > YEAR) return bad('startsAt', 'a date and time within a year');
    if (f.endsAt && (endsAt === undefined || endsAt <= startsAt || endsAt - startsAt > YEAR)) return bad('endsAt', 'after the start and within a year of it');
    const n = await addNotice(state, { kind, title, body, services: chosen, startsAt, endsAt, createdBy: cx.userName(request) });
    await cx.audit(request, 'notice_add', { target: String(n.id), detail: `${kind}: ${title}` });
    return changed(request, reply);
  });

  r.post(`${CONSOLE}/notices/:id/update`, { preValidation: cx.needUserAdmin, schema: { params: IdParams, body: UpdateForm } }, async (request, reply) => {
    const id = Number(request.params.id);
    const text = (request.body.text ?? '').trim();
    const L = cx.localeOf(request, reply);
    if (!(await getNotice(state, id))) return cx.fail(request, reply, 404);
    if (text.length < 2 || text.length > NOTICE_LIMITS.update) return render(request, reply, { error: t(L, 'badNotice', { field: 'text', problem: `2 to ${NOTICE_LIMITS.update} characters` }) }, 400);
    if (!(await addNoticeUpdate(state, id, text, cx.userName(request)))) return render(request, reply, { error: t(L, 'badNotice', { field: 'text', problem: `at most ${NOTICE_LIMITS.updates} updates per notice` }) }, 400);
    await cx.audit(request, 'notice_update', { target: String(id), detail: text.slice(0, 200) });
    return changed(request, reply);
  });

  r.post(`${CONSOLE}/notices/:id/end`, { preValidation: cx.needUserAdmin, schema: { params: IdParams, body: ActionForm } }, async (request, reply) => {
    const id = Number(request.params.id);
    if (!(await getNotice(state, id))) return cx.fail(request, reply, 404);
    await endNotice(state, id);
    await cx.audit(request, 'notice_end', { target: String(id) });
    return changed(request, reply);
  });
}
