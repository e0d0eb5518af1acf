// Which interfaces of a device the snmp_interfaces check reports: name patterns (* and ?) and
// interface types, with WAN links always kept; interface names made safe as tag values.
import { DEFAULT_EXCLUDE_TYPES, ifTypeOf, type SnmpInterfacesConfig } from './spec.ts';

/**
 * `*` any run of characters, `?` one character, case-insensitive. A linear scan that remembers the
 * last star (no regular expression, so a device's names cannot make it slow: at most name × pattern steps).
 */
export function globMatch(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  let pi = 0;
  let ti = 0;
  let star = -1;
  let mark = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = ti;
    } else if (star >= 0) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

export interface InterfaceFilter {
  keep(name: string, type: number | undefined, wan: boolean): boolean;
}

export function interfaceFilter(config: SnmpInterfacesConfig): InterfaceFilter {
  const include = config.include ?? [];
  const exclude = config.exclude ?? [];
  const includeTypes = config.includeTypes ? new Set(config.includeTypes.map((t) => ifTypeOf(t)!)) : undefined;
  const excludeTypes = new Set((config.excludeTypes ?? DEFAULT_EXCLUDE_TYPES).map((t) => ifTypeOf(t)!));
  return {
    keep(name, type, wan) {
      if (wan) return true;
      if (include.length > 0 && !include.some((p) => globMatch(p, name))) return false;
      if (exclude.some((p) => globMatch(p, name))) return false;
      if (type !== undefined && includeTypes && !includeTypes.has(type)) return false;
      if (type !== undefined && !includeTypes && excludeTypes.has(type)) return false;
      return true;
    },
  };
}

/**
 * An interface name as a tag value: at most 64 characters, no backslash (InfluxDB 1.x cannot store one
 * before a space, comma or equals sign, or at the end), control characters already gone.
 */
export function tagSafe(name: string): string {
  return name.replace(/\\/g, '/').slice(0, 64).trim() || '?';
}
