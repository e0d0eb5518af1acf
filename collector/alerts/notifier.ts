// Between alert state and mail (and the other channels): who is told what and when (grouping, repeats,
// escalation, silences and maintenance, storm limits), with everything it needs kept in the state database.
import { renderChannelAlert, renderChannelSummary, type ChannelMessage } from './channels/render.ts';
import { channelAddress, type ChannelSettings } from './channels/settings.ts';
import type { Rule } from './rules.ts';
import { channelLocale, channelTakes, escalationRecipients, recipientsFor, type AgencyInfo, type Recipient } from './routing.ts';
import type { AlertSettings } from './settings.ts';
import type { SilenceRow } from './silence-store.ts';
import type { AlertRow, AlertStore } from './store.ts';
import { FailureLog, type AlertLog } from './failures.ts';
import { SilenceCache, type CompiledSilence } from './silences.ts';
import { suppressionOf } from './suppression.ts';
import { renderMail, renderStormSummary, systemName, type AlertView, type Locale } from './templates.ts';

export interface NotifierOptions {
  store: AlertStore;
  settings: AlertSettings;
  rules: Rule[];
  agencies: AgencyInfo[];
  log?: AlertLog;
}

type MailKind = 'alert' | 'repeat' | 'escalation';

/** A channel's key in the storm log (mail_log.recipient), beside e-mail addresses (which always have an @). */
const channelKey = (name: string) => `channel:${name}`;

/**
 * Decides who is told what and when: turns alert state into waiting events (firing, repeat,
 * resolved, escalation), holds them for `groupWait` per agency, then renders one mail per
 * recipient group into the durable queue. Suppressed alerts are recorded in the history instead.
 * Everything it needs is in the state database, so acknowledgements and silences made by the CLI count too.
 */
export class Notifier {
  private readonly rules: Map<string, Rule>;
  private readonly agencies: Map<string, AgencyInfo>;
  private readonly silences: SilenceCache;
  private readonly failures: FailureLog;

  constructor(private readonly opts: NotifierOptions) {
    this.rules = new Map(opts.rules.map((r) => [r.name, r]));
    this.agencies = new Map(opts.agencies.map((a) => [a.id, a]));
    this.silences = new SilenceCache(opts.log);
    this.failures = new FailureLog(opts.log);
  }

  /**
   * One round, given the silences not over (read by the caller just before: the round decides and writes
   * without waiting on anything). Each alert, each agency's mail group and the storm summaries are handled on their own: one
   * that fails is logged with its id and skipped, and the others go on.
   */
  async tick(now: number, silenceRows: SilenceRow[]): Promise<void> {
    const { store, settings } = this.opts;
    const silences = this.silences.active(silenceRows, now);
    for (const a of await store.firing()) {
      await this.isolated(`alert:${a.id}`, { alert: a.id, rule: a.rule, agency: a.agency }, 'alert skipped by the notifier', () => this.judgeFiring(a, silences, now));
    }
    for (const a of await store.awaitingResolve()) {
      await this.isolated(`alert:${a.id}`, { alert: a.id, rule: a.rule, agency: a.agency }, 'resolved alert skipped by the notifier', async () => {
        const rule = this.rules.get(a.rule);
        if (!settings.sendResolved || rule?.sendResolved === false) await store.update(a.id, { resolve_notified_at: now });
        else await store.addEvent(a.id, 'resolved', a.agency, Math.min(now, a.resolvedAt ?? now));
      });
    }
    for (const agency of await store.dueGroups(now - settings.groupWaitMs)) {
      await this.isolated(`group:${agency}`, { agency }, "agency's alert mail not composed", () => this.flush(agency, now));
    }
    await this.isolated('storms', {}, 'storm summaries not composed', () => this.summarizeStorms(now));
  }

