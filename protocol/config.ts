// Shared by agent and collector: one way to read a YAML config and to say what is wrong with it.
// Every message names the file, the key path and what was expected; the CLIs then exit 2.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { formatDuration, parseDuration } from './duration.ts';

export interface ConfigIssue {
  path: string;
  message: string;
}

export class ConfigError extends Error {
  readonly file: string;
  readonly issues: ConfigIssue[];
  constructor(file: string, issues: ConfigIssue[]) {
    super(issues.map((i) => `${file}: ${i.path ? `${i.path}: ` : ''}${i.message}`).join('\n'));
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

/** Exit code for a configuration error: nothing was started. */
export const EXIT_CONFIG = 2;

export function readYamlFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [{ path: '', message: code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(err)})` }]);
  }
  return parseYamlText(file, text);
}

export function parseYamlText(file: string, text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    throw new ConfigError(file, [
      { path: pos ? `line ${pos.line} column ${pos.col}` : '', message: `invalid YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}` },
    ]);
  }
  return doc.toJS() ?? {};
}

/** `/checks/1/interval` → `checks[1].interval` */
export function keyPath(pointer: string): string {
  if (pointer === '' || pointer === '/') return '';
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out;
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${String(v)}`;
}

function valueAt(root: unknown, pointer: string): unknown {
  let cur: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function schemaAt(root: TSchema, schemaPath: string): TSchema | undefined {
  let cur: unknown = root;
  for (const raw of schemaPath.replace(/^#/, '').split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur as TSchema | undefined;
}

/** What a schema accepts, in words; a schema may say it itself with `expected`. */
export function expectedOf(schema: TSchema | undefined): string {
  if (!schema) return 'a valid value';
  const s = schema as Record<string, unknown>;
  if (typeof s.expected === 'string') return s.expected;
  if (Array.isArray(s.anyOf)) {
    const consts = (s.anyOf as Record<string, unknown>[]).map((x) => x.const);
    if (consts.every((c) => c !== undefined)) return `one of ${consts.map((c) => JSON.stringify(c)).join(', ')}`;
    return (s.anyOf as TSchema[]).map(expectedOf).join(' or ');
  }
  if (s.const !== undefined) return JSON.stringify(s.const);
  switch (s.type) {
    case 'string': {
      const parts = ['a string'];
      if (typeof s.minLength === 'number' && s.minLength > 0) parts.push(`of at least ${s.minLength} characters`);
      if (typeof s.maxLength === 'number') parts.push(`of at most ${s.maxLength} characters`);
      return parts.join(' ');
    }
    case 'integer':
    case 'number': {
      const kind = s.type === 'integer' ? 'a whole number' : 'a number';
      if (typeof s.minimum === 'number' && typeof s.maximum === 'number') return `${kind} from ${s.minimum} to ${s.maximum}`;
      if (typeof s.minimum === 'number') return `${kind} of at least ${s.minimum}`;
      if (typeof s.maximum === 'number') return `${kind} of at most ${s.maximum}`;
      return kind;
    }
    case 'boolean':
      return 'true or false';
    case 'array': {
      const min = typeof s.minItems === 'number' && s.minItems > 0 ? ` with at least ${s.minItems} item${s.minItems > 1 ? 's' : ''}` : '';
      return `a list${min}`;
    }
    case 'object':
      return 'a mapping';
    default:
      return 'a valid value';
  }
}

/**
 * Validate `value` against `schema`, filling defaults in place, and turn TypeBox's errors into
 * one issue per key path with the words a person needs. `base` prefixes every path.
 */
export function checkSchema(schema: TSchema, value: unknown, base = ''): ConfigIssue[] {
  Value.Default(schema, value);
  const issues = new Map<string, ConfigIssue>();
  const errors = [...Value.Errors(schema, value)];
  for (const err of errors) {
    if (err.keyword === 'boolean') continue; // reported by the additionalProperties error of its parent
    const at = keyPath(err.instancePath);
    const params = err.params as Record<string, unknown>;
    if (err.keyword === 'additionalProperties') {
      const parent = schemaAt(schema, err.schemaPath) as Record<string, unknown> | undefined;
      const allowed = parent && parent.properties ? Object.keys(parent.properties as object) : [];
      for (const key of (params.additionalProperties as string[]) ?? []) {
        const path = prefix(base, at === '' ? key : `${at}.${key}`);
        issues.set(path, { path, message: `unknown key${allowed.length ? ` (known keys: ${allowed.join(', ')})` : ''}` });
      }
      continue;
    }
    if (err.keyword === 'required') {
      for (const key of (params.requiredProperties as string[]) ?? (params.missingProperty ? [params.missingProperty as string] : [])) {
        const path = prefix(base, at === '' ? key : `${at}.${key}`);
        const parent = schemaAt(schema, err.schemaPath) as Record<string, unknown> | undefined;
        const sub = (parent?.properties as Record<string, TSchema> | undefined)?.[key];
        issues.set(path, { path, message: `missing; expected ${expectedOf(sub)}` });
      }
      continue;
    }
    const path = prefix(base, at);
    // anyOf reports each branch and then itself: keep the summary from the anyOf schema.
    if (issues.has(path) && err.keyword !== 'anyOf') continue;
    const sub = schemaAt(schema, err.schemaPath);
    if (err.keyword === 'minItems') {
      const n = params.limit as number;
      issues.set(path, { path, message: `needs at least ${n} item${n === 1 ? '' : 's'}: expected ${expectedOf(sub)}, got an empty list` });
      continue;
    }
    issues.set(path, { path, message: `expected ${expectedOf(sub)}, got ${describeValue(valueAt(value, err.instancePath))}` });
  }
  return [...issues.values()];
}

function prefix(base: string, path: string): string {
  if (base === '') return path;
  if (path === '') return base;
  return path.startsWith('[') ? `${base}${path}` : `${base}.${path}`;
}

/** A duration key: the issue to report, or the value in ms. */
/** A bound as people write it: 62d rather than 5356800s; short ones in seconds (0.2s, 1s). */
function boundText(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? formatDuration(ms) : `${ms / 1000}s`;
}

export function durationIssue(value: unknown, path: string, opts: { minMs?: number; maxMs?: number } = {}): ConfigIssue | undefined {
  const ms = typeof value === 'string' ? parseDuration(value) : undefined;
  if (ms === undefined) return { path, message: `expected a duration such as 30s, 5m or 1h, got ${describeValue(value)}` };
  if (opts.minMs !== undefined && ms < opts.minMs) return { path, message: `must be at least ${boundText(opts.minMs)}, got ${describeValue(value)}` };
  if (opts.maxMs !== undefined && ms > opts.maxMs) return { path, message: `must be at most ${boundText(opts.maxMs)}, got ${describeValue(value)}` };
  return undefined;
}
