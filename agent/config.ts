// The agent's YAML config: its schema, defaults and every validation rule, turned into one
// ConfigError that names the file, the key and what was expected; never touches the network.
import { Type, type Static, type TObject } from 'typebox';
import {
  ConfigError,
  checkSchema,
  durationIssue,
  joinPath,
  parseDuration,
  readYamlFile,
  type ConfigIssue,
} from '../protocol/index.ts';
import { registry, checkTypes } from './checks/registry.ts';
import type { CheckDefinition, CommonCheckConfig } from './checks/types.ts';
import { RemotePolicySection, remotePolicyIssues, type RemotePolicyConfig } from './remote/policy.ts';
import { resolveSelfUpdate, SelfUpdateSection, selfUpdateIssues, type SelfUpdateSettings } from './self-update/settings.ts';

export const DEFAULT_CONFIG_PATH = process.platform === 'win32' ? 'C:\\ProgramData\\CanhGac\\agent.yaml' : '/etc/canhgac/agent.yaml';

const CollectorSection = Type.Object(
  {
    url: Type.String({ minLength: 1, expected: 'the collector URL, such as https://collector.example.vn:8443' }),
    tokenFile: Type.String({ minLength: 1, expected: 'a path where the agent token is kept' }),
    ca: Type.Optional(Type.String({ minLength: 1, expected: 'a path to a PEM file with the CA that signed the collector certificate' })),
  },
  { additionalProperties: false },
);

const OutboxSection = Type.Object(
  {
    /** Default: `outbox/` next to collector.tokenFile. */
    dir: Type.Optional(Type.String({ minLength: 1, expected: 'a directory for the queued samples' })),
    maxBytes: Type.Integer({ minimum: 65_536, default: 268_435_456, expected: 'a size in bytes of at least 65536 (64 KiB)' }),
    maxAge: Type.String({ default: '7d', expected: 'a duration such as 24h or 7d' }),
  },
  { additionalProperties: false },
);

const AgentSection = Type.Object(
  {
    logLevel: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')], { default: 'info' }),
    statusInterval: Type.String({ default: '60s', expected: 'a duration such as 60s' }),
    /** Upper bound of the random delay before a check's first run, so agents do not probe in lockstep. */
    maxSplay: Type.String({ default: '30s', expected: 'a duration such as 30s' }),
    sendInterval: Type.String({ default: '5s', expected: 'a duration such as 5s' }),
    /** Longest wait between two attempts while the collector is unreachable (exponential backoff with jitter up to it). */
    maxBackoff: Type.String({ default: '5m', expected: 'a duration such as 5m' }),
    /** Append every produced sample as one JSON line to this file (audits and the durability tests). */
    sampleLog: Type.Optional(Type.String({ minLength: 1, expected: 'a file path' })),
  },
  { additionalProperties: false },
);

const TopLevel = Type.Object(
  {
    collector: Type.Optional(CollectorSection),
    agent: Type.Optional(AgentSection),
    outbox: Type.Optional(OutboxSection),
    checks: Type.Array(Type.Unknown(), { expected: 'a list of checks, each with a type' }),
    /** Checks from the collector's profiles (agent/remote/); false keeps to this file's checks. */
    remoteConfig: Type.Optional(Type.Boolean({ expected: 'true or false' })),
    /** What a profile from the collector may use, reach and read (agent/remote/policy.ts). */
    remotePolicy: Type.Optional(RemotePolicySection),
    /** Signed self-update: the pinned release key and its bounds (agent/self-update/); absent: updates refused. */
    selfUpdate: Type.Optional(SelfUpdateSection),
  },
  { additionalProperties: false },
);

const CommonKeys = {
  type: Type.String(),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 128, expected: 'a display name of 1 to 128 characters' })),
  group: Type.Optional(Type.String({ minLength: 1, maxLength: 64, expected: 'a group name of 1 to 64 characters' })),
  interval: Type.Optional(Type.String({ expected: 'a duration such as 30s or 5m' })),
  timeout: Type.Optional(Type.String({ expected: 'a duration such as 5s' })),
  enabled: Type.Optional(Type.Boolean()),
};

export type CollectorConfig = Static<typeof CollectorSection>;
export type OutboxConfig = Static<typeof OutboxSection> & { maxAgeMs: number };
export type AgentSettings = Static<typeof AgentSection> & { statusIntervalMs: number; maxSplayMs: number; sendIntervalMs: number; maxBackoffMs: number };

export interface CheckEntry {
  /** Position in the file, for logs: `checks[2] (tcp)`. */
  id: string;
  def: CheckDefinition<TObject>;
  config: CommonCheckConfig & Record<string, unknown>;
}

export interface AgentConfig {
  file: string;
  collector?: CollectorConfig;
  agent: AgentSettings;
  outbox: OutboxConfig;
  checks: CheckEntry[];
  /** `remoteConfig` (default true): run the checks of the profile the collector assigns. */
  remoteConfig: boolean;
  remotePolicy?: RemotePolicyConfig;
  /** `selfUpdate`: present only with a pinned release public key. */
  selfUpdate?: SelfUpdateSettings;
}

const schemaCache = new Map<string, TObject>();
function fullSchema(def: CheckDefinition<TObject>): TObject {
  let s = schemaCache.get(def.type);
  if (!s) {
    s = Type.Object({ ...CommonKeys, ...def.schema.properties }, { additionalProperties: false });
    schemaCache.set(def.type, s);
  }
  return s;
}

export function loadAgentConfig(file: string): AgentConfig {
  return parseAgentConfig(file, readYamlFile(file));
}