  private async isolated(key: string, fields: object, message: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.failures.report(key, fields, message, err);
    }
  }

  private async judgeFiring(a: AlertRow, silences: CompiledSilence[], now: number): Promise<void> {
    const { store, settings } = this.opts;
    const onError = (s: CompiledSilence, err: unknown) => this.failures.report(`silence:${s.row.id}`, { silence: s.row.id }, 'silence skipped: matching it failed', err);
    const suppressed = suppressionOf(a, silences, settings.maintenance, now, onError);
    if (a.lastNotifiedAt === null) {
      // groupWait counts from the change itself, not from the tick that noticed it.
      if (!suppressed) await store.addEvent(a.id, 'firing', a.agency, Math.min(now, Math.max(a.firedAt ?? now, a.suppressedAt ?? 0)));
      else if (a.suppressedAt === null) await this.recordSuppressed(a, suppressed.by === 'silence' ? `silence #${suppressed.id}: ${suppressed.reason} (${suppressed.author})` : suppressed.reason, now);
      return;
    }
    if (a.ackedAt !== null || suppressed) return;
    const repeat = settings.repeatIntervalMs[a.severity];
    if (repeat > 0 && now - a.lastNotifiedAt >= repeat) await store.addEvent(a.id, 'repeat', a.agency, now);
    // Someone must be there to escalate to: the escalation list, or a channel that asks for escalations.
    const escalates = settings.escalation.length > 0 || settings.channels.some((c) => c.route.escalation);
    if (a.severity === 'critical' && a.escalatedAt === null && escalates && now - (a.firedAt ?? now) >= settings.escalateAfterMs) {
      await store.addEvent(a.id, 'escalation', a.agency, now);
    }
  }

  private view(a: AlertRow): AlertView {
    return { id: a.id, rule: this.rules.get(a.rule), ruleName: a.rule, severity: a.severity, agency: a.agency, labels: a.labels, value: a.value, firedAt: a.firedAt ?? a.activeSince, resolvedAt: a.resolvedAt ?? undefined, ackedBy: a.ackedBy };
  }

  private agencyName(agency: string, locale: Locale): string {
    const info = this.agencies.get(agency);
    if (!info) return agency || systemName(locale);
    return locale === 'en' ? (info.nameEn ?? info.name) : info.name;
  }

  private async recordSuppressed(a: AlertRow, reason: string, now: number): Promise<void> {
    const { store, settings } = this.opts;
    const rendered = renderMail({ locale: settings.locale, agencyName: this.agencyName(a.agency, settings.locale), kind: 'alert', firing: [this.view(a)], resolved: [] });
    const recipients = recipientsFor(a.severity, this.agencies.get(a.agency), settings).map((r) => r.address);
    const kind = `suppressed: ${reason}`.slice(0, 300);
    const channels = settings.channels.filter((c) => channelTakes(c, a, 'alert', this.agencies.get(a.agency)));
    await store.transaction(async (s) => {
      await s.addNotification({ agency: a.agency, kind, recipients, subject: rendered.subject, alertIds: [a.id], status: 'suppressed' }, now);
      for (const c of channels) await s.addNotification({ agency: a.agency, kind, channel: c.name, recipients: [channelAddress(c)], subject: rendered.subject, alertIds: [a.id], status: 'suppressed' }, now);
      await s.update(a.id, { suppressed_at: now });
    });
  }

  /** One agency's waiting events become mails: one per group of recipients who get the same alerts in the same language. */
  private async flush(agency: string, now: number): Promise<void> {
    await this.opts.store.transaction(async (store) => {
      const events = await store.takeEvents(agency);
      const byKind: Record<MailKind, { firing: AlertRow[]; resolved: AlertRow[] }> = {
        alert: { firing: [], resolved: [] },
        repeat: { firing: [], resolved: [] },
        escalation: { firing: [], resolved: [] },
      };
      for (const e of events) {
        const a = await store.get(e.alertId);
        if (!a) continue;
        // A firing that cleared before its group went out was never mailed: nothing to say about it.
        if (e.kind !== 'resolved' && a.state !== 'firing') continue;
        if ((e.kind === 'repeat' || e.kind === 'escalation') && a.ackedAt !== null) continue;
        // Claimed in this transaction before anything is composed: a notifier running at the same time
        // (a leader that lost its lease mid-round) finds it told and says nothing.
        if (!(await store.claimNotice(a, e.kind, now))) continue;
        if (e.kind === 'resolved') byKind.alert.resolved.push(a);
        else if (e.kind === 'firing') byKind.alert.firing.push(a);
        else byKind[e.kind].firing.push(a);
      }
      for (const kind of ['alert', 'repeat', 'escalation'] as const) {
        const { firing, resolved } = byKind[kind];
        if (firing.length + resolved.length === 0) continue;
        await this.compose(store, agency, kind, firing, resolved, now);
      }
    });
  }

  /** `store`: the flush's transaction. */
  private async compose(store: AlertStore, agency: string, kind: MailKind, firing: AlertRow[], resolved: AlertRow[], now: number): Promise<void> {
    const { settings } = this.opts;
    const info = this.agencies.get(agency);
    // Each recipient's share of the group, then recipients with identical shares share one mail.
    const shares = new Map<string, { recipient: Recipient; ids: number[] }>();
    const give = (r: Recipient, id: number) => {
      const key = r.address.toLowerCase();
      const s = shares.get(key) ?? { recipient: r, ids: [] };
      s.ids.push(id);
      shares.set(key, s);
    };
    for (const a of [...firing, ...resolved]) {
      const to = kind === 'escalation' ? escalationRecipients(settings) : recipientsFor(a.severity, info, settings);
      for (const r of to) give(r, a.id);
    }
    const mails = new Map<string, { locale: Locale; ids: number[]; to: string[] }>();
    for (const { recipient, ids } of shares.values()) {
      const key = `${recipient.locale}|${ids.join(',')}`;
      const m = mails.get(key) ?? { locale: recipient.locale, ids, to: [] };
      m.to.push(recipient.address);
      mails.set(key, m);
    }
    const toChannels = await this.composeChannels(store, agency, kind, firing, resolved, now);
    if (mails.size === 0 && toChannels === 0) {
      const rendered = renderMail({ locale: settings.locale, agencyName: this.agencyName(agency, settings.locale), kind, firing: firing.map((a) => this.view(a)), resolved: resolved.map((a) => this.view(a)) });
      await store.addNotification({ agency, kind: `${kind}: no recipient configured`, recipients: [], subject: rendered.subject, alertIds: [...firing, ...resolved].map((a) => a.id), status: 'suppressed' }, now);
      return;
    }
    for (const m of mails.values()) {
      const pick = (list: AlertRow[]) => list.filter((a) => m.ids.includes(a.id)).map((a) => this.view(a));
      const rendered = renderMail({ locale: m.locale, agencyName: this.agencyName(agency, m.locale), kind, firing: pick(firing), resolved: pick(resolved), consoleUrl: settings.consoleUrl, grafanaUrl: settings.grafanaUrl });
      await this.enqueue(store, agency, kind, m.to, m.ids, rendered, now);
    }
  }

  /** The same group for each channel that takes some of its alerts: one notification per channel, in its language. */
  private async composeChannels(store: AlertStore, agency: string, kind: MailKind, firing: AlertRow[], resolved: AlertRow[], now: number): Promise<number> {
    const { settings } = this.opts;
    const info = this.agencies.get(agency);
    let queued = 0;
    for (const channel of settings.channels) {
      const f = firing.filter((a) => channelTakes(channel, a, kind, info));
      const r = resolved.filter((a) => channelTakes(channel, { severity: a.severity, rule: a.rule, resolved: true }, kind, info));
      if (f.length + r.length === 0) continue;
      queued++;
      // One channel whose message cannot be made is logged and skipped: the mail and the other channels still go.
      await this.isolated(`channel:${channel.name}`, { channel: channel.name, agency }, 'alert notification for a channel not composed', async () => {
        const locale = channelLocale(channel, this.agencies, settings);
        const ctx = { locale, agencyName: this.agencyName(agency, locale), kind, agency, firing: f.map((a) => this.view(a)), resolved: r.map((a) => this.view(a)), consoleUrl: settings.consoleUrl, grafanaUrl: settings.grafanaUrl };
        await this.enqueueChannel(store, agency, kind, channel, [...f, ...r].map((a) => a.id), renderChannelAlert(channel, ctx, now), now);
      });
    }
    return queued;
  }

  /** Queue a channel's notification; past `storm.maxMails` within `storm.window` it is held for the summary, as mail is. */
  private async enqueueChannel(store: AlertStore, agency: string, kind: string, channel: ChannelSettings, alertIds: number[], message: ChannelMessage, now: number): Promise<void> {
    const { settings } = this.opts;
    const key = channelKey(channel.name);
    const held = (await store.mailsTo(key, now - settings.storm.windowMs)) >= settings.storm.maxMails;
    const id = await store.addNotification({ agency, kind, channel: channel.name, recipients: [channelAddress(channel)], subject: message.subject, alertIds, text: message.text, status: held ? 'held' : 'queued' }, now);
    await store.logMail(key, id, now, held);
  }

  /** Queue a mail, holding it back from recipients who already got `storm.maxMails` within `storm.window`. */
  private async enqueue(store: AlertStore, agency: string, kind: string, to: string[], alertIds: number[], mail: { subject: string; text: string; html: string }, now: number): Promise<void> {
    const { settings } = this.opts;
    const since = now - settings.storm.windowMs;
    const held: string[] = [];
    for (const r of to) if ((await store.mailsTo(r, since)) >= settings.storm.maxMails) held.push(r);
    const send = to.filter((r) => !held.includes(r));
    const id = await store.addNotification({ agency, kind, recipients: send.length > 0 ? send : held, subject: mail.subject, alertIds, text: mail.text, html: mail.html, status: send.length > 0 ? 'queued' : 'held' }, now);
    for (const r of send) await store.logMail(r, id, now, false);
    for (const r of held) await store.logMail(r, id, now, true);
  }

  private async summarizeStorms(now: number): Promise<void> {
    const { store, settings } = this.opts;
    for (const { recipient, notificationIds } of await store.heldDue(now - settings.storm.windowMs)) {
      if (recipient.startsWith(channelKey(''))) {
        await this.summarizeChannel(recipient, notificationIds, now);
        continue;
      }
      const locale = settings.recipientLocales[recipient.toLowerCase()] ?? this.localeOf(recipient);
      const mail = renderStormSummary(locale, await this.heldSubjects(notificationIds), settings.storm.windowMs, settings.consoleUrl);
      await store.transaction(async (s) => {
        const id = await s.addNotification({ agency: '', kind: 'storm-summary', recipients: [recipient], subject: mail.subject, alertIds: [], text: mail.text, html: mail.html, status: 'queued' }, now);
        await s.logMail(recipient, id, now, false);
        await s.markSummarized(recipient, now);
      });
    }
  }

  private async heldSubjects(notificationIds: number[]): Promise<{ subject: string; at: number }[]> {
    const out: { subject: string; at: number }[] = [];
    for (const id of notificationIds) {
      const n = await this.opts.store.notification(id);
      if (n) out.push({ subject: n.subject, at: n.createdAt });
    }
    return out;
  }

  /** One channel's storm summary; a channel gone from the config gets none (its held notifications stay in the history). */
  private async summarizeChannel(key: string, notificationIds: number[], now: number): Promise<void> {
    const { store, settings } = this.opts;
    const channel = settings.channels.find((c) => channelKey(c.name) === key);
    const held = channel ? await this.heldSubjects(notificationIds) : [];
    await store.transaction(async (s) => {
      if (channel) {
        const m = renderChannelSummary(channel, channelLocale(channel, this.agencies, settings), held, settings.storm.windowMs, settings.consoleUrl, now);
        const id = await s.addNotification({ agency: '', kind: 'storm-summary', channel: channel.name, recipients: [channelAddress(channel)], subject: m.subject, alertIds: [], text: m.text, status: 'queued' }, now);
        await s.logMail(key, id, now, false);
      }
      await s.markSummarized(key, now);
    });
  }

  private localeOf(address: string): Locale {
    for (const a of this.agencies.values()) if (a.contacts.some((c) => c.toLowerCase() === address.toLowerCase())) return a.locale;
    return this.opts.settings.locale;
  }
}
