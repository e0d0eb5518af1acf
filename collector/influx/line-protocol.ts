import { catalogue, isMeasurement, type WireSample } from '../../protocol/index.ts';

// InfluxDB 1.x line protocol escaping, as influxd 1.6 parses it (checked by a round-trip property test):
// in names and tag values only the ASCII space, the comma and (keys, values) the equals sign are
// escaped; a backslash is kept as written, because `\\` is NOT unescaped there. That is why
// validateSample refuses a tag value with a backslash at its end or before one of those three.
// In string fields both the backslash and the double quote are escaped.
// The test before the replace is the hot path's fast exit: almost no value needs escaping.
const NAME_SPECIAL = /[, ]/;
const KEY_SPECIAL = /[,= ]/;
const STRING_SPECIAL = /[\\"]/;
const escapeMeasurement = (s: string) => (NAME_SPECIAL.test(s) ? s.replace(/[, ]/g, '\\$&') : s);
const escapeKey = (s: string) => (KEY_SPECIAL.test(s) ? s.replace(/[,= ]/g, '\\$&') : s);
const escapeString = (s: string) => (STRING_SPECIAL.test(s) ? s.replace(/[\\"]/g, '\\$&') : s);

/** One validated sample as one line; field types come from the catalogue so they never change. */
export function toLine(sample: WireSample): string {
  const spec = isMeasurement(sample.measurement) ? catalogue[sample.measurement] : undefined;
  const fieldSpec = (spec?.fields ?? {}) as Record<string, { type: string }>;
  let line = escapeMeasurement(sample.measurement);
  for (const key of Object.keys(sample.tags).sort()) {
    const value = sample.tags[key];
    if (value === '') continue;
    line += `,${escapeKey(key)}=${escapeKey(value)}`;
  }
  let sep = ' ';
  for (const key in sample.fields) {
    const value = sample.fields[key];
    const type = fieldSpec[key]?.type ?? (typeof value === 'string' ? 'string' : 'float');
    line += sep + escapeKey(key);
    sep = ',';
    if (type === 'string') line += `="${escapeString(String(value))}"`;
    else if (type === 'integer') line += `=${Math.trunc(value as number)}i`;
    else line += `=${formatFloat(value as number)}`;
  }
  return `${line} ${Date.parse(sample.time)}`;
}

function formatFloat(v: number): string {
  // Exponent notation is accepted by InfluxDB; keep integers plain (no `i`, so the field stays float).
  return String(v);
}

export function toLines(samples: WireSample[]): string {
  return samples.map(toLine).join('\n');
}