/** Validate a parsed config; throws ConfigError naming every problem. Never touches the network. */
export function parseAgentConfig(file: string, raw: unknown): AgentConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, [{ path: '', message: 'expected a mapping with at least a `checks` key' }]);
  }
  const doc = raw as Record<string, unknown>;
  const issues: ConfigIssue[] = [];
  doc.agent ??= {};
  doc.outbox ??= {};
  issues.push(...checkSchema(TopLevel, doc));
  // Keep going after a top-level problem so one run names every mistake in the file.
  if (!Array.isArray(doc.checks)) throw new ConfigError(file, issues);
  const sectionsOk = issues.length === 0;

  const agent = doc.agent as Static<typeof AgentSection>;
  const outbox = doc.outbox as Static<typeof OutboxSection>;
  const collector = doc.collector as CollectorConfig | undefined;
  if (sectionsOk) {
    for (const key of ['statusInterval', 'maxSplay', 'sendInterval', 'maxBackoff'] as const) {
      const issue = durationIssue(agent[key], `agent.${key}`, key === 'maxSplay' ? {} : { minMs: 100 });
      if (issue) issues.push(issue);
    }
    const ageIssue = durationIssue(outbox.maxAge, 'outbox.maxAge', { minMs: 60_000 });
    if (ageIssue) issues.push(ageIssue);
    if (collector) issues.push(...collectorUrlIssues(collector.url));
    if (doc.remotePolicy) issues.push(...remotePolicyIssues(doc.remotePolicy as RemotePolicyConfig, checkTypes()));
    if (doc.selfUpdate) issues.push(...selfUpdateIssues(doc.selfUpdate as Parameters<typeof selfUpdateIssues>[0]));
  }

  const checks: CheckEntry[] = [];
  (doc.checks as unknown[]).forEach((item, i) => {
    const path = joinPath('checks', i);
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      issues.push({ path, message: `expected a mapping with a type (one of ${checkTypes().join(', ')})` });
      return;
    }
    const entry = item as Record<string, unknown>;
    if (entry.type === undefined) {
      issues.push({ path: `${path}.type`, message: `missing; expected one of ${checkTypes().join(', ')}` });
      return;
    }
    // The type is the user's text: `constructor` or `__proto__` must not find Object.prototype's members.
    const def = typeof entry.type === 'string' && Object.hasOwn(registry, entry.type) ? registry[entry.type] : undefined;
    if (!def) {
      issues.push({ path: `${path}.type`, message: `unknown check type ${JSON.stringify(entry.type)} (known: ${checkTypes().join(', ')})` });
      return;
    }
    entry.interval ??= def.defaults.interval;
    const timeoutGiven = entry.timeout !== undefined;
    entry.timeout ??= def.defaults.timeout;
    const found = checkSchema(fullSchema(def), entry, path);
    if (found.length > 0) {
      issues.push(...found);
      return;
    }
    const intervalIssue = durationIssue(entry.interval, `${path}.interval`, { minMs: 1000, maxMs: 7 * 86_400_000 });
    const timeoutIssue = durationIssue(entry.timeout, `${path}.timeout`, { minMs: 10 });
    if (intervalIssue) issues.push(intervalIssue);
    if (timeoutIssue) issues.push(timeoutIssue);
    if (intervalIssue || timeoutIssue) return;
    const config = entry as CheckEntry['config'];
    config.intervalMs = parseDuration(config.interval)!;
    config.timeoutMs = parseDuration(config.timeout)!;
    // A default timeout never outlasts a short interval the user chose; an explicit one must fit.
    if (!timeoutGiven && config.timeoutMs > config.intervalMs) {
      config.timeoutMs = config.intervalMs;
      config.timeout = config.interval;
    }
    if (config.timeoutMs > config.intervalMs) {
      issues.push({ path: `${path}.timeout`, message: `must not be longer than the interval (${config.interval}), got "${config.timeout}"` });
      return;
    }
    const semantic = def.validate?.(config as never, path) ?? [];
    if (semantic.length > 0) {
      issues.push(...semantic);
      return;
    }
    if (config.enabled === false) return;
    checks.push({ id: `${path} (${def.type}${config.name ? ` ${config.name}` : ''})`, def, config });
  });
  if (issues.length > 0) throw new ConfigError(file, issues);

  return {
    file,
    collector,
    agent: {
      ...agent,
      statusIntervalMs: parseDuration(agent.statusInterval)!,
      maxSplayMs: parseDuration(agent.maxSplay)!,
      sendIntervalMs: parseDuration(agent.sendInterval)!,
      maxBackoffMs: parseDuration(agent.maxBackoff)!,
    },
    outbox: { ...outbox, maxAgeMs: parseDuration(outbox.maxAge)! },
    checks,
    remoteConfig: doc.remoteConfig !== false,
    remotePolicy: doc.remotePolicy as RemotePolicyConfig | undefined,
    selfUpdate: resolveSelfUpdate(doc.selfUpdate as Parameters<typeof resolveSelfUpdate>[0]),
  };
}

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|localhost|\[::1\]|::1)$/i;

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK.test(hostname);
}

/** HTTPS always; plain HTTP only to a collector on this machine (tests, demo). */
export function collectorUrlIssues(url: string): ConfigIssue[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [{ path: 'collector.url', message: `expected a URL such as https://collector.example.vn:8443, got ${JSON.stringify(url)}` }];
  }
  if (u.protocol === 'https:') return [];
  if (u.protocol === 'http:' && isLoopbackHost(u.hostname)) return [];
  if (u.protocol === 'http:') {
    return [{ path: 'collector.url', message: `plain HTTP is refused for a collector that is not on this machine; use https:// (got ${JSON.stringify(url)})` }];
  }
  return [{ path: 'collector.url', message: `expected an https:// URL, got ${JSON.stringify(url)}` }];
}
