// The discovery check's light half: config schema (subnets, router, exposure ports), defaults,
// measurements and validation, loaded to check a config without loading the sweep, SNMP or OUI code.
import { Type } from 'typebox';
import { joinPath, type ConfigIssue } from '../../../protocol/index.ts';
import { isHostOrIp } from '../common/probe.ts';
import { defineSpec } from '../lazy.ts';
import type { CheckConfig } from '../types.ts';
import { hostCount, parseCidr, subnetOf, type Subnet } from './cidr.ts';

export const AUTH_PROTOCOLS = ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export const PRIV_PROTOCOLS = ['des', 'aes', 'aes256b', 'aes256r'] as const;

export interface ExposurePort {
  port: number;
  protocol: 'tcp' | 'udp';
  service: string;
  /** 1 low .. 4 critical. */
  risk: number;
  /** UDP entries are SNMP: the community tried (a device answering it is exposed). */
  community?: string;
}

/** Services that should never be open inside an agency LAN, and how bad each one is. */
export const DEFAULT_EXPOSURE_PORTS: ExposurePort[] = [
  { port: 23, protocol: 'tcp', service: 'telnet', risk: 4 },
  { port: 5900, protocol: 'tcp', service: 'vnc', risk: 4 },
  { port: 21, protocol: 'tcp', service: 'ftp', risk: 3 },
  { port: 445, protocol: 'tcp', service: 'smb', risk: 3 },
  { port: 3389, protocol: 'tcp', service: 'rdp', risk: 3 },
  { port: 161, protocol: 'udp', service: 'snmp', risk: 3, community: 'public' },
  { port: 1433, protocol: 'tcp', service: 'mssql', risk: 2 },
  { port: 3306, protocol: 'tcp', service: 'mysql', risk: 2 },
];

/** A /22: the largest subnet swept without raising `maxHosts` on purpose. */
export const DEFAULT_MAX_HOSTS = 1022;
export const DEFAULT_PROBE_PORTS = [22, 80, 135, 139, 443, 445, 3389, 8080];
export const METHODS = ['icmp', 'neighbours', 'tcp'] as const;

const lit = <T extends string>(v: readonly T[]) => Type.Union(v.map((x) => Type.Literal(x)));

const ExposurePortSchema = Type.Object(
  {
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    protocol: Type.Union([Type.Literal('tcp'), Type.Literal('udp')], { default: 'tcp' }),
    service: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,31}$', expected: 'a short lowercase service name, such as telnet' }),
    risk: Type.Integer({ minimum: 1, maximum: 4, expected: 'a risk weight from 1 (low) to 4 (critical)' }),
    community: Type.Optional(Type.String({ minLength: 1, maxLength: 64, expected: 'the SNMP community to try, such as public' })),
  },
  { additionalProperties: false },
);

const RouterSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, expected: 'the router address, such as 192.0.2.1' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 161 }),
    version: Type.Union([Type.Literal('2c'), Type.Literal('3')], { default: '2c' }),
    community: Type.Optional(Type.String({ minLength: 1, maxLength: 64, expected: 'the read-only community (SNMP v2c)' })),
    user: Type.Optional(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 64 }),
          authProtocol: Type.Optional(lit(AUTH_PROTOCOLS)),
          authKey: Type.Optional(Type.String({ minLength: 8, expected: 'an authentication passphrase of at least 8 characters' })),
          privProtocol: Type.Optional(lit(PRIV_PROTOCOLS)),
          privKey: Type.Optional(Type.String({ minLength: 8, expected: 'a privacy passphrase of at least 8 characters' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const schema = Type.Object({
  subnets: Type.Array(Type.String(), { minItems: 1, expected: 'a list of IPv4 subnets in CIDR form, such as 192.0.2.0/24' }),
  maxHosts: Type.Integer({ minimum: 1, maximum: 65536, default: DEFAULT_MAX_HOSTS, expected: 'a whole number of addresses from 1 to 65536' }),
  methods: Type.Array(lit(METHODS), { minItems: 1, default: [...METHODS], expected: 'a list of methods: icmp, neighbours, tcp' }),
  probePorts: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { minItems: 1, maxItems: 16, default: DEFAULT_PROBE_PORTS, expected: 'a list of 1 to 16 TCP ports' }),
  router: Type.Optional(RouterSchema),
  exposurePorts: Type.Array(ExposurePortSchema, { maxItems: 32, default: DEFAULT_EXPOSURE_PORTS, expected: 'a list of {port, protocol, service, risk}' }),
  resolveNames: Type.Boolean({ default: true }),
  concurrency: Type.Integer({ minimum: 1, maximum: 512, default: 64 }),
  stateFile: Type.Optional(Type.String({ minLength: 1, expected: 'a path for the list of known devices' })),
  ouiFile: Type.Optional(Type.String({ minLength: 1, expected: 'a path to the IEEE oui.csv (or a compact .br copy)' })),
});

export type DiscoveryConfig = CheckConfig<typeof schema>;

export const discoverySpec = defineSpec({
  type: 'discovery',
  summary: 'LAN discovery: devices per subnet (ICMP, neighbour table, TCP, SNMP router), new devices, risky open services',
  schema,
  defaults: { interval: '15m', timeout: '1s' },
  measurements: ['lan_summary', 'lan_device', 'lan_exposure'],
  validate: validateDiscovery,
});

function validateDiscovery(config: DiscoveryConfig, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const parsed: Subnet[] = [];
  config.subnets.forEach((text, i) => {
    const at = joinPath(joinPath(path, 'subnets'), i);
    const s = parseCidr(text);
    if (!s) {
      issues.push({ path: at, message: `expected an IPv4 subnet in CIDR form with a prefix from /8 to /32, such as 192.0.2.0/24, got ${JSON.stringify(text)}` });
      return;
    }
    const n = hostCount(s);
    if (n > config.maxHosts) {
      issues.push({
        path: at,
        message: `${s.cidr} has ${n} addresses, more than maxHosts (${config.maxHosts}); sweeping more than a /22 needs maxHosts raised on purpose`,
      });
    }
    const overlap = parsed.find((p) => p.prefix <= s.prefix ? subnetOf([p], ipOf(s)) : subnetOf([s], ipOf(p)));
    if (overlap) issues.push({ path: at, message: `${s.cidr} overlaps ${overlap.cidr}, listed before it` });
    parsed.push(s);
  });
  const r = config.router;
  if (r) {
    const at = joinPath(path, 'router');
    if (!isHostOrIp(r.host)) issues.push({ path: `${at}.host`, message: `expected a host name or an IP address, got ${JSON.stringify(r.host)}` });
    if (r.version === '2c' && !r.community) issues.push({ path: `${at}.community`, message: 'missing; SNMP v2c needs the read-only community' });
    if (r.version === '3' && !r.user) issues.push({ path: `${at}.user`, message: 'missing; SNMP v3 needs a user (name, and authKey/privKey for authNoPriv/authPriv)' });
    if (r.user?.privKey && !r.user.authKey) issues.push({ path: `${at}.user.authKey`, message: 'missing; privacy (privKey) needs authentication (authKey) too' });
  }
  config.exposurePorts.forEach((p, i) => {
    const at = joinPath(joinPath(path, 'exposurePorts'), i);
    if (p.protocol === 'udp' && !p.community) issues.push({ path: `${at}.community`, message: 'missing; UDP services are probed with SNMP, which needs the community to try (such as public)' });
    if (p.protocol === 'tcp' && p.community) issues.push({ path: `${at}.community`, message: 'only UDP (SNMP) entries take a community' });
  });
  return issues;
}

function ipOf(s: Subnet): string {
  return [s.network >>> 24, (s.network >>> 16) & 255, (s.network >>> 8) & 255, s.network & 255].join('.');
}
