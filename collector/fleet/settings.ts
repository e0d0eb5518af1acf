// The collector config's share of central check configuration: the `fleet:` section (where the profile
// files live) and each agency's `vars` (what a profile's ${agency.NAME} becomes for that agency).
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { Type, type Static } from 'typebox';
import { joinPath, NO_CONTROL_PATTERN, type ConfigIssue } from '../../protocol/index.ts';

/** Names a profile may use as ${agency.NAME} without a `vars` entry. */
export const BUILTIN_VARS = ['id', 'name'] as const;

/** `agencies[].vars`: plain text values, filled into profiles as they are (no expressions). */
const VAR_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export const AgencyVars = Type.Record(
  Type.String(),
  Type.String({ minLength: 1, maxLength: 1024, pattern: NO_CONTROL_PATTERN, expected: 'a text of 1 to 1024 characters without control characters' }),
  { maxProperties: 64, expected: 'a mapping of variable name to text, such as {portalUrl: https://soyte.example.gov.vn/}' },
);

export const FleetSection = Type.Object(
  {
    /** Profile files (`NAME.yaml`), relative to the config file; may live in git. */
    profilesDir: Type.String({ minLength: 1, default: 'profiles', expected: 'a directory of profile files, such as profiles' }),
  },
  { additionalProperties: false, default: {} },
);
export type FleetSettings = Static<typeof FleetSection> & {
  /** Whether the config named the directory (then it must exist); the default may be absent (no profiles yet). */
  profilesDirGiven: boolean;
};

/** Resolves the directory against the config file; an explicitly named one must exist. */
export function resolveFleet(raw: Static<typeof FleetSection>, given: boolean, base: string, issues: ConfigIssue[]): FleetSettings {
  const dir = isAbsolute(raw.profilesDir) ? raw.profilesDir : resolve(base, raw.profilesDir);
  if (given && (!existsSync(dir) || !statSync(dir).isDirectory())) {
    issues.push({ path: 'fleet.profilesDir', message: `${dir} is not a directory; expected the directory of profile files (create it, it may be empty)` });
  }
  return { profilesDir: dir, profilesDirGiven: given };
}

/** A variable's name is what a placeholder can spell; it may not shadow a built-in one. */
export function varsIssues(agencies: { vars?: Record<string, string> }[], issues: ConfigIssue[]): void {
  agencies.forEach((a, i) => {
    for (const name of Object.keys(a.vars ?? {})) {
      if (!VAR_NAME.test(name)) {
        issues.push({ path: `${joinPath('agencies', i)}.vars`, message: `expected variable names of letters, digits and _ starting with a letter (written \${agency.NAME} in a profile), got ${JSON.stringify(name)}` });
      } else if ((BUILTIN_VARS as readonly string[]).includes(name)) {
        issues.push({ path: `${joinPath('agencies', i)}.vars.${name}`, message: `${name} is given by the agency itself (\${agency.${name}}); choose another variable name` });
      }
    }
  });
}
