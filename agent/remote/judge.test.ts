// A pushed configuration judged against a local file: the same validation as the file, remotePolicy
// (networks, hosts, paths, check types, defaults), bounds, names, and the merge with local checks.
import { describe, expect, it } from 'vitest';
import { configHash, FLEET_LIMITS } from '../../protocol/index.ts';
import { parseAgentConfig } from '../config.ts';
import { judgeRemoteConfig } from './judge.ts';
import { networkContains, parseNetwork } from './cidr.ts';
import { pathRefusal, effectivePolicy } from './policy.ts';

const local = (extra: Record<string, unknown> = {}, checks: unknown[] = []) =>
  parseAgentConfig('/etc/canhgac/agent.yaml', { collector: { url: 'http://127.0.0.1:8443', tokenFile: '/var/lib/canhgac/token' }, checks, ...extra });

const payload = (checks: unknown[], profile = 'cap-xa', version = 3) => ({ profile, version, hash: configHash(profile, checks), checks });

function reasons(checks: unknown[], cfg = local()) {
  const v = judgeRemoteConfig(payload(checks), cfg);
  return v.ok ? [] : v.reasons;
}

describe('remotePolicy', () => {
  const policy = { remotePolicy: { networks: ['127.0.0.0/28'], hosts: ['portal.example.vn', '*.so-y-te.example.vn'], paths: ['/etc/ssl/certs'], checkTypes: ['ping', 'tcp', 'http', 'cert_file'] } };

  it('accepts targets inside it and computes the hash itself', () => {
    const checks = [{ type: 'ping', name: 'gw', targets: ['127.0.0.2', 'portal.example.vn', 'www.so-y-te.example.vn'] }, { type: 'cert_file', name: 'certs', paths: ['/etc/ssl/certs/*.pem'] }];
    const v = judgeRemoteConfig({ ...payload(checks), hash: 'f'.repeat(64) }, local(policy));
    expect(v.ok).toBe(true);
    expect(v.state).toMatchObject({ profile: 'cap-xa', version: 3, hash: configHash('cap-xa', checks) });
  });

  it('refuses a network, a host, a path and a check type outside it, each with its reason', () => {
    expect(
      reasons(
        [
          { type: 'tcp', name: 'scan', targets: ['127.0.0.99:22', '[::1]:22'] },
          { type: 'http', name: 'other', targets: ['https://evil.example.com/', 'https://so-y-te.example.vn/'] },
          { type: 'cert_file', name: 'keys', paths: ['/etc/ssl/private/key.pem', '/etc/ssl/certs/../private/x', 'relative/x.pem'] },
          { type: 'dns', name: 'dns', queries: [{ name: 'portal.example.vn' }] },
        ],
        local(policy),
      ),
    ).toEqual([
      'checks[0].targets[0]: 127.0.0.99 is outside remotePolicy.networks: 127.0.0.0/28',
      'checks[0].targets[1]: ::1 is outside remotePolicy.networks: 127.0.0.0/28',
      'checks[1].targets[0]: evil.example.com is not in remotePolicy.hosts: portal.example.vn, *.so-y-te.example.vn',
      'checks[1].targets[1]: so-y-te.example.vn is not in remotePolicy.hosts: portal.example.vn, *.so-y-te.example.vn',
      'checks[2].paths[0]: /etc/ssl/private/key.pem is not under remotePolicy.paths: /etc/ssl/certs',
      'checks[2].paths[1]: "/etc/ssl/certs/../private/x": expected a path without ".."',
      'checks[2].paths[2]: "relative/x.pem": expected an absolute path',
      'checks[3].type: check type dns is not in remotePolicy.checkTypes (ping, tcp, http, cert_file)',
    ]);
  });

  it('by default allows the local discovery subnets and the collector, the usual probes, and no path', () => {
    const cfg = local({}, [{ type: 'discovery', subnets: ['127.0.1.0/24'] }]);
    expect(reasons([{ type: 'ping', name: 'a', targets: ['127.0.1.7', '127.0.0.1'] }, { type: 'tcp', name: 'b', targets: ['127.0.1.9:80'] }], cfg)).toEqual([]);
    expect(reasons([{ type: 'ping', name: 'a', targets: ['127.0.2.1'] }], cfg)).toEqual([
      'checks[0].targets[0]: 127.0.2.1 is outside remotePolicy.networks (default: the local discovery subnets and the collector): 127.0.1.0/24, 127.0.0.1',
    ]);
    expect(reasons([{ type: 'discovery', name: 'sweep', subnets: ['127.0.1.0/25'] }], cfg)).toEqual([
      'checks[0].type: check type discovery is not in remotePolicy.checkTypes (host, ping, tcp, http, tls, dns, videoconf)',
    ]);
    expect(reasons([{ type: 'http', name: 'c', targets: ['https://127.0.1.2/'], ca: '/etc/canhgac/ca.pem' }], cfg)).toEqual(['checks[0].ca: /etc/canhgac/ca.pem is not under remotePolicy.paths: none']);
  });

  it('a collector addressed by name is the one host allowed by default', () => {
    const cfg = parseAgentConfig('/x.yaml', { collector: { url: 'https://collector.example.vn:8443', tokenFile: '/t' }, checks: [] });
    expect(reasons([{ type: 'tcp', name: 'c', targets: ['collector.example.vn:8443', 'COLLECTOR.example.vn.:443', 'other.example.vn:1'] }], cfg)).toEqual([
      'checks[0].targets[2]: other.example.vn is not in remotePolicy.hosts (default: the collector): collector.example.vn',
    ]);
  });

  it('a subnet to sweep must lie wholly inside one allowed network', () => {
    const cfg = local({ remotePolicy: { networks: ['127.0.0.0/25', '127.0.0.128/25'], checkTypes: ['discovery'] } });
    expect(reasons([{ type: 'discovery', name: 'a', subnets: ['127.0.0.0/26'] }], cfg)).toEqual([]);
    expect(reasons([{ type: 'discovery', name: 'a', subnets: ['127.0.0.0/24'], maxHosts: 1022 }], cfg)).toEqual([
      'checks[0].subnets[0]: 127.0.0.0/24 is not inside remotePolicy.networks: 127.0.0.0/25, 127.0.0.128/25',
    ]);
  });

  it('never lets a profile choose where the agent writes, name its environment, or follow redirects out', () => {
    const cfg = local({ remotePolicy: { networks: ['127.0.0.0/8'], paths: ['/'], checkTypes: ['discovery', 'cert_file', 'http'] } });
    expect(
      reasons([
        { type: 'discovery', name: 'd', subnets: ['127.0.0.0/30'], stateFile: '/etc/cron.d/x' },
        { type: 'cert_file', name: 'c', paths: ['/etc/ssl'], passwordEnv: 'CANHGAC_TOKEN' },
        { type: 'http', name: 'h', targets: ['http://127.0.0.1/'], followRedirects: true },
      ], cfg),
    ).toEqual([
      'checks[0].stateFile: a remote profile may not choose where the agent writes; the check keeps its state in its default place',
      'checks[1].passwordEnv: a remote profile may not name the agent’s environment variables',
      'checks[2].followRedirects: a redirect could lead outside remotePolicy',
    ]);
  });
});

