// The contract of central check configuration: the `apply-config` command's payload, the header in
// which an agent says what it runs, the hash both sides compute, bounds, and the operator API shapes.
import { createHash } from 'node:crypto';
import { Type, type Static } from 'typebox';

/**
 * Bounds on what a collector may push (and a profile author may write). The agent enforces them
 * again on what it receives: a taken-over collector is as hostile as anyone.
 */
export const FLEET_LIMITS = {
  /** Checks in one profile. */
  checks: 200,
  /** The JSON of one effective configuration, in bytes. */
  payloadBytes: 262_144,
  /** A profile file, in bytes. */
  profileBytes: 262_144,
  /** Any one string value in a profile, after its variables are filled in. */
  stringLength: 2048,
  /** Nesting of mappings and lists in one check entry. */
  depth: 8,
  /** Profiles in the profile directory. */
  profiles: 200,
  /** Reasons an agent reports for a refusal, and the length of each. */
  reasons: 100,
  reasonLength: 500,
} as const;

/** A profile's name (also its file name without `.yaml`). */
export const PROFILE_NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';

/** The hash of "no remote configuration": what an agent with no profile (or remote checks off) runs. */
export const NO_CONFIG_HASH = 'none';

/** JSON with object keys sorted at every level: one text for one value, whatever order it was built in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value as object).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The hash of an effective configuration, computed by the collector for what it sends and by the
 * agent for what it received (never taken from the payload): SHA-256 of the canonical JSON of the
 * profile name and its checks. The version is not part of it: a version names a change in time, the
 * hash names the content.
 */
export function configHash(profile: string | null, checks: readonly unknown[]): string {
  if (profile === null && checks.length === 0) return NO_CONFIG_HASH;
  return createHash('sha256').update(canonicalJson({ profile, checks })).digest('hex');
}

// ---- the command channel --------------------------------------------------------------------------

/** The command kind that carries an agent's effective configuration. */
export const APPLY_CONFIG_KIND = 'apply-config';

/**
 * `apply-config`: the checks of the agent's profile with its agency's variables filled in. `profile`
 * null with no checks takes the remote checks away (the profile was unassigned or deleted).
 */
export const ApplyConfigPayload = Type.Object(
  {
    profile: Type.Union([Type.String({ pattern: PROFILE_NAME_PATTERN }), Type.Null()]),
    version: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
    hash: Type.String({ pattern: '^([0-9a-f]{64}|none)$' }),
    checks: Type.Array(Type.Unknown(), { maxItems: FLEET_LIMITS.checks }),
  },
  { additionalProperties: false },
);
export type ApplyConfigPayload = Static<typeof ApplyConfigPayload>;

/**
 * Header of every command poll: what this agent runs from the collector, so the collector knows what to
 * send (nothing, when it is current) and the console can show it. `off` when the agent's local file
 * says `remoteConfig: false`. Otherwise `profile=NAME;version=N;hash=H;rejected=H2`, each part optional
 * except `hash` (`none` when it runs no remote checks).
 */
export const AGENT_CONFIG_HEADER = 'x-canhgac-config';

export interface AgentConfigState {
  off: boolean;
  profile?: string;
  version?: number;
  hash: string;
  /** The newest configuration this agent refused (so the collector does not send it again). */
  rejected?: string;
}

const HASH = /^([0-9a-f]{64}|none)$/;
const PROFILE = new RegExp(PROFILE_NAME_PATTERN);

export function formatConfigHeader(s: AgentConfigState): string {
  if (s.off) return 'off';
  const parts = [];
  if (s.profile) parts.push(`profile=${s.profile}`);
  if (s.version !== undefined) parts.push(`version=${s.version}`);
  parts.push(`hash=${s.hash}`);
  if (s.rejected) parts.push(`rejected=${s.rejected}`);
  return parts.join(';');
}

/** The header as the collector reads it: anything malformed is undefined (treated as an agent that did not say). */
export function parseConfigHeader(text: string | string[] | undefined): AgentConfigState | undefined {
  if (typeof text !== 'string' || text.length > 400) return undefined;
  if (text.trim() === 'off') return { off: true, hash: NO_CONFIG_HASH };
  const out: AgentConfigState = { off: false, hash: '' };
  for (const part of text.split(';')) {
    const [key, value, extra] = part.trim().split('=');
    if (value === undefined || extra !== undefined) return undefined;
    if (key === 'profile' && PROFILE.test(value)) out.profile = value;
    else if (key === 'version' && /^\d{1,10}$/.test(value)) out.version = Number(value);
    else if (key === 'hash' && HASH.test(value)) out.hash = value;
    else if (key === 'rejected' && HASH.test(value)) out.rejected = value;
    else return undefined;
  }
  return out.hash ? out : undefined;
}

