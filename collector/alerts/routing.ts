// Who receives an alert mail: agency contacts by severity, the provincial security team, escalation;
// and which channels beside e-mail (webhook, Telegram) hear of it, by agency, level, severity and rule.
import type { ChannelSettings } from './channels/settings.ts';
import type { Severity } from './rules.ts';
import type { AlertSettings } from './settings.ts';
import type { Locale } from './templates.ts';

export interface AgencyInfo {
  id: string;
  name: string;
  nameEn?: string;
  level: string;
  contacts: string[];
  locale: Locale;
}

export interface Recipient {
  address: string;
  locale: Locale;
}

/**
 * Who hears of an alert: the agency's IT contacts (severities in routing.agencyContacts), the
 * provincial security team (routing.securityTeam, or the list for the agency's level), and for
 * alerts of no agency (the collector itself) the security team always.
 */
export function recipientsFor(severity: Severity, agency: AgencyInfo | undefined, settings: AlertSettings): Recipient[] {
  const out = new Map<string, Recipient>();
  const add = (address: string, fallback: Locale) => {
    const key = address.toLowerCase();
    if (!out.has(key)) out.set(key, { address, locale: settings.recipientLocales[key] ?? fallback });
  };
  if (agency && settings.routing.agencyContacts.includes(severity)) for (const c of agency.contacts) add(c, agency.locale);
  const teamSeverities = agency ? (settings.routing.securityTeamByLevel[agency.level] ?? settings.routing.securityTeam) : ['info', 'warning', 'critical'];
  if (teamSeverities.includes(severity)) for (const c of settings.securityTeam) add(c, settings.locale);
  return [...out.values()];
}

export function escalationRecipients(settings: AlertSettings): Recipient[] {
  return settings.escalation.map((address) => ({ address, locale: settings.recipientLocales[address.toLowerCase()] ?? settings.locale }));
}

/**
 * Whether a channel hears of an alert: its agencies (and levels), severities and rules must all take it. A
 * channel without `agencies` or `levels` takes every agency and the collector's own alerts; one with them
 * takes only alerts of those agencies. Escalations go only to channels with `escalation: true`.
 */
export function channelTakes(channel: ChannelSettings, a: { severity: Severity; rule: string; resolved?: boolean }, kind: 'alert' | 'repeat' | 'escalation', agency: AgencyInfo | undefined): boolean {
  const { route } = channel;
  if (kind === 'escalation' && !route.escalation) return false;
  if (a.resolved && !route.sendResolved) return false;
  if (!route.severities.includes(a.severity)) return false;
  if (route.rules && !route.rules.includes(a.rule)) return false;
  if (route.agencies && !(agency && route.agencies.includes(agency.id))) return false;
  if (route.levels && !(agency && route.levels.includes(agency.level))) return false;
  return true;
}

/** A channel's language: its own, else that of its one agency, else the security team's (alerts.locale). */
export function channelLocale(channel: ChannelSettings, agencies: ReadonlyMap<string, AgencyInfo>, settings: Pick<AlertSettings, 'locale'>): Locale {
  if (channel.locale) return channel.locale;
  const only = channel.route.agencies?.length === 1 ? agencies.get(channel.route.agencies[0]) : undefined;
  return only?.locale ?? settings.locale;
}
