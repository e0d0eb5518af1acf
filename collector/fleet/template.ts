// Fills a profile's ${agency.NAME} placeholders with one agency's variables: text substitution in string
// values only, no expressions, an unknown variable an error; `$${` writes a literal `${`.
import { FLEET_LIMITS, joinPath, type ConfigIssue } from '../../protocol/index.ts';

/** One agency's variables: its id and name, then its `vars`. */
export type Vars = Readonly<Record<string, string>>;

const PLACEHOLDER = /\$\$\{|\$\{([^}]*)(\})?/g;
const VARIABLE = /^agency\.([A-Za-z][A-Za-z0-9_]{0,63})$/;

/** The placeholders of a text, whatever the agency: syntax errors only (used once per profile). */
export function placeholderIssues(text: string, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m[0] === '$${') continue;
    if (!m[2]) issues.push({ path, message: `"\${" is not closed; write \${agency.NAME}, or $\${ for a literal \${` });
    else if (!VARIABLE.test(m[1])) issues.push({ path, message: `"\${${m[1]}}" is not a variable: expected \${agency.NAME} (no expressions); $\${ writes a literal \${` });
  }
  return issues;
}

function fillText(text: string, vars: Vars, agency: string, path: string, issues: ConfigIssue[]): string {
  const out = text.replace(PLACEHOLDER, (whole, inner: string | undefined, close: string | undefined) => {
    if (whole === '$${') return '${';
    const m = close ? VARIABLE.exec(inner ?? '') : null;
    if (!m) return whole; // reported by placeholderIssues
    if (!Object.hasOwn(vars, m[1])) {
      issues.push({ path, message: `unknown variable \${agency.${m[1]}} for agency ${agency} (it has: ${Object.keys(vars).join(', ')}); add it to agencies[].vars in the collector config` });
      return whole;
    }
    return vars[m[1]];
  });
  if (out.length > FLEET_LIMITS.stringLength) issues.push({ path, message: `longer than ${FLEET_LIMITS.stringLength} characters once its variables are filled in` });
  return out;
}

/** A copy of `value` with every string's placeholders filled for `agency`; keys are never templated. */
export function fillVariables(value: unknown, vars: Vars, agency: string, path: string, issues: ConfigIssue[], depth = 0): unknown {
  if (typeof value === 'string') return fillText(value, vars, agency, path, issues);
  if (value === null || typeof value !== 'object') return value;
  if (depth > FLEET_LIMITS.depth) {
    issues.push({ path, message: `nested deeper than ${FLEET_LIMITS.depth} levels` });
    return null;
  }
  if (Array.isArray(value)) return value.map((v, i) => fillVariables(v, vars, agency, joinPath(path, i), issues, depth + 1));
  const out: Record<string, unknown> = {};
  // defineProperty: a key spelt `__proto__` stays a plain key instead of replacing the prototype.
  for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: fillVariables(v, vars, agency, joinPath(path, k), issues, depth + 1), enumerable: true, writable: true, configurable: true });
  return out;
}

/** Every string of a value, with its path (for placeholderIssues). */
export function eachString(value: unknown, path: string, fn: (s: string, path: string) => void, depth = 0): void {
  if (typeof value === 'string') return fn(value, path);
  if (value === null || typeof value !== 'object' || depth > FLEET_LIMITS.depth) return;
  if (Array.isArray(value)) value.forEach((v, i) => eachString(v, joinPath(path, i), fn, depth + 1));
  else for (const [k, v] of Object.entries(value)) eachString(v, joinPath(path, k), fn, depth + 1);
}
