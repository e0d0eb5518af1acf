/**
 * Label matchers shared by rules and silences. A matcher map is `{ label: pattern }` where pattern is
 * an exact value, `!value` (anything but), or `~regex` (the whole value must match).
 *
 * Regular expressions use RE2 syntax and run on `re2js`, a linear-time engine: no look-around and no
 * back-references, and no pattern can make a match take longer than its input's length allows (a
 * silence such as `target=~(a+)+` costs the same as `target=~a+`). Every path that takes matchers (the
 * operator API, the console, the CLI, the rules file) goes through `parseMatchers`, which is also the
 * only way to compile them.
 */
import { RE2JS } from 're2js';

export type MatcherMap = Record<string, string>;

export interface Matcher {
  label: string;
  test(value: string | undefined): boolean;
}

/** A label is a tag name (snake_case) or one the collector adds: agency, agent, rule, severity, measurement. */
export const MATCHER_LABEL = /^[a-z_][a-z0-9_]{0,63}$/;
export const MAX_MATCHERS = 20;
export const MAX_PATTERN_LENGTH = 500;

export interface MatcherProblem {
  /** The label the problem is about; absent when it is about the whole map. */
  label?: string;
  message: string;
}

export type ParsedMatchers = { ok: true; matchers: Matcher[] } | { ok: false; problems: MatcherProblem[] };

function compileOne(label: string, pattern: string): Matcher | string {
  if (pattern.length > MAX_PATTERN_LENGTH) return `a pattern has at most ${MAX_PATTERN_LENGTH} characters (got ${pattern.length})`;
  if (pattern.startsWith('~')) {
    let re: RE2JS;
    try {
      re = RE2JS.compile(pattern.slice(1));
    } catch (err) {
      const why = (err as Error).message.replace(/^error parsing regexp: /, '');
      return `invalid regular expression ${JSON.stringify(pattern)}: ${why} (RE2 syntax: no look-around or back-references)`;
    }
    // matches(): the whole value, as the anchored ^(?:...)$ of before.
    return { label, test: (v) => re.matches(v ?? '') };
  }
  if (pattern.startsWith('!')) {
    const not = pattern.slice(1);
    return { label, test: (v) => (v ?? '') !== not };
  }
  return { label, test: (v) => v === pattern };
}

/**
 * The one check and compilation of a matcher map, from any source (a request body, a form, a command
 * line, a rules file, a database row written by an older version). `requireOne`: a silence must match
 * something; a rule may have no matchers.
 */
export function parseMatchers(map: unknown, opts: { requireOne?: boolean } = {}): ParsedMatchers {
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return { ok: false, problems: [{ message: 'expected a mapping of label: pattern' }] };
  const entries = Object.entries(map as Record<string, unknown>);
  const problems: MatcherProblem[] = [];
  if (opts.requireOne && entries.length === 0) problems.push({ message: 'at least one matcher, such as agency: so-y-te' });
  if (entries.length > MAX_MATCHERS) problems.push({ message: `at most ${MAX_MATCHERS} matchers (got ${entries.length})` });
  const matchers: Matcher[] = [];
  for (const [label, pattern] of entries) {
    if (!MATCHER_LABEL.test(label)) {
      problems.push({ label, message: 'a label is a snake_case tag name such as target or agency' });
      continue;
    }
    if (typeof pattern !== 'string') {
      problems.push({ label, message: 'expected a text: a value, !value or ~regex' });
      continue;
    }
    const m = compileOne(label, pattern);
    if (typeof m === 'string') problems.push({ label, message: m });
    else matchers.push(m);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, matchers };
}

/** `label: message` of each problem, one string (API answers, CLI errors, log lines). */
export function describeProblems(problems: MatcherProblem[], prefix = 'matchers'): string {
  return problems.map((p) => `${p.label === undefined ? prefix : `${prefix}.${p.label}`}: ${p.message}`).join('; ');
}

/** Compile matchers already known to be valid (a rule that passed its config check); throws otherwise. */
export function compileMatchers(map: MatcherMap | undefined): Matcher[] {
  const parsed = parseMatchers(map ?? {});
  if (!parsed.ok) throw new Error(describeProblems(parsed.problems));
  return parsed.matchers;
}

export function matchesAll(matchers: Matcher[], labels: Record<string, string | undefined>): boolean {
  // Own labels only: a matcher on `constructor` or `__proto__` sees no label, not Object's.
  for (const m of matchers) if (!m.test(Object.hasOwn(labels, m.label) ? labels[m.label] : undefined)) return false;
  return true;
}
