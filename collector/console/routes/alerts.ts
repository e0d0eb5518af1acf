// Alerts in the console: the lists, one alert, acknowledging, silences, the notification history of every
// channel and the province-wide admin's test mail through the relay and test message through each channel.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { channelOf, sendChannelTest } from '../../alerts/channels/index.ts';
import { channelAddress, routeSummary } from '../../alerts/channels/settings.ts';
import { sendTestMail } from '../../alerts/delivery.ts';
import { channelLocale } from '../../alerts/routing.ts';
import { acknowledgeAlert, getAlert, listAlerts, listNotifications } from '../../alerts/alert-queries.ts';
import { addSilence, getSilence, listSilences, removeSilence } from '../../alerts/silence-store.ts';
import { silenceProblem } from '../../alerts/silences.ts';
import { getAgency } from '../../state/agencies.ts';
import { formBody, IdParams, text, type ConsoleContext } from '../context.ts';
import { parseLocalDateTime, t, type Locale } from '../i18n.ts';
import { CONSOLE } from '../layout.ts';
import { alertPage, alertsPage, notificationsPage, type ChannelsCard, type TestMailForm } from '../pages/alerts.ts';
import { matcherText } from '../../state/audit.ts';

const AckForm = formBody({ note: text(1000) });
const SilenceForm = formBody({ agency: text(64), rule: text(128), labels: text(2000), reason: text(1000), endsAt: text(32) });
const ActionForm = formBody({});
const TestMailBody = formBody({ to: text(1000) });
const TestChannelBody = formBody({ name: text(64) });

