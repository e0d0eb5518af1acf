// The agent config error corpus: one invalid file per validation rule in agent/testdata/, each with the
// exact message a person gets (file, key, what was expected), and proof that validating touches no network.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, SECURITY_CHECKS } from '../protocol/index.ts';
import { resolveHost } from './checks/common/probe.ts';
import { checkTypes } from './checks/registry.ts';
import { loadAgentConfig } from './config.ts';

const TESTDATA = join(import.meta.dirname, 'testdata');
const KNOWN = checkTypes().join(', ');
const SECURITY_IDS = SECURITY_CHECKS.map((c) => c.id).join(', ');

/** File in agent/testdata/ → the one line after `FILE: ` that validation must print for it. */
const CORPUS: Record<string, string> = {
  'invalid-not-a-mapping.yaml': 'expected a mapping with at least a `checks` key',
  'invalid-yaml-syntax.yaml': 'line 3 column 3: invalid YAML: Block collections are not allowed within flow collections',
  'invalid-duplicate-key.yaml': 'line 3 column 1: invalid YAML: Map keys must be unique',
  'invalid-missing-checks.yaml': 'checks: missing; expected a list of checks, each with a type',
  'invalid-unknown-top-level-key.yaml': 'colector: unknown key (known keys: collector, agent, outbox, checks, remoteConfig, remotePolicy, selfUpdate)',
  'invalid-unknown-key-in-section.yaml': 'agent.sendEvery: unknown key (known keys: logLevel, statusInterval, maxSplay, sendInterval, maxBackoff, sampleLog)',
  'invalid-collector-missing-token-file.yaml': 'collector.tokenFile: missing; expected a path where the agent token is kept',
  'invalid-collector-http-remote.yaml':
    'collector.url: plain HTTP is refused for a collector that is not on this machine; use https:// (got "http://collector.example.vn:8443")',
  'invalid-collector-not-a-url.yaml': 'collector.url: expected a URL such as https://collector.example.vn:8443, got "collector.example.vn"',
  'invalid-collector-scheme.yaml': 'collector.url: expected an https:// URL, got "ftp://collector.example.vn/"',
  'invalid-log-level.yaml': 'agent.logLevel: expected one of "debug", "info", "warn", "error", got "loud"',
  'invalid-agent-duration.yaml': 'agent.statusInterval: expected a duration such as 30s, 5m or 1h, got "60"',
  'invalid-send-interval-too-short.yaml': 'agent.sendInterval: must be at least 0.1s, got "10ms"',
  'invalid-outbox-max-bytes.yaml': 'outbox.maxBytes: expected a size in bytes of at least 65536 (64 KiB), got number 1000',
  'invalid-outbox-max-age-too-short.yaml': 'outbox.maxAge: must be at least 1m, got "30s"',
  'invalid-check-not-a-mapping.yaml': `checks[0]: expected a mapping with a type (one of ${KNOWN})`,
  'invalid-check-missing-type.yaml': `checks[0].type: missing; expected one of ${KNOWN}`,
  'invalid-check-unknown-type.yaml': `checks[0].type: unknown check type "pong" (known: ${KNOWN})`,
  'invalid-check-type-constructor.yaml': `checks[0].type: unknown check type "constructor" (known: ${KNOWN})`,
  'invalid-check-type-proto.yaml': `checks[0].type: unknown check type "__proto__" (known: ${KNOWN})`,
  'invalid-check-unknown-key.yaml': 'checks[0].colour: unknown key (known keys: type, name, group, interval, timeout, enabled)',
  'invalid-check-bad-duration.yaml': 'checks[0].interval: expected a duration such as 30s, 5m or 1h, got "soon"',
  'invalid-check-interval-too-short.yaml': 'checks[0].interval: must be at least 1s, got "100ms"',
  'invalid-check-interval-too-long.yaml': 'checks[0].interval: must be at most 7d, got "30d"',
  'invalid-check-timeout-too-short.yaml': 'checks[0].timeout: must be at least 0.01s, got "1ms"',
  'invalid-check-timeout-over-interval.yaml': 'checks[0].timeout: must not be longer than the interval (10s), got "20s"',
  'invalid-check-enabled-not-boolean.yaml': 'checks[0].enabled: expected true or false, got "no"',
  'invalid-check-empty-name.yaml': 'checks[0].name: expected a display name of 1 to 128 characters, got ""',
  'invalid-ping-target.yaml': 'checks[0].targets[0]: expected a host name or an IP address, got "-f"',
  'invalid-ping-packet-interval.yaml': 'checks[0].packetInterval: must be at least 0.2s, got "100ms"',
  'invalid-ping-burst-over-interval.yaml': 'checks[0].count: a burst of 100 packets every 1s plus the 2s timeout lasts longer than the interval (30s)',
  'invalid-ping-count.yaml': 'checks[0].count: expected a whole number from 1 to 100, got "many"',
  'invalid-tcp-target-without-port.yaml': 'checks[0].targets[0]: expected host:port (or [IPv6]:port) with a port from 1 to 65535, got "127.0.0.1"',
  'invalid-tcp-empty-targets.yaml': 'checks[0].targets: needs at least 1 item: expected a list of "host:port" targets, got an empty list',
  'invalid-http-url-scheme.yaml': 'checks[0].targets[0]: expected a URL starting with http:// or https://, got "ftp://portal.example.vn/"',
  // The URL is not echoed: it carries a password.
  'invalid-http-url-credentials.yaml': 'checks[0].targets[0]: expected a URL without a user name or password (they would end up in tags and logs)',
  'invalid-http-expect-status.yaml': 'checks[0].expectStatus: expected a status code from 100 to 599 or a list of them, got number 700',
  'invalid-tls-sni-ip.yaml': 'checks[0].sni: expected a host name (not an IP address), got "192.0.2.1"',
  'invalid-tls-starttls.yaml': 'checks[0].starttls: expected one of "smtp", "imap", "pop3", "ftp", got "xmpp"',
  'invalid-cert-file-password.yaml':
    'checks[0].password: a password is never written in the YAML; use passwordEnv (the name of an environment variable) or passwordFile',
  'invalid-cert-file-nothing.yaml': 'checks[0]: expected `paths`, `stores` or both',
  'invalid-discovery-subnet.yaml':
    'checks[0].subnets[0]: expected an IPv4 subnet in CIDR form with a prefix from /8 to /32, such as 192.0.2.0/24, got "192.0.2.0"',
  'invalid-discovery-subnet-too-large.yaml':
    'checks[0].subnets[0]: 10.0.0.0/16 has 65534 addresses, more than maxHosts (1022); sweeping more than a /22 needs maxHosts raised on purpose',
  'invalid-discovery-router-community.yaml': 'checks[0].router.community: missing; SNMP v2c needs the read-only community',
  'invalid-security-unknown-id.yaml': `checks[0].disable[0]: unknown check id "no-such-check" (known ids: ${SECURITY_IDS})`,
  'invalid-videoconf-duplicate-name.yaml': 'checks[0].endpoints[1].name: expected a unique name, "ubnd-tinh" is used twice',
  'invalid-videoconf-https-url.yaml': 'checks[0].endpoints[0].https.url: expected a URL starting with http:// or https://, got "ftp://192.0.2.10/"',
  'invalid-web-integrity-url.yaml': 'checks[0].sites[0].url: expected a URL such as https://example.vn/, got "portal.example.vn"',
  'invalid-web-integrity-max-pages.yaml': 'checks[0].sites[0].maxPages: expected a whole number from 1 to 5000, got number 10000',
  'invalid-web-integrity-unknown-key.yaml': 'checks[0].sites[0].maxpages: unknown key (known keys: url, name, maxPages, maxDepth, sitemap, allow, trustedDomains)',
  'invalid-auth-events-allow-source.yaml': 'checks[0].allowSources[1]: expected an address or CIDR such as 10.0.0.5 or 10.0.0.0/24, got "10.0.0.0/33"',
  'invalid-auth-events-within.yaml': 'checks[0].bruteForce.within: expected a duration such as 30s, 5m or 1h, got "ten minutes"',
  'invalid-auth-events-failures.yaml': 'checks[0].bruteForce.failures: expected a whole number from 2 to 100000, got number 1',
  'invalid-auth-events-unknown-key.yaml': 'checks[0].spraying.user: unknown key (known keys: users, within)',
  'invalid-auth-events-interval.yaml': 'checks[0].interval: must be at least 5s for auth_events, got "2s"',
  'invalid-dns-server.yaml': 'checks[0].server: expected a DNS server as host, host:port or [IPv6]:port with a port from 1 to 65535, got "127.0.0.1:99999"',
  'invalid-dns-query-name.yaml': 'checks[0].queries[0].name: expected a DNS name such as portal.example.vn, got "https://portal.example.vn/"',
  'invalid-dns-expect-a.yaml': 'checks[0].queries[0].expect[0]: expected an IPv4 address for an A record, got "portal.example.vn"',
  'invalid-dns-unknown-key.yaml': 'checks[0].queries[0].expected: unknown key (known keys: name, type, expect)',
  'invalid-remote-config-not-boolean.yaml': 'remoteConfig: expected true or false, got "no"',
  'invalid-remote-policy-network.yaml': 'remotePolicy.networks[0]: expected a network in CIDR form or an address, such as 10.12.0.0/24, got "10.12.0.0/33"',
  'invalid-remote-policy-check-type.yaml': `remotePolicy.checkTypes[0]: unknown check type "shell" (known: ${KNOWN})`,
  'invalid-remote-policy-path.yaml': 'remotePolicy.paths[0]: expected an absolute path, got "certs"',
  'invalid-remote-policy-host.yaml': 'remotePolicy.hosts[0]: expected a host name or *.domain, got "http://portal.example.vn/"',
  'invalid-remote-policy-unknown-key.yaml': 'remotePolicy.network: unknown key (known keys: checkTypes, networks, hosts, paths)',
  'invalid-self-update-public-key.yaml':
    'selfUpdate.publicKey: expected the Ed25519 public key line `canhgac-collector release keygen` printed (MCowBQYDK2VwAyEA...), got "/etc/canhgac/release.pub"',
  'invalid-self-update-missing-key.yaml': 'selfUpdate.publicKey: missing; expected the release public key, the one line `canhgac-collector release keygen` printed (MCowBQYDK2VwAyEA...)',
  'invalid-self-update-health-timeout.yaml': 'selfUpdate.healthTimeout: must be at least 5s, got "1s"',
  'invalid-self-update-channel.yaml': 'selfUpdate.channel: expected a channel name such as stable or pilot (lower case), got "Pilot"',
  'invalid-self-update-unknown-key.yaml': 'selfUpdate.allowDowngrades: unknown key (known keys: publicKey, channel, allowDowngrade, healthTimeout, downloadTimeout, maxBytes)',
  'invalid-snmp-community-in-yaml.yaml':
    'checks[0].devices[0].community: a secret is never written in the YAML (it would be in backups and logs); use communityFile (a file whose first line is the community) or communityEnv (an environment variable)',
  'invalid-snmp-unknown-key.yaml':
    'checks[0].devices[0].wans: unknown key (known keys: host, port, name, version, communityFile, communityEnv, user, authProtocol, authKeyFile, authKeyEnv, privProtocol, privKeyFile, privKeyEnv, wan, community, authKey, privKey)',
  'invalid-snmp-v3-without-user.yaml': 'checks[0].devices[0].user: missing; SNMP v3 needs the user name (authPriv: user, authKeyFile or authKeyEnv, privKeyFile or privKeyEnv)',
  'invalid-snmp-host.yaml': 'checks[0].devices[0].host: expected a host name or an IP address, got "udp://192.0.2.1:161"',
  'invalid-mail-domain-not-a-domain.yaml': 'checks[0].domains[0].domain: expected a mail domain such as example.gov.vn (no scheme, address or @), got "vanthu@example.vn"',
  'invalid-mail-domain-unknown-key.yaml': 'checks[0].domains[0].dkim: unknown key (known keys: domain, dkimSelectors, smtpPort, httpsPort)',
};

