// The snmp_interfaces check's light half: config schema, defaults, measurements and validation, loaded
// to check a config without loading the SNMP code.
import { Type } from 'typebox';
import { durationIssue, joinPath, parseDuration, type ConfigIssue } from '../../../protocol/index.ts';
import { isHostOrIp } from '../common/probe.ts';
import { defineSpec } from '../lazy.ts';
import type { CheckConfig } from '../types.ts';

/** IANAifType names a config may use (the common ones); any type may also be given by its number. */
export const IF_TYPES: Record<string, number> = {
  other: 1,
  ethernetCsmacd: 6,
  iso88023Csmacd: 7,
  fastEther: 62,
  gigabitEthernet: 117,
  ppp: 23,
  softwareLoopback: 24,
  frameRelay: 32,
  propPointToPointSerial: 22,
  propVirtual: 53,
  adsl: 94,
  vdsl: 97,
  tunnel: 131,
  l2vlan: 135,
  l3ipvlan: 136,
  ieee8023adLag: 161,
  bridge: 209,
  gpon: 250,
};

/** Loopbacks and virtual interfaces (VLAN subinterfaces, tunnels, bridges of VLANs) are left out unless asked for. */
export const DEFAULT_EXCLUDE_TYPES = ['softwareLoopback', 'propVirtual', 'tunnel', 'l2vlan', 'l3ipvlan'];

const EnvName = (what: string) => Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', expected: `the name of an environment variable holding the ${what}` });
const FilePath = (what: string) => Type.String({ minLength: 1, expected: `a path to a file whose first line is the ${what}` });
const Names = (what: string) => Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 1000, expected: `a list of ${what}` });

const Device = Type.Object(
  {
    host: Type.String({ minLength: 1, expected: 'the router or switch as a host name or IP address' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 161, expected: 'a UDP port from 1 to 65535' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, expected: 'the device name for the `device` tag (1 to 64 characters)' })),
    version: Type.Union([Type.Literal('2c'), Type.Literal('3'), Type.Literal(3)], { default: '2c', expected: '"2c" or 3' }),
    communityFile: Type.Optional(FilePath('SNMP v2c community')),
    communityEnv: Type.Optional(EnvName('SNMP v2c community')),
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 32, expected: 'the SNMP v3 user name' })),
    authProtocol: Type.Union([Type.Literal('sha'), Type.Literal('sha256')], { default: 'sha256', expected: '"sha" or "sha256"' }),
    authKeyFile: Type.Optional(FilePath('SNMP v3 authentication password')),
    authKeyEnv: Type.Optional(EnvName('SNMP v3 authentication password')),
    privProtocol: Type.Union([Type.Literal('aes')], { default: 'aes', expected: '"aes" (AES-128)' }),
    privKeyFile: Type.Optional(FilePath('SNMP v3 privacy password')),
    privKeyEnv: Type.Optional(EnvName('SNMP v3 privacy password')),
    wan: Type.Optional(Names('interface names (ifName) that are WAN links')),
    // Accepted by the schema only so that validation can say why they are refused.
    community: Type.Optional(Type.Unknown()),
    authKey: Type.Optional(Type.Unknown()),
    privKey: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

const schema = Type.Object({
  devices: Type.Array(Device, { minItems: 1, maxItems: 500, expected: 'a list of devices, each with a host' }),
  include: Type.Optional(Names('interface name patterns (* and ?) to keep')),
  exclude: Type.Optional(Names('interface name patterns (* and ?) to leave out')),
  includeTypes: Type.Optional(Type.Array(Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 1, maximum: 1000 })]), { expected: 'a list of IANAifType names or numbers' })),
  excludeTypes: Type.Optional(Type.Array(Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 1, maximum: 1000 })]), { expected: 'a list of IANAifType names or numbers' })),
  maxInterfaces: Type.Integer({ minimum: 1, maximum: 10000, default: 1000, expected: 'a whole number from 1 to 10000' }),
  maxRepetitions: Type.Integer({ minimum: 1, maximum: 100, default: 20, expected: 'a whole number from 1 to 100' }),
  stateFile: Type.Optional(Type.String({ minLength: 1, expected: 'a path where the previous counters are kept' })),
  onceWindow: Type.String({ default: '5s', expected: 'a duration such as 5s' }),
  concurrency: Type.Integer({ minimum: 1, maximum: 64, default: 8, expected: 'a whole number from 1 to 64' }),
});