// ---- operator API ---------------------------------------------------------------------------------

export const FLEET_PATHS = {
  /** Profiles (GET list), one profile with its versions (GET), replaced (PUT, province-wide admins) or deleted (DELETE). */
  profiles: '/api/v1/fleet/profiles',
  profile: '/api/v1/fleet/profiles/:name',
  /** Per agent: profile, version applied, pending or rejected with the reasons (`?agency=`). */
  agents: '/api/v1/fleet/agents',
  /** Re-read the profile directory now (after a `git pull`), as `canhgac-collector config push` does. */
  reload: '/api/v1/fleet/reload',
} as const;

export const ProfileSummary = Type.Object({
  name: Type.String(),
  description: Type.Optional(Type.String()),
  version: Type.Integer(),
  hash: Type.String(),
  changedAt: Type.String(),
  changedBy: Type.String(),
  agencies: Type.Array(Type.String()),
  agents: Type.Array(Type.String()),
  checks: Type.Integer(),
});
export type ProfileSummary = Static<typeof ProfileSummary>;

export const ProfileVersion = Type.Object({ version: Type.Integer(), hash: Type.String(), at: Type.String(), by: Type.String(), deleted: Type.Boolean() });

export const ProfileDetail = Type.Object({
  profile: ProfileSummary,
  /** The profile file as stored for this version. */
  yaml: Type.String(),
  versions: Type.Array(ProfileVersion),
});
export type ProfileDetail = Static<typeof ProfileDetail>;

export const PutProfileRequest = Type.Object(
  {
    /** The whole profile file (description, agencies, agents, checks). */
    yaml: Type.String({ minLength: 1, maxLength: FLEET_LIMITS.profileBytes }),
  },
  { additionalProperties: false },
);
export type PutProfileRequest = Static<typeof PutProfileRequest>;

/** `applied`: runs what the collector would send; `pending`: not yet; `rejected`: refused it (reasons); `off`: remoteConfig false; `error`: the collector cannot build it; `unknown`: an agent too old to say. */
export const FLEET_STATES = ['none', 'applied', 'pending', 'rejected', 'off', 'error', 'unknown'] as const;
export type FleetState = (typeof FLEET_STATES)[number];

export const FleetAgentStatus = Type.Object({
  agent: Type.String(),
  agency: Type.String(),
  hostname: Type.String(),
  /** The profile assigned now (by agent or by agency), if any. */
  profile: Type.Optional(Type.String()),
  /** The version the collector would send now, and its hash. */
  desiredVersion: Type.Optional(Type.Integer()),
  desiredHash: Type.String(),
  appliedProfile: Type.Optional(Type.String()),
  appliedVersion: Type.Optional(Type.Integer()),
  appliedHash: Type.Optional(Type.String()),
  appliedAt: Type.Optional(Type.String()),
  state: Type.Union([
    Type.Literal('none'),
    Type.Literal('applied'),
    Type.Literal('pending'),
    Type.Literal('rejected'),
    Type.Literal('off'),
    Type.Literal('error'),
    Type.Literal('unknown'),
  ]),
  rejectedVersion: Type.Optional(Type.Integer()),
  rejectedAt: Type.Optional(Type.String()),
  reasons: Type.Array(Type.String()),
  reportedAt: Type.Optional(Type.String()),
});
export type FleetAgentStatus = Static<typeof FleetAgentStatus>;

export const FleetAgentList = Type.Object({ agents: Type.Array(FleetAgentStatus) });
export type FleetAgentList = Static<typeof FleetAgentList>;

/** What a reload or a push changed: profiles with a new version, and profiles deleted. */
export const FleetReloadResponse = Type.Object({ changed: Type.Array(Type.Object({ name: Type.String(), version: Type.Integer(), deleted: Type.Boolean() })) });
export type FleetReloadResponse = Static<typeof FleetReloadResponse>;