const require = createRequire(import.meta.url);

/**
 * Replaces every way out of this process that agent code uses (sockets, datagrams, name resolution,
 * child processes such as ping) with a function that records the attempt and throws.
 */
function trapNetwork(): { attempts: string[]; restore: () => void } {
  const attempts: string[] = [];
  const undo: (() => void)[] = [];
  const trap = (owner: Record<string, unknown>, key: string, label: string) => {
    const original = owner[key];
    owner[key] = (...args: unknown[]) => {
      attempts.push(`${label}(${String(args[0]).slice(0, 80)})`);
      throw new Error(`validation must not use the network: ${label}`);
    };
    undo.push(() => (owner[key] = original));
  };
  const net = require('node:net');
  const dgram = require('node:dgram');
  const dns = require('node:dns');
  const dnsPromises = require('node:dns/promises');
  const childProcess = require('node:child_process');
  trap(net.Socket.prototype, 'connect', 'net.Socket.connect');
  for (const k of ['send', 'bind', 'connect']) trap(dgram.Socket.prototype, k, `dgram.Socket.${k}`);
  for (const k of ['lookup', 'lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'reverse']) {
    trap(dns, k, `dns.${k}`);
    trap(dnsPromises, k, `dns/promises.${k}`);
  }
  for (const k of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) trap(childProcess, k, `child_process.${k}`);
  // Named ESM imports (`import { lookup } from 'node:dns/promises'`) follow the patched objects only after this.
  syncBuiltinESMExports();
  return {
    attempts,
    restore: () => {
      for (const u of undo.reverse()) u();
      syncBuiltinESMExports();
    },
  };
}

describe('agent config error corpus (agent/testdata/)', () => {
  it('every file in agent/testdata/ has its expected message, and every message its file', () => {
    expect(readdirSync(TESTDATA).sort()).toEqual(Object.keys(CORPUS).sort());
  });

  it.each(Object.entries(CORPUS))('%s', (name, expected) => {
    const file = join(TESTDATA, name);
    const net = trapNetwork();
    let thrown: unknown;
    try {
      loadAgentConfig(file);
    } catch (err) {
      thrown = err;
    } finally {
      net.restore();
    }
    expect(net.attempts).toEqual([]);
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).issues).toHaveLength(1);
    expect((thrown as ConfigError).message).toBe(`${file}: ${expected}`);
  });

  it('the trap does catch a name lookup and a connect made by agent code (so the corpus proves something)', async () => {
    const net = trapNetwork();
    try {
      await expect(resolveHost('portal.example.vn')).rejects.toThrow(/must not use the network/);
      const { Socket } = await import('node:net');
      expect(() => new Socket().connect({ host: '127.0.0.1', port: 9 })).toThrow(/must not use the network/);
    } finally {
      net.restore();
    }
    expect(net.attempts).toEqual(['dns/promises.lookup(portal.example.vn)', 'net.Socket.connect([object Object])']);
  });
});
