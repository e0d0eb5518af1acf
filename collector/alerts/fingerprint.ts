// What makes two samples the same alert: the key of one alert instance and the labels it carries.
import { alertFieldsOf, type WireSample } from '../../protocol/index.ts';
import { VOLATILE_TAGS, type Rule } from './rules.ts';

/**
 * Between a fingerprint's parts: a control character, which no tag or field value can hold (ingest refuses
 * them), so two different things never share a key. Not NUL, which PostgreSQL's text cannot store
 * (states from before keep theirs rewritten by a schema step: collector/state/db.ts).
 */
export const FINGERPRINT_SEPARATOR = '\u001f';

/**
 * One alert instance per rule and watched thing: agency, agent and the identifying tags. Volatile tags
 * (the probe result, a renewed certificate's names) are left out so a flip from `timeout` to `refused`
 * stays one alert.
 */
export function fingerprintOf(rule: Rule, tags: Record<string, string>, sample?: Pick<WireSample, 'measurement' | 'fields'>): string {
  let key = `${rule.name}${FINGERPRINT_SEPARATOR}${tags.agency ?? ''}${FINGERPRINT_SEPARATOR}${tags.agent ?? ''}`;
  if (rule.keyTags) {
    // A keyTag may name one of the measurement's alert fields (auth_finding's source): one alert per value.
    for (const t of rule.keyTags) key += `${FINGERPRINT_SEPARATOR}${t}=${tags[t] ?? alertFieldValue(sample, t) ?? ''}`;
    return key;
  }
  for (const t of Object.keys(tags).sort()) {
    if (t === 'agency' || t === 'agent' || VOLATILE_TAGS.has(t)) continue;
    key += `${FINGERPRINT_SEPARATOR}${t}=${tags[t]}`;
  }
  return key;
}

function alertFieldValue(sample: Pick<WireSample, 'measurement' | 'fields'> | undefined, name: string): string | undefined {
  if (!sample || !alertFieldsOf(sample.measurement).includes(name)) return undefined;
  const v = sample.fields[name];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

export function labelsOf(rule: Rule, sample: Pick<WireSample, 'measurement' | 'tags'> & { fields?: WireSample['fields'] }): Record<string, string> {
  const labels: Record<string, string> = { ...sample.tags, measurement: sample.measurement, rule: rule.name, severity: rule.severity };
  // The bounded fields the catalogue names for mails (web_finding's url and evidence, auth_finding's source):
  // labels to quote (numbers as text), in the fingerprint above only through a rule's keyTags, and never
  // over a tag of the same name.
  for (const f of alertFieldsOf(sample.measurement)) {
    const v = sample.fields?.[f];
    const text = typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
    if (typeof text === 'string' && text !== '' && !Object.hasOwn(labels, f)) labels[f] = text;
  }
  return labels;
}
