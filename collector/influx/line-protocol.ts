// Accepted samples as InfluxDB 1.x line protocol, on the hot path of every stored sample; field types
// come from the catalogue so that a field's type never changes in InfluxDB.
import { catalogue, COLLECTOR_TAGS, isMeasurement, type WireSample } from '../../protocol/index.ts';

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

interface LinePlan {
  /** Catalogue tags and the collector's, sorted as InfluxDB wants them, with their `,key=` prefix. */
  tags: { key: string; prefix: string }[];
  fields: Record<string, { type: string; prefix: string }>;
}

/** Per measurement, computed once: toLine runs for every sample the collector stores. */
const plans = new Map<string, LinePlan>(
  Object.entries(catalogue).map(([name, spec]) => [
    name,
    {
      tags: [...Object.keys(spec.tags), ...COLLECTOR_TAGS].sort().map((key) => ({ key, prefix: `,${escapeKey(key)}=` })),
      fields: Object.fromEntries(Object.entries(spec.fields as Record<string, { type: string }>).map(([key, f]) => [key, { type: f.type, prefix: `${escapeKey(key)}=` }])),
    },
  ]),
);

/** One validated sample as one line; field types come from the catalogue so they never change. */
export function toLine(sample: WireSample): string {
  const plan = isMeasurement(sample.measurement) ? plans.get(sample.measurement) : undefined;
  let line = escapeMeasurement(sample.measurement);
  const tags = sample.tags;
  let seen = 0;
  if (plan) {
    for (const t of plan.tags) {
      const value = tags[t.key];
      if (value === undefined) continue;
      seen++;
      if (value !== '') line += t.prefix + escapeKey(value);
    }
  }
  // A tag the catalogue does not know (never after validation) is still written, not silently dropped.
  if (!plan || seen !== Object.keys(tags).length) line = escapeMeasurement(sample.measurement) + sortedTags(tags);
  let sep = ' ';
  const fields = sample.fields;
  for (const key in fields) {
    const value = fields[key];
    const f = plan?.fields[key];
    const type = f?.type ?? (typeof value === 'string' ? 'string' : 'float');
    line += sep + (f ? f.prefix : `${escapeKey(key)}=`);
    sep = ',';
    if (type === 'string') line += `"${escapeString(String(value))}"`;
    else if (type === 'integer') line += `${Math.trunc(value as number)}i`;
    else line += formatFloat(value as number);
  }
  return `${line} ${Date.parse(sample.time)}`;
}

function sortedTags(tags: Record<string, string>): string {
  let out = '';
  for (const key of Object.keys(tags).sort()) {
    const value = tags[key];
    if (value !== '') out += `,${escapeKey(key)}=${escapeKey(value)}`;
  }
  return out;
}

function formatFloat(v: number): string {
  // Exponent notation is accepted by InfluxDB; keep integers plain (no `i`, so the field stays float).
  return String(v);
}

/** join, not +=: it returns one flat string instead of a tree of thousands of pieces that the GC must copy while a write waits. */
export function toLines(samples: WireSample[]): string {
  return samples.map(toLine).join('\n');
}
