// The reach table against the real check schemas: every key of every judged check type has a role (a
// new key fails here before it could slip past remotePolicy), and what each check type reaches, by example.
import { describe, expect, it } from 'vitest';
import type { TSchema } from 'typebox';
import { registry } from '../checks/registry.ts';
import { parseAgentConfig } from '../config.ts';
import { REACH, reachOf, type Role, type Table } from './reach.ts';

/** Every property path of a schema: `a`, `a.b`, `list[].c`. */
function schemaPaths(schema: TSchema, prefix = '', out = new Set<string>()): Set<string> {
  const s = schema as Record<string, unknown>;
  for (const [k, v] of Object.entries((s.properties as Record<string, TSchema>) ?? {})) {
    out.add(prefix + k);
    schemaPaths(v, `${prefix}${k}.`, out);
  }
  if (s.items) schemaPaths(s.items as TSchema, `${prefix.replace(/\.$/, '')}[].`, out);
  for (const alt of (s.anyOf as TSchema[]) ?? []) schemaPaths(alt, prefix, out);
  return out;
}

/** The paths a table describes, and those it covers wholesale as `plain`. */
function tablePaths(table: Table, prefix = '', out = { described: new Set<string>(), plain: [] as string[] }) {
  const visit = (role: Role, path: string) => {
    out.described.add(path);
    if (role === 'plain') out.plain.push(path);
    else if (typeof role === 'object' && 'list' in role) {
      const inner = role.list;
      if (typeof inner === 'object' && 'object' in inner) tablePaths(inner.object, `${path}[].`, out);
    } else if (typeof role === 'object' && ('object' in role || 'trueOr' in role)) tablePaths('object' in role ? role.object : role.trueOr, `${path}.`, out);
  };
  for (const [k, role] of Object.entries(table)) visit(role, prefix + k);
  return out;
}

/** Keys under a `plain` key, as they are today: one more (a nested target?) must be looked at and listed. */
const UNDER_PLAIN: Record<string, string[]> = {
  dns: ['queries[].name', 'queries[].type', 'queries[].expect'],
  videoconf: [
    'endpoints[].sip[].transport',
    'endpoints[].sip[].port',
    'endpoints[].h323.port',
    'endpoints[].snmp.community',
    'endpoints[].snmp.port',
    'thresholds.maxLossPercent',
    'thresholds.maxJitterMs',
    'thresholds.maxRttMs',
    'thresholds.minMos',
  ],
  discovery: [
    'router.user.name',
    'router.user.authProtocol',
    'router.user.authKey',
    'router.user.privProtocol',
    'router.user.privKey',
    'exposurePorts[].port',
    'exposurePorts[].protocol',
    'exposurePorts[].service',
    'exposurePorts[].risk',
    'exposurePorts[].community',
  ],
  web_integrity: ['keywords.extra', 'keywords.disable'],
  security: ['waivers[].id', 'waivers[].reason', 'waivers[].by', 'waivers[].until'],
  auth_events: ['bruteForce.failures', 'bruteForce.within', 'spraying.users', 'spraying.within', 'successAfterFailures.failures', 'successAfterFailures.within'],
};

describe('the reach table', () => {
  it.each(Object.keys(REACH))('%s: every key of its schema has a role', (type) => {
    expect(Object.hasOwn(registry, type)).toBe(true);
    const { described, plain } = tablePaths(REACH[type]);
    const unclassified: string[] = [];
    const underPlain: string[] = [];
    for (const p of schemaPaths(registry[type].schema)) {
      if (described.has(p)) continue;
      if (plain.some((q) => p.startsWith(`${q}.`) || p.startsWith(`${q}[]`))) underPlain.push(p);
      else unclassified.push(p);
    }
    expect(unclassified).toEqual([]);
    expect(underPlain).toEqual(UNDER_PLAIN[type] ?? []);
    // And nothing in the table that the check does not have (a renamed key would leave a stale role).
    const keys = schemaPaths(registry[type].schema);
    expect([...described].filter((p) => !keys.has(p))).toEqual([]);
  });

  it('a check type without a table is refused as a whole (fail closed)', () => {
    const { reached, refused } = reachOf('snmp_interfaces', { type: 'snmp_interfaces', devices: [{ host: '127.0.0.1' }] }, 'checks[0]');
    expect(reached).toEqual([]);
    expect(refused).toEqual([{ path: 'checks[0].type', message: 'the agent cannot judge what a snmp_interfaces check reaches, so a remote profile may not use it' }]);
  });

  it('a key the table does not know is refused, even of a judged type', () => {
    const { refused } = reachOf('tcp', { type: 'tcp', targets: ['127.0.0.1:1'], command: 'rm -rf /' }, 'checks[0]');
    expect(refused).toEqual([{ path: 'checks[0].command', message: 'the agent cannot judge what this key reaches, so a remote profile may not use it' }]);
  });
});

