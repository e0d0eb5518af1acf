import { catalogue, isMeasurement, COLLECTOR_TAGS, type WireSample } from './catalogue.ts';

/** Limits that keep one sample from hurting InfluxDB or a dashboard. */
export const LIMITS = {
  tagValueMaxLength: 256,
  stringFieldMaxLength: 1024,
  samplesPerBatch: 5000,
} as const;

export interface TimeWindow {
  now: number;
  /** Oldest accepted sample age in ms. */
  maxAgeMs: number;
  /** How far in the future a sample may be (clock skew) in ms. */
  maxFutureMs: number;
}

export type Validation = { ok: true; sample: WireSample } | { ok: false; reason: string };

// Control characters (C0, DEL, C1) and the Unicode line/paragraph separators break line protocol and logs.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// InfluxDB 1.x keeps tag backslashes literally, so one at the end or before an escaped separator cannot be written.
const UNSTORABLE_BACKSLASH = /\\$|\\[ ,=]/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Required tag and field names per measurement, computed once (validation runs per sample on ingest). */
const required = new Map<string, { tags: string[]; fields: string[] }>();
function requiredOf(measurement: keyof typeof catalogue): { tags: string[]; fields: string[] } {
  let r = required.get(measurement);
  if (!r) {
    const spec = catalogue[measurement];
    r = {
      tags: Object.entries(spec.tags as Record<string, string>).filter(([, p]) => p === 'required').map(([k]) => k),
      fields: Object.entries(spec.fields as Record<string, { optional?: boolean }>).filter(([, f]) => !f.optional).map(([k]) => k),
    };
    required.set(measurement, r);
  }
  return r;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Check one sample against the catalogue. Returns a normalised copy (collector tags removed,
 * so that the collector adds them from the token) or the first reason it is refused.
 */
export function validateSample(raw: unknown, opts: { window?: TimeWindow; allowCollector?: boolean } = {}): Validation {
  if (!isPlainObject(raw)) return { ok: false, reason: 'sample must be an object' };
  const { measurement, tags, fields, time } = raw;
  if (typeof measurement !== 'string') return { ok: false, reason: 'measurement must be a string' };
  if (!isMeasurement(measurement)) return { ok: false, reason: `unknown measurement "${clip(measurement)}"` };
  const spec = catalogue[measurement];
  if ((spec as { origin?: string }).origin === 'collector' && !opts.allowCollector) {
    return { ok: false, reason: `measurement "${measurement}" is written by the collector only` };
  }

  const outTags: Record<string, string> = {};
  if (tags !== undefined && !isPlainObject(tags)) return { ok: false, reason: 'tags must be an object' };
  const tagSpec = spec.tags as Record<string, string>;
  for (const [key, value] of Object.entries(tags ?? {})) {
    if ((COLLECTOR_TAGS as readonly string[]).includes(key)) continue;
    if (!Object.prototype.hasOwnProperty.call(tagSpec, key)) {
      return { ok: false, reason: `${measurement}: unknown tag "${clip(key)}"` };
    }
    if (typeof value !== 'string') return { ok: false, reason: `${measurement}: tag "${key}" must be a string` };
    if (value.length === 0) continue;
    if (value.length > LIMITS.tagValueMaxLength) {
      return { ok: false, reason: `${measurement}: tag "${key}" is longer than ${LIMITS.tagValueMaxLength} characters` };
    }
    if (CONTROL.test(value)) return { ok: false, reason: `${measurement}: tag "${key}" contains a control character` };
    if (value.includes('\\') && UNSTORABLE_BACKSLASH.test(value)) {
      return { ok: false, reason: `${measurement}: tag "${key}" has a backslash at its end or before a space, comma or equals sign, which InfluxDB cannot store` };
    }
    outTags[key] = value;
  }
  const must = requiredOf(measurement);
  for (const key of must.tags) {
    if (outTags[key] === undefined) return { ok: false, reason: `${measurement}: missing tag "${key}"` };
  }

  if (!isPlainObject(fields)) return { ok: false, reason: `${measurement}: fields must be an object` };
  const outFields: Record<string, number | string> = {};
  const fieldSpec = spec.fields as Record<string, { type: string; optional?: boolean }>;
  for (const [key, value] of Object.entries(fields)) {
    const f = Object.prototype.hasOwnProperty.call(fieldSpec, key) ? fieldSpec[key] : undefined;
    if (!f) return { ok: false, reason: `${measurement}: unknown field "${clip(key)}"` };
    if (value === null || value === undefined) continue;
    if (f.type === 'string') {
      if (typeof value !== 'string') return { ok: false, reason: `${measurement}: field "${key}" must be a string, got ${typeName(value)}` };
      if (value.length > LIMITS.stringFieldMaxLength) {
        return { ok: false, reason: `${measurement}: field "${key}" is longer than ${LIMITS.stringFieldMaxLength} characters` };
      }
      if (CONTROL.test(value)) return { ok: false, reason: `${measurement}: field "${key}" contains a control character` };
    } else {
      if (typeof value !== 'number') return { ok: false, reason: `${measurement}: field "${key}" must be a number, got ${typeName(value)}` };
      if (!Number.isFinite(value)) return { ok: false, reason: `${measurement}: field "${key}" must be finite` };
      if (f.type === 'integer' && !Number.isSafeInteger(value)) {
        return { ok: false, reason: `${measurement}: field "${key}" must be an integer, got ${value}` };
      }
    }
    outFields[key] = value as number | string;
  }
  for (const key of must.fields) {
    if (outFields[key] === undefined) return { ok: false, reason: `${measurement}: missing field "${key}"` };
  }
  if (Object.keys(outFields).length === 0) return { ok: false, reason: `${measurement}: no fields` };

  if (typeof time !== 'string' || !RFC3339.test(time)) {
    return { ok: false, reason: `${measurement}: time must be an RFC 3339 timestamp` };
  }
  const ms = Date.parse(time);
  if (!Number.isFinite(ms)) return { ok: false, reason: `${measurement}: time "${clip(time)}" is not a valid date` };
  if (opts.window) {
    const { now, maxAgeMs, maxFutureMs } = opts.window;
    if (ms < now - maxAgeMs) return { ok: false, reason: `${measurement}: time ${time} is older than the accepted window` };
    if (ms > now + maxFutureMs) return { ok: false, reason: `${measurement}: time ${time} is in the future` };
  }
  return { ok: true, sample: { measurement, tags: outTags, fields: outFields, time: new Date(ms).toISOString() } };
}

function typeName(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

function clip(s: string): string {
  const safe = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return safe.length > 64 ? `${safe.slice(0, 64)}…` : safe;
}