describe('the pushed configuration itself', () => {
  it('is validated by the same code as the local file, with the same words', () => {
    expect(reasons([{ type: 'tcp', name: 'a', targets: ['127.0.0.1:22'], interval: 'soon' }, { type: 'pong', name: 'b' }])).toEqual([
      'checks[0].interval: expected a duration such as 30s, 5m or 1h, got "soon"',
      expect.stringMatching(/^checks\[1\]\.type: unknown check type "pong" \(known: /),
    ]);
  });

  it('needs a unique name per check, and holds nothing but checks', () => {
    expect(reasons([{ type: 'host' }, { type: 'host', name: 'h' }, { type: 'host', name: 'h' }])).toEqual([
      'checks[0].name: missing; every check of a profile needs a name (checks merge with the local ones by name)',
      'checks[2].name: "h" is used twice in the profile',
    ]);
    const v = judgeRemoteConfig({ ...payload([]), collector: { url: 'https://evil.example.com' } }, local());
    expect(v.ok).toBe(false);
    expect(judgeRemoteConfig({ profile: 'x', version: 1, hash: 'none', checks: 'all' }, local()).ok).toBe(false);
  });

  it('is bounded: long strings, deep nesting, too many checks', () => {
    expect(reasons([{ type: 'host', name: 'x'.repeat(FLEET_LIMITS.stringLength + 1) }])).toEqual([`checks[0].name: longer than ${FLEET_LIMITS.stringLength} characters`]);
    let deep: unknown = 1;
    for (let i = 0; i < 12; i++) deep = { a: deep };
    expect(reasons([{ type: 'host', name: 'd', x: deep }])[0]).toMatch(/nested deeper than 8 levels/);
    const many = Array.from({ length: FLEET_LIMITS.checks + 1 }, (_, i) => ({ type: 'host', name: `h${i}` }));
    expect(judgeRemoteConfig(payload(many), local()).ok).toBe(false);
  });
});

describe('merging with the local checks', () => {
  it('a local check wins over a remote one of the same name; remote ones get ids of their own', () => {
    const cfg = local({}, [{ type: 'tcp', name: 'portal', targets: ['127.0.0.1:80'] }, { type: 'host' }]);
    const v = judgeRemoteConfig(payload([{ type: 'tcp', name: 'portal', targets: ['127.0.0.1:443'] }, { type: 'ping', name: 'gw', targets: ['127.0.0.1'] }]), cfg);
    if (!v.ok) throw new Error(v.reasons.join('\n'));
    expect(v.overridden).toEqual(['portal']);
    expect(v.checks.map((e) => e.id)).toEqual(['checks[0] (tcp portal)', 'checks[1] (host)', 'profile cap-xa: gw (ping)']);
    expect(v.checks[0].config.targets).toEqual(['127.0.0.1:80']);
  });

  it('no profile (null, no checks) leaves the local checks alone', () => {
    const cfg = local({}, [{ type: 'host' }]);
    const v = judgeRemoteConfig({ profile: null, version: 0, hash: 'none', checks: [] }, cfg);
    expect(v.ok && v.checks.length === 1 && v.state.hash === 'none').toBe(true);
  });
});

describe('networks and paths', () => {
  it('contains whole networks only', () => {
    const n = (s: string) => parseNetwork(s)!;
    expect(networkContains(n('10.0.0.0/8'), n('10.1.2.3'))).toBe(true);
    expect(networkContains(n('10.0.0.0/24'), n('10.0.0.0/23'))).toBe(false);
    expect(networkContains(n('2001:db8::/32'), n('2001:db8:1::/48'))).toBe(true);
    expect(networkContains(n('2001:db8::/32'), n('2001:db9::1'))).toBe(false);
    expect(networkContains(n('::ffff:0:0/96'), n('::ffff:192.0.2.1'))).toBe(true);
    expect(networkContains(n('10.0.0.0/8'), n('::1'))).toBe(false);
    expect(parseNetwork('10.0.0.0/33')).toBeUndefined();
    expect(parseNetwork('portal.example.vn')).toBeUndefined();
  });

  it('judges a path by whole segments, and Windows paths case-insensitively', () => {
    const p = effectivePolicy({ checkTypes: [], paths: ['/etc/ssl', 'C:\\Certs'] }, { discoverySubnets: [] });
    expect(pathRefusal('/etc/ssl/x.pem', p)).toBeUndefined();
    expect(pathRefusal('/etc/ssl', p)).toBeUndefined();
    expect(pathRefusal('/etc/sslx/y.pem', p)).toMatch(/not under/);
    expect(pathRefusal('/etc/ss*', p)).toMatch(/not under/);
    expect(pathRefusal('c:\\certs\\a.pfx', p, 'win32')).toBeUndefined();
    expect(pathRefusal('D:\\certs\\a.pfx', p, 'win32')).toMatch(/not under/);
  });
});
