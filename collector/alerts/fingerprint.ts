// What makes two samples the same alert: the key of one alert instance and the labels it carries.
import { alertFieldsOf, type WireSample } from '../../protocol/index.ts';
import { VOLATILE_TAGS, type Rule } from './rules.ts';

/**
 * One alert instance per rule and watched thing: agency, agent and the identifying tags. Volatile tags
 * (the probe result, a renewed certificate's names) are left out so a flip from `timeout` to `refused`
 * stays one alert.
 */
export function fingerprintOf(rule: Rule, tags: Record<string, string>): string {
  let key = `${rule.name}\u0000${tags.agency ?? ''}\u0000${tags.agent ?? ''}`;
  if (rule.keyTags) {
    for (const t of rule.keyTags) key += `\u0000${t}=${tags[t] ?? ''}`;
    return key;
  }
  for (const t of Object.keys(tags).sort()) {
    if (t === 'agency' || t === 'agent' || VOLATILE_TAGS.has(t)) continue;
    key += `\u0000${t}=${tags[t]}`;
  }
  return key;
}

export function labelsOf(rule: Rule, sample: Pick<WireSample, 'measurement' | 'tags'> & { fields?: WireSample['fields'] }): Record<string, string> {
  const labels: Record<string, string> = { ...sample.tags, measurement: sample.measurement, rule: rule.name, severity: rule.severity };
  // The bounded string fields the catalogue names for mails (web_finding's url and evidence): labels to
  // quote, never part of the fingerprint above, and never over a tag of the same name.
  for (const f of alertFieldsOf(sample.measurement)) {
    const v = sample.fields?.[f];
    if (typeof v === 'string' && v !== '' && !Object.hasOwn(labels, f)) labels[f] = v;
  }
  return labels;
}