/** The silence's matchers from the form, or the message saying which field is wrong. */
async function silenceMatchers(cx: ConsoleContext, L: Locale, scope: string | undefined, form: { agency?: string; rule?: string; labels?: string }): Promise<{ matchers: Record<string, string> } | { error: string }> {
  const matchers: Record<string, string> = {};
  const agency = scope ?? (form.agency || undefined);
  if (agency) {
    if (!(await getAgency(cx.services.state, agency))) return { error: t(L, 'unknownAgency', { agency }) };
    matchers.agency = agency;
  }
  if (form.rule) {
    if (!cx.rules.has(form.rule)) return { error: t(L, 'unknownRule', { rule: form.rule }) };
    matchers.rule = form.rule;
  }
  for (const pair of (form.labels ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
    const m = /^([a-z_][a-z0-9_]{0,62})=(.{1,200})$/.exec(pair);
    if (!m || m[1] === 'agency') return { error: t(L, 'badLabels', { pair }) };
    matchers[m[1]] = m[2];
  }
  if (Object.keys(matchers).length === 0) return { error: t(L, 'silenceEverything') };
  return { matchers };
}

export default async function alertRoutes(app: FastifyInstance, { cx }: { cx: ConsoleContext }) {
  const { rules } = cx;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  const renderAlerts = async (request: FastifyRequest, reply: FastifyReply, status = 200, msg: { message?: string; error?: string } = {}) => {
    const scope = cx.scopeOf(request);
    const ctx = cx.ctxOf(request, reply);
    const now = Date.now();
    const names = await cx.names();
    const page = alertsPage(ctx, {
      active: await listAlerts(cx.services.state, { state: 'active', agency: scope }),
      history: await listAlerts(cx.services.state, { state: 'resolved', agency: scope, limit: 100 }),
      silences: (await listSilences(cx.services.state, now)).filter((s) => !scope || s.matchers.agency === scope),
      rules: [...rules.keys()].sort(),
      agencies: await cx.visibleAgencies(request),
      names,
      canAct: cx.mayAct(request, 'operator'),
      now,
      summarize: cx.summarize(ctx.locale, names),
      ...msg,
    });
    return cx.send(reply, page, status);
  };

  /** An alert the user may see; pending ones are the engine's business, not yet anyone's alert. */
  const alertInScope = async (request: FastifyRequest, raw: string) => {
    const id = Number(raw);
    const a = Number.isSafeInteger(id) && id > 0 ? await getAlert(cx.services.state.db, id) : undefined;
    if (!a || a.state === 'pending') return undefined;
    const scope = cx.scopeOf(request);
    return scope && a.agency !== scope ? undefined : a;
  };

  r.get(`${CONSOLE}/alerts`, { preValidation: cx.need('viewer') }, async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    return renderAlerts(request, reply, 200, { message: q.ok ? t(cx.localeOf(request, reply), 'saved') : undefined });
  });

  r.get(`${CONSOLE}/alerts/:id`, { preValidation: cx.need('viewer'), schema: { params: IdParams } }, async (request, reply) => {
    const a = await alertInScope(request, request.params.id);
    if (!a) return cx.fail(request, reply, 404);
    const ctx = cx.ctxOf(request, reply);
    const notifications = (await listNotifications(cx.services.state, { agency: a.agency, limit: 500 })).filter((n) => n.alertIds.includes(a.id));
    const names = await cx.names();
    return cx.send(reply, alertPage(ctx, a, { names, canAct: cx.mayAct(request, 'operator'), summary: cx.summarize(ctx.locale, names)(a), notifications }));
  });

  r.post(`${CONSOLE}/alerts/:id/ack`, { preValidation: cx.need('operator'), schema: { params: IdParams, body: AckForm } }, async (request, reply) => {
    const a = await alertInScope(request, request.params.id);
    if (!a) return cx.fail(request, reply, 404);
    await acknowledgeAlert(cx.services.state.db, a.id, cx.userName(request), request.body.note?.slice(0, 300) || undefined, Date.now());
    await cx.audit(request, 'alert_ack', { target: String(a.id), agency: a.agency, detail: a.rule });
    return reply.redirect(`${CONSOLE}/alerts?ok=1`, 303);
  });

  r.post(`${CONSOLE}/silences`, { preValidation: cx.need('operator'), schema: { body: SilenceForm } }, async (request, reply) => {
    const form = request.body;
    const L = cx.localeOf(request, reply);
    const parsed = await silenceMatchers(cx, L, cx.scopeOf(request), form);
    if ('error' in parsed) return renderAlerts(request, reply, 400, { error: parsed.error });
    const reason = (form.reason ?? '').trim();
    const endsAt = parseLocalDateTime(form.endsAt ?? '');
    const now = Date.now();
    if (reason.length < 3) return renderAlerts(request, reply, 400, { error: t(L, 'reasonTooShort') });
    // The same check as the API and the CLI (a pattern that does not compile is refused, never stored;
    // the end at most MAX_SILENCE_MS away).
    const problem = endsAt === undefined ? { field: 'endsAt' as const } : silenceProblem({ matchers: parsed.matchers, startsAt: now, endsAt }, now);
    if (problem?.field === 'matchers') {
      const first = problem.problems[0];
      return renderAlerts(request, reply, 400, { error: t(L, 'badMatcher', { label: first.label ?? '', problem: first.message }) });
    }
    if (problem || endsAt === undefined) return renderAlerts(request, reply, 400, { error: t(L, 'badEndsAt', { endsAt: form.endsAt ?? '' }) });
    const silence = await addSilence(cx.services.state.db, { matchers: parsed.matchers, startsAt: now, endsAt, reason: reason.slice(0, 300), author: cx.userName(request) }, now);
    await cx.audit(request, 'silence_add', { target: String(silence.id), agency: parsed.matchers.agency, detail: matcherText(parsed.matchers) });
    return reply.redirect(`${CONSOLE}/alerts?ok=1`, 303);
  });

  r.post(`${CONSOLE}/silences/:id/remove`, { preValidation: cx.need('operator'), schema: { params: IdParams, body: ActionForm } }, async (request, reply) => {
    const s = await getSilence(cx.services.state, Number(request.params.id) || 0);
    const scope = cx.scopeOf(request);
    if (!s || (scope && s.matchers.agency !== scope)) return cx.fail(request, reply, 404);
    await removeSilence(cx.services.state.db, s.id, cx.userName(request), Date.now());
    await cx.audit(request, 'silence_remove', { target: String(s.id), agency: s.matchers.agency, detail: matcherText(s.matchers) });
    return reply.redirect(`${CONSOLE}/alerts?ok=1`, 303);
  });

  await notificationRoutes(app, cx);
}

