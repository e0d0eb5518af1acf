// The contract of signed self-update: the text an Ed25519 release signature covers, versions and their
// order, the `self-update` command's payload, the poll header, the download path and the operator API shapes.
import { Type, type Static } from 'typebox';

/** The command kind that tells an agent to fetch, verify and install a build. */
export const SELF_UPDATE_KIND = 'self-update';

/**
 * What a release signature covers: this text, not the 100 MB file (Ed25519 signs a message whole, and
 * an agent hashes the file as a stream). The build's version is not in it: the agent asks the verified
 * build itself (`--version`), so a signed old build relabelled as new is still seen as old.
 */
export function releaseSignedText(sha256: string, size: number): string {
  return `canhgac-agent-release-v1\nsha256=${sha256}\nsize=${size}\n`;
}

/** A release version: three numbers (no pre-release tags: the order must be obvious to people). */
export const RELEASE_VERSION_PATTERN = '^(0|[1-9][0-9]{0,5})\\.(0|[1-9][0-9]{0,5})\\.(0|[1-9][0-9]{0,5})$';
/** `linux-x64`, `win32-x64`, ...: process.platform and process.arch of the agent. */
export const RELEASE_PLATFORM_PATTERN = '^(linux|win32|darwin)-(x64|arm64)$';
/** A rollout channel named in the agent's local config (`selfUpdate.channel`). */
export const RELEASE_CHANNEL_PATTERN = '^[a-z][a-z0-9-]{0,31}$';

export const RELEASE_LIMITS = {
  /** The largest build a collector stores or an agent downloads (the Linux build is about 100 MB). */
  maxBytes: 512 * 1024 * 1024,
} as const;

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`; undefined when either is not a version. */
export function compareVersions(a: string, b: string): number | undefined {
  const re = new RegExp(RELEASE_VERSION_PATTERN);
  const pa = re.exec(a);
  const pb = re.exec(b);
  if (!pa || !pb) return undefined;
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export const RELEASE_PATHS = {
  /** Agents download a build here (GET, agent token, `Range: bytes=N-` to resume). */
  agentDownload: '/api/v1/agent/releases/:version/:platform',
  /** Operators: stored builds and the rollouts (GET); a new rollout (POST, province-wide admins). */
  releases: '/api/v1/releases',
  rollout: '/api/v1/releases/rollout',
  /** Operators: the fleet by version and each agent's update state (`?agency=`). */
  agents: '/api/v1/releases/agents',
} as const;

/**
 * Header of every command poll: `channel=C;version=V;platform=P` and, after an attempt, `last=V:state`
 * (`installed`, `refused`, `rolled-back`). `off` when the local config has no `selfUpdate.publicKey`.
 */
export const AGENT_UPDATE_HEADER = 'x-canhgac-update';

export interface AgentUpdateState {
  off: boolean;
  channel?: string;
  version?: string;
  platform?: string;
  last?: { version: string; state: UpdateOutcome };
}

export const UPDATE_OUTCOMES = ['installed', 'refused', 'rolled-back'] as const;
export type UpdateOutcome = (typeof UPDATE_OUTCOMES)[number];

export function formatUpdateHeader(s: AgentUpdateState): string {
  if (s.off) return 'off';
  const parts = [`channel=${s.channel}`, `version=${s.version}`, `platform=${s.platform}`];
  if (s.last) parts.push(`last=${s.last.version}:${s.last.state}`);
  return parts.join(';');
}

/** The header as the collector reads it; anything malformed is undefined (an agent that did not say). */
export function parseUpdateHeader(text: string | string[] | undefined): AgentUpdateState | undefined {
  if (typeof text !== 'string' || text.length > 200) return undefined;
  if (text.trim() === 'off') return { off: true };
  const out: AgentUpdateState = { off: false };
  const version = new RegExp(RELEASE_VERSION_PATTERN);
  for (const part of text.split(';')) {
    const [key, value, extra] = part.trim().split('=');
    if (value === undefined || extra !== undefined) return undefined;
    if (key === 'channel' && new RegExp(RELEASE_CHANNEL_PATTERN).test(value)) out.channel = value;
    else if (key === 'version' && version.test(value)) out.version = value;
    else if (key === 'platform' && new RegExp(RELEASE_PLATFORM_PATTERN).test(value)) out.platform = value;
    else if (key === 'last') {
      const [v, state] = value.split(':');
      if (!version.test(v) || !(UPDATE_OUTCOMES as readonly string[]).includes(state)) return undefined;
      out.last = { version: v, state: state as UpdateOutcome };
    } else return undefined;
  }
  return out.channel && out.version && out.platform ? out : undefined;
}

/** `self-update`: fetch this build from `path` on the collector, check it, and install it. */
export const SelfUpdatePayload = Type.Object(
  {
    version: Type.String({ pattern: RELEASE_VERSION_PATTERN }),
    platform: Type.String({ pattern: RELEASE_PLATFORM_PATTERN }),
    size: Type.Integer({ minimum: 1, maximum: RELEASE_LIMITS.maxBytes }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    /** Base64 of the 64-byte Ed25519 signature of releaseSignedText(sha256, size). */
    signature: Type.String({ pattern: '^[A-Za-z0-9+/]{86}==$' }),
  },
  { additionalProperties: false },
);
export type SelfUpdatePayload = Static<typeof SelfUpdatePayload>;

export const ReleaseEntry = Type.Object({
  version: Type.String(),
  platform: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
  addedAt: Type.String(),
  addedBy: Type.String(),
});
export type ReleaseEntry = Static<typeof ReleaseEntry>;

export const RolloutRequest = Type.Object(
  {
    version: Type.String({ pattern: RELEASE_VERSION_PATTERN }),
    /** Agents whose local `selfUpdate.channel` is this (default `stable`). */
    channel: Type.Optional(Type.String({ pattern: RELEASE_CHANNEL_PATTERN })),
    /** This share of the channel's agents (chosen by a stable hash of the agent id), 0-100; default 100. */
    percent: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    /** Only these agencies' agents (with `percent`, that share of them). */
    agencies: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 500 })),
  },
  { additionalProperties: false },
);
export type RolloutRequest = Static<typeof RolloutRequest>;

export const RolloutEntry = Type.Object({
  id: Type.Integer(),
  version: Type.String(),
  channel: Type.String(),
  percent: Type.Integer(),
  agencies: Type.Array(Type.String()),
  createdAt: Type.String(),
  createdBy: Type.String(),
});
export type RolloutEntry = Static<typeof RolloutEntry>;

export const ReleaseList = Type.Object({ releases: Type.Array(ReleaseEntry), rollouts: Type.Array(RolloutEntry) });

export const UpdateAgentStatus = Type.Object({
  agent: Type.String(),
  agency: Type.String(),
  hostname: Type.String(),
  channel: Type.Optional(Type.String()),
  version: Type.Optional(Type.String()),
  /** The version its channel's rollout wants it to run, when it is in one. */
  target: Type.Optional(Type.String()),
  /** `current`, `pending` (in a rollout, not there yet), `refused`, `rolled-back`, `off`, `unknown`, `none` (in no rollout). */
  state: Type.String(),
  message: Type.Optional(Type.String()),
  reportedAt: Type.Optional(Type.String()),
});
export type UpdateAgentStatus = Static<typeof UpdateAgentStatus>;

export const UpdateAgentList = Type.Object({
  agents: Type.Array(UpdateAgentStatus),
  /** Agents per running version. */
  versions: Type.Record(Type.String(), Type.Integer()),
});