export type SnmpInterfacesConfig = CheckConfig<typeof schema>;
export type DeviceConfig = SnmpInterfacesConfig['devices'][number];

export const snmpInterfacesSpec = defineSpec({
  type: 'snmp_interfaces',
  summary: 'Router and switch interfaces over SNMP (IF-MIB): up/down, traffic, utilisation, errors and discards',
  schema,
  defaults: { interval: '60s', timeout: '10s' },
  measurements: ['net_interface', 'net_device'],
  validate: validateSnmpInterfaces,
});

/** The IANAifType number of a name or number from the config; undefined when unknown. */
export function ifTypeOf(t: string | number): number | undefined {
  return typeof t === 'number' ? t : IF_TYPES[t];
}

function secretIssues(d: DeviceConfig, at: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const never = (key: string, use: string) => issues.push({ path: joinPath(at, key), message: `a secret is never written in the YAML (it would be in backups and logs); use ${use}` });
  if (d.community !== undefined) never('community', 'communityFile (a file whose first line is the community) or communityEnv (an environment variable)');
  if (d.authKey !== undefined) never('authKey', 'authKeyFile or authKeyEnv');
  if (d.privKey !== undefined) never('privKey', 'privKeyFile or privKeyEnv');
  if (issues.length) return issues;
  const one = (file: string | undefined, env: string | undefined, key: string, what: string) => {
    if (file && env) issues.push({ path: joinPath(at, `${key}File`), message: `use ${key}File or ${key}Env, not both` });
    else if (!file && !env) issues.push({ path: at, message: `missing; SNMP ${what} needs ${key}File or ${key}Env` });
  };
  if (String(d.version) === '3') {
    if (!d.user) issues.push({ path: joinPath(at, 'user'), message: 'missing; SNMP v3 needs the user name (authPriv: user, authKeyFile or authKeyEnv, privKeyFile or privKeyEnv)' });
    one(d.authKeyFile, d.authKeyEnv, 'authKey', 'v3 (authPriv)');
    one(d.privKeyFile, d.privKeyEnv, 'privKey', 'v3 (authPriv)');
  } else {
    one(d.communityFile, d.communityEnv, 'community', 'v2c');
  }
  return issues;
}

function validateSnmpInterfaces(config: SnmpInterfacesConfig, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const names = new Map<string, number>();
  config.devices.forEach((d, i) => {
    const at = joinPath(joinPath(path, 'devices'), i);
    if (!isHostOrIp(d.host)) issues.push({ path: joinPath(at, 'host'), message: `expected a host name or an IP address, got ${JSON.stringify(d.host)}` });
    issues.push(...secretIssues(d, at));
    const name = d.name ?? d.host;
    if (names.has(name)) issues.push({ path: joinPath(at, d.name ? 'name' : 'host'), message: `expected a unique device name, "${name}" is used twice (set name:)` });
    names.set(name, i);
  });
  for (const key of ['includeTypes', 'excludeTypes'] as const) {
    (config[key] ?? []).forEach((t, i) => {
      if (ifTypeOf(t) === undefined) issues.push({ path: joinPath(joinPath(path, key), i), message: `unknown interface type ${JSON.stringify(t)} (known names: ${Object.keys(IF_TYPES).join(', ')}; or an IANAifType number)` });
    });
  }
  const window = durationIssue(config.onceWindow, joinPath(path, 'onceWindow'), { minMs: 1000, maxMs: 300_000 });
  if (window) issues.push(window);
  else if (parseDuration(config.onceWindow)! + 2 * config.timeoutMs > config.intervalMs) {
    issues.push({ path: joinPath(path, 'onceWindow'), message: `two polls ${config.onceWindow} apart, each with the ${config.timeout} timeout, take longer than the interval (${config.interval})` });
  }
  return issues;
}
