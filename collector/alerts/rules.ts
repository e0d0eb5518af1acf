// Alert rules: their YAML schema, merging a rules file over the built-in set, and the condition a
// threshold rule tests against a sample.
import { Type } from 'typebox';
import { checkSchema, durationIssue, isMeasurement, joinPath, parseDuration, catalogue, type ConfigIssue } from '../../protocol/index.ts';
import { parseMatchers, type Matcher, type MatcherMap } from './matchers.ts';

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/**
 * `increase`: the value rose by more than `threshold` since the previous sample (counters).
 * `decrease`: the value is more than `threshold` below where it stood before the drop began (scores).
 * `between`: lo <= value < hi.
 */
export const OPS = ['>', '>=', '<', '<=', '==', '!=', 'between', 'increase', 'decrease'] as const;
export type Op = (typeof OPS)[number];

export interface Text {
  vi: string;
  en: string;
}

export interface Rule {
  name: string;
  /** `threshold` rules judge samples; `absent` rules fire when an agent stops sending. */
  kind: 'threshold' | 'absent';
  measurements: string[];
  field: string;
  matchers: MatcherMap;
  compiled: Matcher[];
  op: Op;
  threshold: number | [number, number];
  forMs: number;
  resolveAfterMs: number;
  severity: Severity;
  summary: Text;
  description: Text;
  /** Tags (or alert fields of the measurement) that tell one alert instance from another; default: every tag but the volatile ones. */
  keyTags?: string[];
  sendResolved: boolean;
  /** Grafana dashboard uid linked from mails. */
  dashboard?: string;
  /** absent rules: silent for this many of the agent's intervals. */
  missedIntervals: number;
}

/**
 * A closed set of words as a pattern rather than a union of literals, so a wrong value is reported
 * with the whole list (a union is reported branch by branch).
 */
export function oneOf(values: readonly string[]) {
  const escaped = values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return Type.String({ pattern: `^(?:${escaped.join('|')})$`, expected: `one of ${values.join(' ')}` });
}

const TextSchema = Type.Object(
  { vi: Type.String({ minLength: 1, maxLength: 500 }), en: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false, expected: 'a mapping with vi and en texts' },
);

/** A rule as written in YAML. Everything but `name` is optional so a rule file can tune a built-in rule. */
export const RuleSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9_]{1,64}$', expected: 'a snake_case rule name such as target_down' }),
    disabled: Type.Optional(Type.Boolean()),
    kind: Type.Optional(Type.Union([Type.Literal('threshold'), Type.Literal('absent')])),
    measurement: Type.Optional(
      Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], { expected: 'a measurement name or a list of them' }),
    ),
    field: Type.Optional(Type.String({ minLength: 1 })),
    matchers: Type.Optional(Type.Record(Type.String(), Type.String(), { expected: 'a mapping of tag: value (prefix ! for not, ~ for a regular expression)' })),
    op: Type.Optional(oneOf(OPS)),
    threshold: Type.Optional(Type.Union([Type.Number(), Type.Array(Type.Number(), { minItems: 2, maxItems: 2 })], { expected: 'a number, or [low, high] for between' })),
    for: Type.Optional(Type.String({ expected: 'a duration such as 2m' })),
    resolveAfter: Type.Optional(Type.String({ expected: 'a duration such as 1m' })),
    severity: Type.Optional(oneOf(SEVERITIES)),
    summary: Type.Optional(TextSchema),
    description: Type.Optional(TextSchema),
    keyTags: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    sendResolved: Type.Optional(Type.Boolean()),
    dashboard: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    missedIntervals: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  { additionalProperties: false },
);
/** A rule as written in YAML (checked by RuleSchema). */
export interface RuleSpec {
  name: string;
  disabled?: boolean;
  kind?: 'threshold' | 'absent';
  measurement?: string | string[];
  field?: string;
  matchers?: MatcherMap;
  op?: Op;
  threshold?: number | [number, number];
  for?: string;
  resolveAfter?: string;
  severity?: Severity;
  summary?: Text;
  description?: Text;
  keyTags?: string[];
  sendResolved?: boolean;
  dashboard?: string;
  missedIntervals?: number;
}

export const RulesSchema = Type.Array(RuleSchema, { expected: 'a list of rules' });

/** Tags whose value changes without the watched thing changing (the probe result, a renewed certificate). */
export const VOLATILE_TAGS = new Set(['result', 'status', 'version', 'subject_cn', 'issuer_cn']);

/**
 * Merge rule layers in order (built-in, rules file, inline): a rule with a known name overrides it
 * key by key, `disabled: true` drops it. Every resulting rule is checked; issues name the layer's path.
 */
