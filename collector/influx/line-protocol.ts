import { catalogue, isMeasurement, type WireSample } from '../../protocol/index.ts';

// InfluxDB 1.x line protocol escaping, as influxd 1.6 parses it (checked by a round-trip property test):
// in names and tag values only the ASCII space, the comma and (keys, values) the equals sign are
// escaped; a backslash is kept as written, because `\\` is NOT unescaped there. That is why
// validateSample refuses a tag value with a backslash at its end or before one of those three.
// In string fields both the backslash and the double quote are escaped.
const escapeMeasurement = (s: string) => s.replace(/[, ]/g, (c) => `\\${c}`);
const escapeKey = (s: string) => s.replace(/[,= ]/g, (c) => `\\${c}`);
const escapeString = (s: string) => s.replace(/[\\"]/g, (c) => `\\${c}`);

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
  const fields: string[] = [];
  for (const [key, value] of Object.entries(sample.fields)) {
    const type = fieldSpec[key]?.type ?? (typeof value === 'string' ? 'string' : 'float');
    if (type === 'string') fields.push(`${escapeKey(key)}="${escapeString(String(value))}"`);
    else if (type === 'integer') fields.push(`${escapeKey(key)}=${Math.trunc(value as number)}i`);
    else fields.push(`${escapeKey(key)}=${formatFloat(value as number)}`);
  }
  return `${line} ${fields.join(',')} ${Date.parse(sample.time)}`;
}

function formatFloat(v: number): string {
  // Exponent notation is accepted by InfluxDB; keep integers plain (no `i`, so the field stays float).
  return String(v);
}

export function toLines(samples: WireSample[]): string {
  return samples.map(toLine).join('\n');
}
