// Who receives an alert mail: agency contacts by severity, the provincial security team, escalation.
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
