// The local file's `remotePolicy`: which check types a profile pushed by the collector may use, which
// networks and hosts it may reach and which paths it may read; its schema, defaults and matching.
import { isAbsolute, posix, win32 } from 'node:path';
import { domainToASCII } from 'node:url';
import { Type, type Static } from 'typebox';
import { joinPath, type ConfigIssue } from '../../protocol/index.ts';
import { isHostOrIp } from '../checks/common/probe.ts';
import { networkContains, parseNetwork, type Network } from './cidr.ts';

/**
 * Check types a profile may use when the local file does not say: probes whose every target the agent
 * can judge. Checks that sweep the LAN (discovery), read files (cert_file, auth_events), crawl
 * (web_integrity) or inspect the host (security) must be allowed by the local file on purpose.
 */
export const DEFAULT_REMOTE_CHECK_TYPES = ['host', 'ping', 'tcp', 'http', 'tls', 'dns', 'videoconf'];

export const RemotePolicySection = Type.Object(
  {
    checkTypes: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      maxItems: 64,
      default: DEFAULT_REMOTE_CHECK_TYPES,
      expected: 'a list of check types a remote profile may use, such as [ping, tcp, http]',
    }),
    networks: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 256, expected: 'a list of networks in CIDR form or addresses, such as [10.12.0.0/24]' }),
    ),
    hosts: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 256, expected: 'a list of host names, or *.domain for every name under a domain' }),
    ),
    paths: Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { maxItems: 64, default: [], expected: 'a list of absolute directories or files' }),
  },
  { additionalProperties: false },
);
export type RemotePolicyConfig = Static<typeof RemotePolicySection>;

/** The policy in force: the local file's lists, or the defaults worked out from the local file. */
export interface EffectivePolicy {
  checkTypes: ReadonlySet<string>;
  networks: Network[];
  /** Lowercase ASCII names; `*.example.vn` matches every name under example.vn. */
  hosts: string[];
  paths: string[];
  /** Whence the lists came, for messages: `remotePolicy.networks` or `default: ...`. */
  networksFrom: string;
  hostsFrom: string;
}

const HOST_PATTERN = (s: string) => (s.startsWith('*.') ? isHostOrIp(s.slice(2)) : isHostOrIp(s));

/** Paths as the agent's own platform reads them; `..` is refused so that a prefix really bounds a path. */
export function pathProblem(p: string, platform = process.platform): string | undefined {
  const abs = platform === 'win32' ? win32.isAbsolute(p) : isAbsolute(p);
  if (!abs) return 'expected an absolute path';
  if (p.split(/[\\/]/).includes('..')) return 'expected a path without ".."';
  return undefined;
}

/** Mistakes in the local file's remotePolicy (it is validated with the rest of the file). */
export function remotePolicyIssues(policy: RemotePolicyConfig, knownTypes: readonly string[], path = 'remotePolicy'): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  policy.checkTypes.forEach((t, i) => {
    if (!knownTypes.includes(t)) issues.push({ path: joinPath(joinPath(path, 'checkTypes'), i), message: `unknown check type ${JSON.stringify(t)} (known: ${knownTypes.join(', ')})` });
  });
  (policy.networks ?? []).forEach((n, i) => {
    if (!parseNetwork(n)) issues.push({ path: joinPath(joinPath(path, 'networks'), i), message: `expected a network in CIDR form or an address, such as 10.12.0.0/24, got ${JSON.stringify(n)}` });
  });
  (policy.hosts ?? []).forEach((h, i) => {
    if (!HOST_PATTERN(h)) issues.push({ path: joinPath(joinPath(path, 'hosts'), i), message: `expected a host name or *.domain, got ${JSON.stringify(h)}` });
  });
  policy.paths.forEach((p, i) => {
    const problem = pathProblem(p);
    if (problem) issues.push({ path: joinPath(joinPath(path, 'paths'), i), message: `${problem}, got ${JSON.stringify(p)}` });
  });
  return issues;
}

const normalName = (h: string) => (domainToASCII(h.replace(/\.$/, '')) || h).toLowerCase();