export function buildRules(layers: { specs: RuleSpec[]; base: string }[]): { rules: Rule[]; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const merged = new Map<string, { spec: RuleSpec; path: string }>();
  for (const { specs, base } of layers) {
    const seen = new Set<string>();
    specs.forEach((spec, i) => {
      const path = joinPath(base, i);
      if (seen.has(spec.name)) issues.push({ path: `${path}.name`, message: `duplicate rule name "${spec.name}"` });
      seen.add(spec.name);
      const prior = merged.get(spec.name);
      merged.set(spec.name, { spec: prior ? { ...prior.spec, ...spec } : spec, path });
    });
  }
  const rules: Rule[] = [];
  for (const { spec, path } of merged.values()) {
    if (spec.disabled) continue;
    const rule = compileRule(spec, path, issues);
    if (rule) rules.push(rule);
  }
  return { rules, issues };
}

function compileRule(spec: RuleSpec, path: string, issues: ConfigIssue[]): Rule | undefined {
  const before = issues.length;
  const need = <K extends keyof RuleSpec>(key: K, what: string) => {
    if (spec[key] === undefined) issues.push({ path: joinPath(path, key), message: `missing; expected ${what}` });
  };
  const kind = spec.kind ?? 'threshold';
  need('severity', 'one of info warning critical');
  need('summary', 'a mapping with vi and en texts');
  const measurements = spec.measurement === undefined ? [] : Array.isArray(spec.measurement) ? spec.measurement : [spec.measurement];
  if (kind === 'threshold') {
    need('measurement', 'a measurement name or a list of them');
    need('field', 'the field to watch, such as up');
    need('op', `one of ${OPS.join(' ')}`);
    need('threshold', 'a number');
    measurements.forEach((m, i) => {
      const at = Array.isArray(spec.measurement) ? joinPath(joinPath(path, 'measurement'), i) : joinPath(path, 'measurement');
      if (!isMeasurement(m)) {
        issues.push({ path: at, message: `unknown measurement "${m}" (known: ${Object.keys(catalogue).join(', ')})` });
        return;
      }
      const fields = catalogue[m].fields as Record<string, { type: string }>;
      if (spec.field !== undefined && !fields[spec.field]) {
        issues.push({ path: joinPath(path, 'field'), message: `measurement "${m}" has no field "${spec.field}" (fields: ${Object.keys(fields).join(', ')})` });
      } else if (spec.field !== undefined && fields[spec.field].type === 'string') {
        issues.push({ path: joinPath(path, 'field'), message: `field "${spec.field}" of "${m}" is text; a rule needs a numeric field` });
      }
    });
    const between = spec.op === 'between';
    if (spec.threshold !== undefined && between !== Array.isArray(spec.threshold)) {
      issues.push({ path: joinPath(path, 'threshold'), message: between ? 'op between needs [low, high]' : `op ${spec.op} needs a single number` });
    }
  }
  const parsed = parseMatchers(spec.matchers ?? {});
  if (!parsed.ok) {
    for (const p of parsed.problems) issues.push({ path: p.label === undefined ? joinPath(path, 'matchers') : joinPath(joinPath(path, 'matchers'), p.label), message: p.message });
  }
  const durations: Record<string, number> = {};
  for (const key of ['for', 'resolveAfter'] as const) {
    const value = spec[key] ?? '0s';
    const issue = durationIssue(value, joinPath(path, key), { maxMs: 30 * 86_400_000 });
    if (issue) issues.push(issue);
    else durations[key] = parseDuration(value)!;
  }
  if (issues.length > before) return undefined;
  return {
    name: spec.name,
    kind,
    measurements,
    field: spec.field ?? '',
    matchers: spec.matchers ?? {},
    compiled: parsed.ok ? parsed.matchers : [],
    op: spec.op ?? '==',
    threshold: spec.threshold ?? 0,
    forMs: durations.for,
    resolveAfterMs: durations.resolveAfter,
    severity: spec.severity!,
    summary: spec.summary!,
    description: spec.description ?? spec.summary!,
    keyTags: spec.keyTags,
    sendResolved: spec.sendResolved ?? true,
    dashboard: spec.dashboard,
    missedIntervals: spec.missedIntervals ?? 3,
  };
}

/** Is the condition of a threshold rule true? `previous`/`baseline` serve increase and decrease. */
/** Undefined when increase/decrease have no history yet. */
export function conditionHolds(rule: Rule, value: number, previous: number | undefined, baseline: number | undefined): boolean | undefined {
  const t = rule.threshold;
  switch (rule.op) {
    case '>':
      return value > (t as number);
    case '>=':
      return value >= (t as number);
    case '<':
      return value < (t as number);
    case '<=':
      return value <= (t as number);
    case '==':
      return value === t;
    case '!=':
      return value !== t;
    case 'between':
      return value >= (t as [number, number])[0] && value < (t as [number, number])[1];
    case 'increase':
      return previous === undefined ? undefined : value - previous > (t as number);
    case 'decrease':
      return baseline === undefined ? undefined : baseline - value > (t as number);
  }
}

export function checkRulesDocument(doc: unknown, base: string): ConfigIssue[] {
  return checkSchema(RulesSchema, doc, base);
}
