// Decides whether a configuration pushed by the collector may run here: its bounds, the same validation
// as the local file (parseAgentConfig), the local remotePolicy; then merges it with the local checks.
import { Value } from 'typebox/value';
import { ApplyConfigPayload, ConfigError, configHash, FLEET_LIMITS, joinPath, type AgentConfigState } from '../../protocol/index.ts';
import { parseAgentConfig, type AgentConfig, type CheckEntry } from '../config.ts';
import { effectivePolicy, hostRefusal, pathRefusal, subnetRefusal, type EffectivePolicy } from './policy.ts';
import { reachOf } from './reach.ts';

export type Judgement =
  | { ok: true; state: AgentConfigState; remote: CheckEntry[]; checks: CheckEntry[]; overridden: string[] }
  | { ok: false; state: Pick<AgentConfigState, 'profile' | 'version' | 'hash'>; reasons: string[] };

/** The local checks' names: a remote check of the same name gives way (the local file is authoritative). */
function localNames(local: AgentConfig): Set<string> {
  return new Set(local.checks.map((e) => e.config.name).filter((n): n is string => typeof n === 'string'));
}

/** The policy of this agent, from its local file (never from anything pushed). */
export function policyOf(local: AgentConfig): EffectivePolicy {
  const subnets = local.checks.filter((e) => e.def.type === 'discovery').flatMap((e) => (e.config as { subnets?: string[] }).subnets ?? []);
  return effectivePolicy(local.remotePolicy, { collectorUrl: local.collector?.url, discoverySubnets: subnets });
}

/** Strings too long and nesting too deep, before anything else reads the entries. */
function boundsReasons(checks: readonly unknown[]): string[] {
  const reasons: string[] = [];
  const visit = (v: unknown, path: string, depth: number) => {
    if (reasons.length >= FLEET_LIMITS.reasons) return;
    if (typeof v === 'string' && v.length > FLEET_LIMITS.stringLength) reasons.push(`${path}: longer than ${FLEET_LIMITS.stringLength} characters`);
    if (v === null || typeof v !== 'object') return;
    if (depth > FLEET_LIMITS.depth) return void reasons.push(`${path}: nested deeper than ${FLEET_LIMITS.depth} levels`);
    if (Array.isArray(v)) v.forEach((x, i) => visit(x, joinPath(path, i), depth + 1));
    else for (const [k, x] of Object.entries(v)) visit(x, joinPath(path, k), depth + 1);
  };
  checks.forEach((c, i) => visit(c, joinPath('checks', i), 1));
  return reasons;
}

/** Every remote check needs a name, once: checks merge with the local ones by name. */
function nameReasons(checks: readonly unknown[]): string[] {
  const seen = new Set<string>();
  const reasons: string[] = [];
  checks.forEach((c, i) => {
    const name = c !== null && typeof c === 'object' ? (c as Record<string, unknown>).name : undefined;
    if (typeof name !== 'string' || name === '') reasons.push(`${joinPath('checks', i)}.name: missing; every check of a profile needs a name (checks merge with the local ones by name)`);
    else if (seen.has(name)) reasons.push(`${joinPath('checks', i)}.name: "${name}" is used twice in the profile`);
    else seen.add(name);
  });
  return reasons;
}

/** What remotePolicy says of one parsed remote check (its key path is `base`). */
function policyReasons(entry: CheckEntry, base: string, policy: EffectivePolicy): string[] {
  if (!policy.checkTypes.has(entry.def.type)) {
    return [`${base}.type: check type ${entry.def.type} is not in remotePolicy.checkTypes (${[...policy.checkTypes].join(', ') || 'none'})`];
  }
  const { reached, refused } = reachOf(entry.def.type, entry.config, base);
  const reasons = refused.map((r) => `${r.path}: ${r.message}`);
  for (const r of reached) {
    const why = r.kind === 'host' ? hostRefusal(r.value, policy) : r.kind === 'subnet' ? subnetRefusal(r.value, policy) : pathRefusal(r.value, policy);
    if (why) reasons.push(`${r.path}: ${why}`);
  }
  return reasons;
}

/**
 * Judge a pushed `apply-config` payload against the local file. The hash is computed here from what
 * arrived, never taken from the payload. Nothing is applied: the caller does that with `checks`.
 */
export function judgeRemoteConfig(payload: unknown, local: AgentConfig): Judgement {
  if (!Value.Check(ApplyConfigPayload, payload)) {
    const first = [...Value.Errors(ApplyConfigPayload, payload)].slice(0, 5).map((e) => `payload${e.instancePath}: ${e.message}`);
    // The hash the collector claims, when it looks like one, so that it does not send the same again.
    const claimed = (payload as { hash?: unknown } | null)?.hash;
    const hash = typeof claimed === 'string' && /^[0-9a-f]{64}$/.test(claimed) ? claimed : 'none';
    return { ok: false, state: { hash }, reasons: first.length ? first : ['payload: not an apply-config payload'] };
  }
  const p = payload as ApplyConfigPayload;
  const hash = configHash(p.profile, p.checks);
  const state = { profile: p.profile ?? undefined, version: p.version, hash };
  const refuse = (reasons: string[]) => ({ ok: false as const, state, reasons: reasons.slice(0, FLEET_LIMITS.reasons).map((r) => r.slice(0, FLEET_LIMITS.reasonLength)) });
  if (Buffer.byteLength(JSON.stringify(p.checks)) > FLEET_LIMITS.payloadBytes) return refuse([`checks: larger than ${FLEET_LIMITS.payloadBytes} bytes`]);
  const early = [...boundsReasons(p.checks), ...nameReasons(p.checks)];
  if (early.length > 0) return refuse(early);

  let parsed: AgentConfig;
  try {
    // The very function that validates the local file, on a document holding only checks: nothing
    // pushed can name a collector, a token, an outbox or a policy.
    parsed = parseAgentConfig(`profile ${p.profile ?? '-'} version ${p.version}`, { checks: structuredClone(p.checks) });
  } catch (err) {
    if (err instanceof ConfigError) return refuse(err.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)));
    throw err;
  }
  const index = new Map(p.checks.map((c, i) => [(c as { name: string }).name, i]));
  const policy = policyOf(local);
  const reasons = parsed.checks.flatMap((e) => policyReasons(e, joinPath('checks', index.get(e.config.name!)!), policy));
  if (reasons.length > 0) return refuse(reasons);

  const names = localNames(local);
  const remote = parsed.checks.map((e) => ({ ...e, id: `profile ${p.profile}: ${e.config.name} (${e.def.type})` }));
  const overridden = remote.filter((e) => names.has(e.config.name!)).map((e) => e.config.name!);
  const kept = remote.filter((e) => !names.has(e.config.name!));
  return { ok: true, state: { off: false, ...state }, remote, checks: [...local.checks, ...kept], overridden };
}
