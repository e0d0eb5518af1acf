// The collector's per-sample check against the catalogue (names, types, tag and string limits, time
// window); here in the contract so that the agent and the collector agree on what is accepted.
import { catalogue, isMeasurement, COLLECTOR_TAGS, type WireSample } from './catalogue.ts';
import { CHECK_STATUSES, isSecurityCheckId, SEVERITIES } from './security-checks.ts';

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

interface Plan {
  origin?: string;
  tags: Record<string, string>;
  fields: Record<string, { type: string; optional?: boolean }>;
  requiredTags: string[];
  requiredFields: string[];
}

/** What validation needs of each measurement, computed once: validation runs per sample on ingest. */
const plans = new Map<string, Plan>(
  Object.entries(catalogue).map(([name, spec]) => {
    const tags = spec.tags as Record<string, string>;
    const fields = spec.fields as Record<string, { type: string; optional?: boolean }>;
    return [
      name,
      {
        origin: (spec as { origin?: string }).origin,
        tags,
        fields,
        requiredTags: Object.keys(tags).filter((k) => tags[k] === 'required'),
        requiredFields: Object.keys(fields).filter((k) => !fields[k].optional),
      },
    ];
  }),
);

const isCollectorTag = (key: string) => (COLLECTOR_TAGS as readonly string[]).includes(key);
const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Check one sample against the catalogue. Returns the sample normalised (collector tags, empty tags
 * and null fields removed, so that the collector adds its tags from the token) or the first reason it
 * is refused. Never changes its input, but the result may share the input's tag and field objects.
 */
export function validateSample(raw: unknown, opts: { window?: TimeWindow; allowCollector?: boolean } = {}): Validation {
  if (!isPlainObject(raw)) return { ok: false, reason: 'sample must be an object' };
  const { measurement, tags, fields, time } = raw;
  if (typeof measurement !== 'string') return { ok: false, reason: 'measurement must be a string' };
  const plan = isMeasurement(measurement) ? plans.get(measurement) : undefined;
  if (!plan) return { ok: false, reason: `unknown measurement "${clip(measurement)}"` };
  if (plan.origin === 'collector' && !opts.allowCollector) {
    return { ok: false, reason: `measurement "${measurement}" is written by the collector only` };
  }

  if (tags !== undefined && !isPlainObject(tags)) return { ok: false, reason: 'tags must be an object' };
  const tagSpec = plan.tags;
  // Object.keys, not for-in: only own properties count (a payload is JSON, but this takes unknown).
  const tagKeys = tags === undefined ? [] : Object.keys(tags);
  // Most samples arrive normal (no collector tag, no empty value, no null field): then their own tag and
  // field objects are used as they are, which saves the collector two allocations per sample.
  let tagsAsSent = tags !== undefined;
  for (let i = 0; i < tagKeys.length; i++) {
    const key = tagKeys[i];
    const value = (tags as Record<string, unknown>)[key];
    if (isCollectorTag(key)) {
      tagsAsSent = false;
      continue;
    }
    if (!hasOwn(tagSpec, key)) return { ok: false, reason: `${measurement}: unknown tag "${clip(key)}"` };
    if (typeof value !== 'string') return { ok: false, reason: `${measurement}: tag "${key}" must be a string` };
    if (value.length === 0) {
      tagsAsSent = false;
      continue;
    }
    if (value.length > LIMITS.tagValueMaxLength) {
      return { ok: false, reason: `${measurement}: tag "${key}" is longer than ${LIMITS.tagValueMaxLength} characters` };
    }
    if (CONTROL.test(value)) return { ok: false, reason: `${measurement}: tag "${key}" contains a control character` };
    if (value.includes('\\') && UNSTORABLE_BACKSLASH.test(value)) {
      return { ok: false, reason: `${measurement}: tag "${key}" has a backslash at its end or before a space, comma or equals sign, which InfluxDB cannot store` };
    }
  }
  const tagsIn = (tags ?? {}) as Record<string, string>;
  for (const key of plan.requiredTags) {
    if (!hasOwn(tagsIn, key) || tagsIn[key] === '') return { ok: false, reason: `${measurement}: missing tag "${key}"` };
  }
  if (measurement === 'security') {
    const issue = securityTagIssue(tagsIn);
    if (issue) return { ok: false, reason: issue };
  }

  if (!isPlainObject(fields)) return { ok: false, reason: `${measurement}: fields must be an object` };
  let fieldCount = 0;
  const fieldSpec = plan.fields;
  const fieldKeys = Object.keys(fields);
  for (let i = 0; i < fieldKeys.length; i++) {
    const key = fieldKeys[i];
    const value = fields[key];
    const f = hasOwn(fieldSpec, key) ? fieldSpec[key] : undefined;
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
    fieldCount++;
  }
  for (const key of plan.requiredFields) {
    if (fields[key] === null || fields[key] === undefined) return { ok: false, reason: `${measurement}: missing field "${key}"` };
  }
  if (fieldCount === 0) return { ok: false, reason: `${measurement}: no fields` };

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
  // Agents send toISOString() already (24 characters, UTC, milliseconds); only other forms are rewritten.
  const canonical = time.length === 24 && time.charCodeAt(23) === 90 /* Z */ ? time : new Date(ms).toISOString();
  const outTags = tagsAsSent ? tagsIn : pick<string>(tagsIn, tagKeys, (k, v) => !isCollectorTag(k) && v !== '');
  const outFields = fieldCount === fieldKeys.length ? (fields as Record<string, number | string>) : pick<number | string>(fields, fieldKeys, (_, v) => v !== null && v !== undefined);
  return { ok: true, sample: { measurement, tags: outTags, fields: outFields, time: canonical } };
}

const SECURITY_SEVERITIES = new Set<string>(SEVERITIES);
const SECURITY_STATUSES = new Set<string>(CHECK_STATUSES);

/**
 * A `security` sample names a check of the catalogue (protocol/security-checks.ts), a severity and a
 * status from their closed lists: anything else would be a series (and a compliance row) per made-up id.
 */
function securityTagIssue(tags: Record<string, string>): string | undefined {
  if (!isSecurityCheckId(tags.check_id)) return `security: tag "check_id" "${clip(tags.check_id)}" is not a check of the security check catalogue (protocol/security-checks.ts)`;
  if (!SECURITY_SEVERITIES.has(tags.severity)) return `security: tag "severity" must be one of ${SEVERITIES.join(', ')}, got "${clip(tags.severity)}"`;
  if (hasOwn(tags, 'status') && tags.status !== '' && !SECURITY_STATUSES.has(tags.status)) return `security: tag "status" must be one of ${CHECK_STATUSES.join(', ')}, got "${clip(tags.status)}"`;
  return undefined;
}

function pick<V>(from: Record<string, unknown>, keys: string[], keep: (key: string, value: unknown) => boolean): Record<string, V> {
  const out: Record<string, V> = {};
  for (const k of keys) if (keep(k, from[k])) out[k] = from[k] as V;
  return out;
}

function typeName(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

function clip(s: string): string {
  const safe = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return safe.length > 64 ? `${safe.slice(0, 64)}…` : safe;
}
