// One profile file (`NAME.yaml`): a named set of checks and the agencies and agents it is assigned to,
// read and checked for what the collector can judge (shape, bounds, placeholders); check contents are
// judged by each agent with its own validation.
import { createHash } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { checkSchema, ConfigError, FLEET_LIMITS, joinPath, parseYamlText, PROFILE_NAME_PATTERN, type ConfigIssue } from '../../protocol/index.ts';
import { eachString, placeholderIssues } from './template.ts';

const AGENCY_ID = '^[a-z0-9][a-z0-9-]{0,62}$';

const CheckItem = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 64, expected: 'a check type such as http' }),
    name: Type.String({ minLength: 1, maxLength: 128, expected: 'a name of 1 to 128 characters (checks merge with an agent’s own by name)' }),
  },
  { additionalProperties: true },
);

const ProfileSchema = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 500, expected: 'a short text' })),
    agencies: Type.Array(Type.String({ pattern: AGENCY_ID, expected: 'an agency id such as so-y-te' }), { maxItems: 1000, default: [], expected: 'a list of agency ids' }),
    agents: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$', expected: 'an agent id such as pc-so-y-te-3fa2c1' }), { maxItems: 10_000, default: [], expected: 'a list of agent ids' }),
    checks: Type.Array(CheckItem, { maxItems: FLEET_LIMITS.checks, expected: `a list of at most ${FLEET_LIMITS.checks} checks, each with a type and a name` }),
  },
  { additionalProperties: false },
);
export type ProfileDoc = Static<typeof ProfileSchema>;

export interface Profile {
  name: string;
  /** The file's text as written (stored with each version). */
  text: string;
  /** SHA-256 of the text: a new version is recorded when it changes. */
  hash: string;
  doc: ProfileDoc;
}

const NAME = new RegExp(PROFILE_NAME_PATTERN);

export const textHash = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A profile from its text. Throws ConfigError naming `file` and the key; nothing about the checks'
 * own keys beyond type and name (agents judge those with the same code as their local file).
 */
export function parseProfile(name: string, text: string, file: string): Profile {
  if (!NAME.test(name)) throw new ConfigError(file, [{ path: '', message: `expected a file name of lowercase letters, digits and dashes ending in .yaml, such as cap-xa.yaml (the profile's name)` }]);
  if (Buffer.byteLength(text) > FLEET_LIMITS.profileBytes) throw new ConfigError(file, [{ path: '', message: `larger than ${FLEET_LIMITS.profileBytes} bytes` }]);
  const raw = parseYamlText(file, text);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(file, [{ path: '', message: 'expected a mapping with `checks` (and `agencies`, `agents`, `description`)' }]);
  const issues = checkSchema(ProfileSchema, raw);
  if (issues.length > 0) throw new ConfigError(file, issues);
  const doc = raw as ProfileDoc;
  const seen = new Set<string>();
  doc.checks.forEach((c, i) => {
    const at = joinPath('checks', i);
    if (seen.has(c.name)) issues.push({ path: `${at}.name`, message: `"${c.name}" is used twice; every check of a profile needs its own name` });
    seen.add(c.name);
    eachString(c, at, (s, path) => issues.push(...placeholderIssues(s, path)), 0);
    issues.push(...depthIssues(c, at));
  });
  for (const key of ['agencies', 'agents'] as const) {
    const dup = doc[key].find((x, i) => doc[key].indexOf(x) !== i);
    if (dup) issues.push({ path: key, message: `"${dup}" is listed twice` });
  }
  if (issues.length > 0) throw new ConfigError(file, issues);
  return { name, text, hash: textHash(text), doc };
}

function depthIssues(value: unknown, path: string): ConfigIssue[] {
  let deepest = 0;
  const visit = (v: unknown, d: number) => {
    if (v === null || typeof v !== 'object' || d > FLEET_LIMITS.depth + 1) return;
    deepest = Math.max(deepest, d);
    for (const x of Array.isArray(v) ? v : Object.values(v)) visit(x, d + 1);
  };
  visit(value, 1);
  return deepest > FLEET_LIMITS.depth ? [{ path, message: `nested deeper than ${FLEET_LIMITS.depth} levels` }] : [];
}