/** One check as the agent would run it (defaults filled in by the real validation), and what it reaches. */
function reached(check: Record<string, unknown>) {
  const [entry] = parseAgentConfig('profile', { checks: [check] }).checks;
  const r = reachOf(entry.def.type, entry.config, 'checks[0]');
  return { reached: r.reached.map((x) => `${x.kind} ${x.path} ${x.value}`), refused: r.refused.map((x) => x.path) };
}

describe('what each check type reaches', () => {
  it.each<[string, Record<string, unknown>, string[], string[]]>([
    ['host', { type: 'host' }, [], []],
    ['ping', { type: 'ping', targets: ['127.0.0.2', 'portal.example.vn'] }, ['host checks[0].targets[0] 127.0.0.2', 'host checks[0].targets[1] portal.example.vn'], []],
    ['tcp', { type: 'tcp', targets: ['127.0.0.2:22', '[::1]:443'] }, ['host checks[0].targets[0] 127.0.0.2', 'host checks[0].targets[1] ::1'], []],
    [
      'http',
      { type: 'http', targets: ['https://[::1]:8443/x', 'http://portal.example.vn/'], ca: '/etc/canhgac/ca.pem', followRedirects: true },
      ['host checks[0].targets[0] ::1', 'host checks[0].targets[1] portal.example.vn', 'readPath checks[0].ca /etc/canhgac/ca.pem'],
      ['checks[0].followRedirects'],
    ],
    ['tls', { type: 'tls', targets: ['127.0.0.3:443'], sni: 'portal.example.vn' }, ['host checks[0].targets[0] 127.0.0.3'], []],
    ['dns without a server (the system resolver)', { type: 'dns', queries: [{ name: 'portal.example.vn' }] }, [], []],
    ['dns', { type: 'dns', server: '127.0.0.53:5353', queries: [{ name: 'portal.example.vn' }] }, ['host checks[0].server 127.0.0.53'], []],
    [
      'videoconf',
      { type: 'videoconf', endpoints: [{ name: 'a', address: '127.0.0.4', https: { url: 'https://127.0.0.5/', ca: '/etc/vc.pem' } }, { name: 'b', address: 'vc.example.vn', https: true }] },
      ['host checks[0].endpoints[0].address 127.0.0.4', 'host checks[0].endpoints[0].https.url 127.0.0.5', 'readPath checks[0].endpoints[0].https.ca /etc/vc.pem', 'host checks[0].endpoints[1].address vc.example.vn'],
      [],
    ],
    [
      'discovery',
      { type: 'discovery', subnets: ['127.0.0.0/30'], router: { host: '127.0.0.1', community: 'public' }, stateFile: '/etc/passwd', ouiFile: '/usr/share/oui.csv' },
      ['subnet checks[0].subnets[0] 127.0.0.0/30', 'host checks[0].router.host 127.0.0.1', 'readPath checks[0].ouiFile /usr/share/oui.csv'],
      ['checks[0].stateFile'],
    ],
    ['web_integrity', { type: 'web_integrity', sites: [{ url: 'https://portal.example.vn/' }], stateFile: '/tmp/x' }, ['host checks[0].sites[0].url portal.example.vn'], ['checks[0].stateFile']],
    ['security', { type: 'security', clockReference: 'https://127.0.0.1:8443/healthz', clockReferenceCa: '/etc/ca.pem' }, ['host checks[0].clockReference 127.0.0.1', 'readPath checks[0].clockReferenceCa /etc/ca.pem'], []],
    [
      'cert_file',
      { type: 'cert_file', paths: ['/etc/ssl/certs/*.pem'], passwordEnv: 'HOME' },
      ['readPath checks[0].paths[0] /etc/ssl/certs/*.pem'],
      ['checks[0].passwordEnv'],
    ],
    [
      'auth_events',
      { type: 'auth_events', logFiles: ['/var/log/auth.log'], journal: false, stateFile: '/etc/shadow' },
      ['readPath checks[0].logFiles[0] /var/log/auth.log'],
      ['checks[0].stateFile'],
    ],
  ])('%s', (_what, check, expected, refused) => {
    expect(reached(check)).toEqual({ reached: expected, refused });
  });
});