/** The notification history, and the test mail sent from it (the same test as `canhgac-collector test-mail`). */
async function notificationRoutes(app: FastifyInstance, cx: ConsoleContext) {
  const config = cx.services.config;
  const smtp = config?.alerting.smtp;
  const relay = smtp ? `${smtp.host}:${smtp.port}` : undefined;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  const channels = config?.alerting.alerts.channels ?? [];
  const channelList = channels.map((c) => ({ name: c.name, type: c.type, target: channelAddress(c), route: routeSummary(c) }));
  const renderNotifications = async (request: FastifyRequest, reply: FastifyReply, testMail?: Omit<TestMailForm, 'relay'>, status = 200, channelResult?: ChannelsCard['result']) => {
    const provinceAdmin = cx.mayAct(request, 'admin') && !cx.scopeOf(request);
    const rows = await listNotifications(cx.services.state, { agency: cx.scopeOf(request), limit: 300 });
    // Routes name other agencies: the channel list is for province-wide users only.
    const card = cx.scopeOf(request) ? undefined : { list: channelList, canTest: provinceAdmin, result: channelResult };
    return cx.send(reply, notificationsPage(cx.ctxOf(request, reply), rows, await cx.names(), provinceAdmin ? { relay, ...testMail } : undefined, card), status);
  };

  r.get(`${CONSOLE}/notifications`, { preValidation: cx.need('viewer') }, async (request, reply) => renderNotifications(request, reply));

  r.post(`${CONSOLE}/test-mail`, { preValidation: cx.needUserAdmin, schema: { body: TestMailBody } }, async (request, reply) => {
    const to = (request.body.to ?? '').trim();
    const L = cx.localeOf(request, reply);
    if (!/^[^@\s]+@[^@\s]+$/.test(to) || to.length > 254) return renderNotifications(request, reply, { to: to.slice(0, 254), result: { ok: false, message: t(L, 'badEmail', { to: to.slice(0, 254) }) } }, 400);
    if (!smtp || !config || !relay) return renderNotifications(request, reply, { to, result: { ok: false, message: t(L, 'noSmtp') } }, 400);
    try {
      await sendTestMail(smtp, config.alerting.alerts, to);
      await cx.audit(request, 'test_mail', { target: to });
      request.log.info({ to, relay, by: cx.userName(request) }, 'test mail sent from the console');
      return renderNotifications(request, reply, { to, result: { ok: true, message: t(L, 'testMailSent', { to, relay }) } });
    } catch (err) {
      const error = (err as Error).message.slice(0, 300);
      request.log.warn({ to, relay, err: error }, 'test mail from the console failed');
      return renderNotifications(request, reply, { to, result: { ok: false, message: t(L, 'testMailFailed', { to, relay, error }) } }, 502);
    }
  });

  // The same test as `canhgac-collector test-channel`; the error shown is the channel's, which never holds a secret.
  r.post(`${CONSOLE}/test-channel`, { preValidation: cx.needUserAdmin, schema: { body: TestChannelBody } }, async (request, reply) => {
    const name = (request.body.name ?? '').trim().slice(0, 64);
    const L = cx.localeOf(request, reply);
    const settings = channels.find((c) => c.name === name);
    if (!settings || !config) return renderNotifications(request, reply, undefined, 400, { ok: false, message: t(L, 'unknownChannel', { name }) });
    const target = channelOf(settings).target;
    try {
      await sendChannelTest(settings, channelLocale(settings, new Map(config.agencies.map((a) => [a.id, a])), config.alerting.alerts));
      await cx.audit(request, 'test_channel', { target: name, detail: target });
      request.log.info({ channel: name, target, by: cx.userName(request) }, 'test message sent through a channel from the console');
      return renderNotifications(request, reply, undefined, 200, { ok: true, message: t(L, 'testChannelSent', { name, target }) });
    } catch (err) {
      const error = (err as Error).message.slice(0, 300);
      request.log.warn({ channel: name, target, err: error }, 'test message through a channel from the console failed');
      return renderNotifications(request, reply, undefined, 502, { ok: false, message: t(L, 'testChannelFailed', { name, target, error }) });
    }
  });
}