/**
 * The policy in force. Without `networks`: the subnets of the local file's own discovery checks (the
 * agency's LAN as its staff configured it) and the collector's address; without `hosts`: the
 * collector's name. An explicit list replaces its default.
 */
export function effectivePolicy(policy: RemotePolicyConfig | undefined, local: { collectorUrl?: string; discoverySubnets: readonly string[] }): EffectivePolicy {
  const collectorHost = local.collectorUrl && URL.canParse(local.collectorUrl) ? new URL(local.collectorUrl).hostname.replace(/^\[|\]$/g, '') : undefined;
  const collectorNet = collectorHost ? parseNetwork(collectorHost) : undefined;
  const defaultNetworks = [...local.discoverySubnets, ...(collectorNet ? [collectorHost!] : [])];
  const defaultHosts = collectorHost && !collectorNet ? [collectorHost] : [];
  const networks = policy?.networks ?? defaultNetworks;
  const hosts = policy?.hosts ?? defaultHosts;
  return {
    checkTypes: new Set(policy?.checkTypes ?? DEFAULT_REMOTE_CHECK_TYPES),
    networks: networks.map(parseNetwork).filter((n): n is Network => n !== undefined),
    hosts: hosts.map((h) => (h.startsWith('*.') ? `*.${normalName(h.slice(2))}` : normalName(h))),
    paths: policy?.paths ?? [],
    networksFrom: policy?.networks ? 'remotePolicy.networks' : 'remotePolicy.networks (default: the local discovery subnets and the collector)',
    hostsFrom: policy?.hosts ? 'remotePolicy.hosts' : 'remotePolicy.hosts (default: the collector)',
  };
}

const list = (xs: readonly string[]) => (xs.length ? xs.join(', ') : 'none');

/** Why `host` (a name or an address) may not be reached, or undefined when it may. */
export function hostRefusal(host: string, p: EffectivePolicy): string | undefined {
  const bare = host.replace(/^\[|\]$/g, '');
  const net = parseNetwork(bare);
  if (net) {
    if (p.networks.some((n) => networkContains(n, net))) return undefined;
    // A literal address may also be listed among the hosts.
    if (p.hosts.includes(bare.toLowerCase())) return undefined;
    return `${bare} is outside ${p.networksFrom}: ${list(p.networks.map((n) => n.text))}`;
  }
  const name = normalName(bare);
  const ok = p.hosts.some((h) => (h.startsWith('*.') ? name.endsWith(h.slice(1)) : name === h));
  return ok ? undefined : `${bare} is not in ${p.hostsFrom}: ${list(p.hosts)}`;
}

/** Why a subnet may not be swept: it must lie wholly inside one allowed network. */
export function subnetRefusal(text: string, p: EffectivePolicy): string | undefined {
  const net = parseNetwork(text);
  if (!net) return `${JSON.stringify(text)} is not a network the agent can judge`;
  return p.networks.some((n) => networkContains(n, net)) ? undefined : `${text} is not inside ${p.networksFrom}: ${list(p.networks.map((n) => n.text))}`;
}

/** Why a path may not be read: absolute, no `..`, and under one allowed path (a glob judged by what precedes its first wildcard). */
export function pathRefusal(p: string, policy: EffectivePolicy, platform = process.platform): string | undefined {
  const problem = pathProblem(p, platform);
  if (problem) return `${JSON.stringify(p)}: ${problem}`;
  const lib = platform === 'win32' ? win32 : posix;
  const fold = (s: string) => (platform === 'win32' ? s.toLowerCase() : s);
  const wild = p.search(/[*?[{]/);
  const fixed = lib.normalize(wild === -1 ? p : p.slice(0, wild));
  const under = policy.paths.some((allowed) => {
    const root = fold(lib.normalize(allowed)).replace(/[\\/]+$/, '');
    const mine = fold(fixed);
    return mine === root || mine.startsWith(root + lib.sep) || (root === '' && mine.startsWith(lib.sep));
  });
  return under ? undefined : `${p} is not under remotePolicy.paths: ${list(policy.paths)}`;
}
