// The profile directory as a whole: every `NAME.yaml` read within bounds, and the checks across files
// (an agency or agent assigned once, known agencies and agents, every placeholder defined for them).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, FLEET_LIMITS, joinPath, type ConfigIssue } from '../../protocol/index.ts';
import type { Agency } from '../config.ts';
import { parseProfile, type Profile } from './profile-file.ts';
import { fillVariables, type Vars } from './template.ts';

/** Several files' errors at once, each line naming its own file (`canhgac-collector config check`). */
export class ProfileErrors extends ConfigError {
  readonly errors: ConfigError[];
  constructor(errors: ConfigError[]) {
    super(errors[0].file, errors.flatMap((e) => e.issues));
    this.errors = errors;
    this.message = errors.map((e) => e.message).join('\n');
  }
}

export const profileFile = (dir: string, name: string) => join(dir, `${name}.yaml`);

/** The variables of an agency: its id and name, then its `vars`. */
export function varsOf(agency: Pick<Agency, 'id' | 'name' | 'vars'>): Vars {
  return { ...agency.vars, id: agency.id, name: agency.name };
}

/**
 * Every profile file of `dir` (`*.yaml`; other files and hidden ones are ignored, so a README or
 * `.git` may sit beside them). A directory that does not exist holds no profiles. `replace` stands
 * in for files on disk (a profile being put through the API, or `null` for one being deleted).
 */
export function readProfiles(dir: string, replace: ReadonlyMap<string, string | null> = new Map()): Profile[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.yaml') && !f.startsWith('.')).map((f) => f.slice(0, -5));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(dir, [{ path: '', message: `cannot read the profile directory (${(err as NodeJS.ErrnoException).code})` }]);
  }
  for (const [name, text] of replace) if (text !== null && !names.includes(name)) names.push(name);
  names = names.filter((n) => replace.get(n) !== null).sort();
  if (names.length > FLEET_LIMITS.profiles) throw new ConfigError(dir, [{ path: '', message: `${names.length} profile files; at most ${FLEET_LIMITS.profiles}` }]);
  const errors: ConfigError[] = [];
  const profiles: Profile[] = [];
  for (const name of names) {
    const file = profileFile(dir, name);
    try {
      profiles.push(parseProfile(name, replace.get(name) ?? readBounded(file), file));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push(err);
    }
  }
  if (errors.length > 0) throw new ProfileErrors(errors);
  return profiles;
}

function readBounded(file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the file (${(err as NodeJS.ErrnoException).code})` }]);
  }
  if (size > FLEET_LIMITS.profileBytes) throw new ConfigError(file, [{ path: '', message: `larger than ${FLEET_LIMITS.profileBytes} bytes` }]);
  return readFileSync(file, 'utf8');
}

/**
 * What no single file can say: each agency and agent in one profile only, agencies known, and every
 * placeholder defined for every agency a profile reaches. An agent id that is not enrolled (or was
 * revoked) is only a warning: revoking an agent must not make the profiles invalid.
 */
export function crossCheckProfiles(dir: string, profiles: readonly Profile[], agencies: readonly Agency[], agents?: ReadonlyMap<string, string>): string[] {
  const warnings: string[] = [];
  const byId = new Map(agencies.map((a) => [a.id, a]));
  const owner = new Map<string, string>();
  const errors: ConfigError[] = [];
  for (const p of profiles) {
    const issues: ConfigIssue[] = [];
    const reached = new Set<string>();
    p.doc.agencies.forEach((id, i) => {
      const at = joinPath('agencies', i);
      if (!byId.has(id)) issues.push({ path: at, message: `unknown agency "${id}" (known: ${[...byId.keys()].join(', ') || 'none'})` });
      else if (owner.has(`agency:${id}`)) issues.push({ path: at, message: `${id} is already assigned to profile ${owner.get(`agency:${id}`)}; an agency has one profile (give single agents another one with agents:)` });
      else (owner.set(`agency:${id}`, p.name), reached.add(id));
    });
    p.doc.agents.forEach((id, i) => {
      const at = joinPath('agents', i);
      const agency = agents?.get(id);
      if (agents && !agency) warnings.push(`${profileFile(dir, p.name)}: ${at}: no enrolled agent "${id}" (see canhgac-collector agent list); ignored`);
      if (owner.has(`agent:${id}`)) issues.push({ path: at, message: `${id} is already assigned to profile ${owner.get(`agent:${id}`)}` });
      else {
        owner.set(`agent:${id}`, p.name);
        if (agency) reached.add(agency);
      }
    });
    issues.push(...resolveIssues(p, [...reached].map((id) => byId.get(id)).filter((a): a is Agency => a !== undefined)));
    if (issues.length > 0) errors.push(new ConfigError(profileFile(dir, p.name), issues));
  }
  if (errors.length > 0) throw new ProfileErrors(errors);
  return warnings;
}

/** Filling each agency's variables in: unknown ones, too long a result (each message once). */
function resolveIssues(p: Profile, agencies: readonly Agency[]): ConfigIssue[] {
  const seen = new Map<string, ConfigIssue>();
  for (const a of agencies) {
    const issues: ConfigIssue[] = [];
    const checks = fillVariables(p.doc.checks, varsOf(a), a.id, 'checks', issues);
    if (Buffer.byteLength(JSON.stringify(checks)) > FLEET_LIMITS.payloadBytes) issues.push({ path: 'checks', message: `larger than ${FLEET_LIMITS.payloadBytes} bytes for agency ${a.id} once its variables are filled in` });
    for (const i of issues) seen.set(`${i.path}\n${i.message}`, i);
  }
  return [...seen.values()];
}
