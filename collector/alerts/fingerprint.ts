// What makes two samples the same alert: the key of one alert instance and the labels it carries.
import type { WireSample } from '../../protocol/index.ts';
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

export function labelsOf(rule: Rule, sample: Pick<WireSample, 'measurement' | 'tags'>): Record<string, string> {
  return { ...sample.tags, measurement: sample.measurement, rule: rule.name, severity: rule.severity };
}
