import { existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import dgram from 'node:dgram';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../config.ts';
import { ConfigError } from '../../../protocol/index.ts';
import { hostAddresses, hostCount, parseCidr, subnetOf } from './cidr.ts';
import { icmpSweep, parseFpingAlive } from './icmp-sweep.ts';
import { emptyState, rememberCycle, rememberExposures } from './known-devices.ts';
import { normaliseMac, parseArpA, parseGetNetNeighborJson, parseIpNeigh, parseProcNetArp } from './neighbour-parse.ts';
import { BUNDLED_OUI_FILE, lookupVendors, parseCsvLine, shortVendor, SYSTEM_OUI_FILES } from './oui.ts';
import { ReverseNames } from './reverse-dns.ts';
import { tcpAlive, tcpConnect } from './tcp-probe.ts';

// Network safety: the only traffic here goes to 127.0.0.1 (192.0.2.x below are only names asked of a DNS server on loopback). The LAN test (test/discovery-lan.test.ts)
// sweeps addresses inside network namespaces it creates.

const fixture = (name: string, enc: BufferEncoding = 'utf8') => readFileSync(new URL(`./fixtures/${name}`, import.meta.url)).toString(enc);

describe('neighbour table parsers (recorded outputs)', () => {
  it('Linux ip -s neigh: states, MACs, seconds since confirmed; no MAC for failed or incomplete resolution', () => {
    expect(parseIpNeigh(fixture('ip-neigh.txt'))).toEqual([
      { ip: '10.119.228.222', state: 'failed', confirmedAgoS: 61 },
      { ip: '10.119.228.11', mac: '02:cc:00:03:00:01', state: 'reachable', confirmedAgoS: 1 },
      { ip: '10.119.228.136', state: 'failed', confirmedAgoS: 61 },
      { ip: '10.119.228.10', mac: '02:cc:00:02:00:01', state: 'stale', confirmedAgoS: 48 },
      { ip: '10.119.228.1', mac: '00:00:0c:9f:f0:01', state: 'reachable', confirmedAgoS: 0 },
      { ip: '10.119.228.14', mac: '3c:52:82:1a:2b:3c', state: 'stale', confirmedAgoS: 31 },
      { ip: '10.119.228.20', mac: '02:cc:00:09:00:01', state: 'permanent', confirmedAgoS: 312 },
      { ip: '10.119.228.30', state: 'failed', confirmedAgoS: 5 },
    ]);
    expect(parseIpNeigh('10.0.0.5 dev eth0 lladdr 02:00:00:00:00:05 REACHABLE\n')).toEqual([{ ip: '10.0.0.5', mac: '02:00:00:00:00:05', state: 'reachable' }]);
  });

  it('Linux /proc/net/arp: complete entries only carry a MAC', () => {
    expect(parseProcNetArp(fixture('proc-net-arp.txt'))).toEqual([
      { ip: '10.119.228.11', mac: '02:cc:00:03:00:01', state: 'unknown' },
      { ip: '10.119.228.222', state: 'failed' },
      { ip: '10.119.228.1', mac: '00:00:0c:9f:f0:01', state: 'unknown' },
      { ip: '10.119.228.20', mac: '02:cc:00:09:00:01', state: 'permanent' },
    ]);
  });

  const windowsEntries = [
    { ip: '192.168.10.1', mac: '00:00:0c:9f:f0:01', state: 'unknown' },
    { ip: '192.168.10.17', mac: '3c:52:82:1a:2b:3c', state: 'unknown' },
  ];
  it('Windows arp -a in English, several interfaces; broadcast and multicast dropped', () => {
    expect(parseArpA(fixture('arp-a-en.txt'))).toEqual([...windowsEntries, { ip: '172.16.5.1', mac: 'f4:f2:6d:11:22:33', state: 'unknown' }]);
  });
  it('Windows arp -a in Vietnamese, as UTF-8 and as the console code page (CP1258) read as latin1', () => {
    expect(parseArpA(fixture('arp-a-vi.txt'))).toEqual(windowsEntries);
    expect(parseArpA(fixture('arp-a-vi-cp1258.txt', 'latin1'))).toEqual(windowsEntries);
  });
  it('Windows Get-NetNeighbor JSON: state names or numbers, a single object, unreachable without MAC', () => {
    expect(parseGetNetNeighborJson(fixture('get-netneighbor.json'))).toEqual([
      { ip: '192.168.10.1', mac: '00:00:0c:9f:f0:01', state: 'reachable' },
      { ip: '192.168.10.17', mac: '3c:52:82:1a:2b:3c', state: 'stale' },
      { ip: '192.168.10.40', state: 'failed' },
      { ip: '192.168.10.255', state: 'failed' },
      { ip: '224.0.0.22', state: 'failed' },
      { ip: '192.168.10.50', mac: 'f4:f2:6d:11:22:33', state: 'reachable' },
    ]);
    expect(parseGetNetNeighborJson('\uFEFF{"IPAddress":"192.168.10.1","LinkLayerAddress":"00-00-0C-9F-F0-01","State":"Reachable"}')).toEqual([windowsEntries[0] && { ...windowsEntries[0], state: 'reachable' }]);
    expect(parseGetNetNeighborJson('')).toEqual([]);
  });
  it('normalises MACs and refuses zero, broadcast and multicast ones', () => {
    expect(normaliseMac('0-1B-21-A:b:C')).toBe('00:1b:21:0a:0b:0c');
    expect(normaliseMac('00:00:00:00:00:00')).toBeUndefined();
    expect(normaliseMac('01-00-5e-00-00-16')).toBeUndefined();
    expect(normaliseMac('00:11:22:33:44')).toBeUndefined();
  });
});

describe('subnets', () => {
  it('parses CIDR, clears host bits, counts and lists the hosts', () => {
    expect(parseCidr('192.0.2.77/24')).toMatchObject({ cidr: '192.0.2.0/24', prefix: 24 });
    expect(parseCidr('192.0.2.0/33')).toBeUndefined();
    expect(parseCidr('2001:db8::/64')).toBeUndefined();
    const s = parseCidr('198.51.100.0/30')!;
    expect(hostCount(s)).toBe(2);
    expect(hostAddresses(s)).toEqual(['198.51.100.1', '198.51.100.2']);
    expect(hostCount(parseCidr('10.0.0.0/22')!)).toBe(1022);
    expect(hostAddresses(parseCidr('192.0.2.9/32')!)).toEqual(['192.0.2.9']);
    const both = [parseCidr('10.0.0.0/16')!, parseCidr('10.0.5.0/24')!];
    expect(subnetOf(both, '10.0.5.9')?.cidr).toBe('10.0.5.0/24');
    expect(subnetOf(both, '10.1.0.1')).toBeUndefined();
  });
  it('reads fping -a output', () => {
    expect(parseFpingAlive('192.0.2.1\n192.0.2.7\nICMP Host Unreachable from 192.0.2.250 for ICMP Echo sent to 192.0.2.9\n')).toEqual(['192.0.2.1', '192.0.2.7']);
  });
});

describe('discovery config', () => {
  const load = (entry: Record<string, unknown>) => parseAgentConfig('agent.yaml', { checks: [{ type: 'discovery', ...entry }] });
  const issues = (entry: Record<string, unknown>) => {
    try {
      load(entry);
      return [];
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).message.split('\n');
    }
  };

  it('fills the defaults: icmp + neighbours + tcp, every 15 minutes, the risky-service list', () => {
    const cfg = load({ subnets: ['192.0.2.0/24'] }).checks[0].config as Record<string, unknown>;
    expect(cfg).toMatchObject({ methods: ['icmp', 'neighbours', 'tcp'], interval: '15m', intervalMs: 900_000, maxHosts: 1022, resolveNames: true });
    expect((cfg.exposurePorts as { service: string; port: number }[]).map((p) => `${p.service}/${p.port}`)).toEqual(
      expect.arrayContaining(['telnet/23', 'ftp/21', 'smb/445', 'rdp/3389', 'vnc/5900', 'snmp/161']),
    );
  });
  it('refuses a subnet larger than /22 unless maxHosts is raised, and says so', () => {
    expect(issues({ subnets: ['10.0.0.0/16'] })).toEqual([
      'agent.yaml: checks[0].subnets[0]: 10.0.0.0/16 has 65534 addresses, more than maxHosts (1022); sweeping more than a /22 needs maxHosts raised on purpose',
    ]);
    expect(issues({ subnets: ['10.0.0.0/16'], maxHosts: 65534 })).toEqual([]);
    expect(issues({ subnets: ['10.0.0.0/22'] })).toEqual([]);
  });
  it('names every bad key with what was expected', () => {
    expect(issues({ subnets: [] })).toEqual(['agent.yaml: checks[0].subnets: needs at least 1 item: expected a list of IPv4 subnets in CIDR form, such as 192.0.2.0/24, got an empty list']);
    expect(issues({ subnets: ['192.0.2.0/24', 'lan', '192.0.2.128/25'], methods: ['icmp', 'arp'], router: { host: '192.0.2.1' } })).toEqual([
      'agent.yaml: checks[0].methods[1]: expected one of "icmp", "neighbours", "tcp", got "arp"',
    ]);
    expect(issues({ subnets: ['192.0.2.0/24', 'lan', '192.0.2.128/25'], router: { host: '192.0.2.1' }, exposurePorts: [{ port: 161, protocol: 'udp', service: 'snmp', risk: 3 }] })).toEqual([
      'agent.yaml: checks[0].subnets[1]: expected an IPv4 subnet in CIDR form with a prefix from /8 to /32, such as 192.0.2.0/24, got "lan"',
      'agent.yaml: checks[0].subnets[2]: 192.0.2.128/25 overlaps 192.0.2.0/24, listed before it',
      'agent.yaml: checks[0].router.community: missing; SNMP v2c needs the read-only community',
      'agent.yaml: checks[0].exposurePorts[0].community: missing; UDP services are probed with SNMP, which needs the community to try (such as public)',
    ]);
    expect(issues({ subnets: ['192.0.2.0/24'], router: { host: '192.0.2.1', version: '3', user: { name: 'canhgac', privKey: 'privpass12' } } })).toEqual([
      'agent.yaml: checks[0].router.user.authKey: missing; privacy (privKey) needs authentication (authKey) too',
    ]);
  });
});

describe('IEEE OUI vendors', () => {
  it('reads quoted CSV and shortens legal suffixes', () => {
    expect(parseCsvLine('MA-L,F4F26D,"TP-LINK TECHNOLOGIES CO.,LTD.","Building 24, Shenzhen"')).toEqual(['MA-L', 'F4F26D', 'TP-LINK TECHNOLOGIES CO.,LTD.', 'Building 24, Shenzhen']);
    expect(shortVendor('TP-LINK TECHNOLOGIES CO.,LTD.')).toBe('TP-LINK TECHNOLOGIES');
    expect(shortVendor('Cisco Systems, Inc')).toBe('Cisco Systems');
  });
  it('finds vendors in the bundled compact copy (and the same in Debian ieee-data when installed), longest prefix first', () => {
    const macs = ['00:00:0c:12:34:56', '3c:52:82:00:00:01', 'f4:f2:6d:11:22:33', '02:cc:00:00:00:01'];
    const bundled = lookupVendors(macs, BUNDLED_OUI_FILE);
    expect(Object.fromEntries(bundled.vendors)).toEqual({ '00:00:0c:12:34:56': 'Cisco Systems', '3c:52:82:00:00:01': 'Hewlett Packard', 'f4:f2:6d:11:22:33': 'TP-LINK TECHNOLOGIES' });
    expect(lookupVendors(macs).vendors).toEqual(bundled.vendors);
    if (existsSync(SYSTEM_OUI_FILES[0])) expect(lookupVendors(macs, SYSTEM_OUI_FILES[0]).vendors).toEqual(bundled.vendors);
    // 70:B3:D5 is an MA-L block of the IEEE Registration Authority, split into MA-S (36-bit) assignments.
    expect(lookupVendors(['70:b3:d5:00:00:01'], BUNDLED_OUI_FILE).vendors.get('70:b3:d5:00:00:01')).toBe('IEEE Registration Authority');
    expect(lookupVendors(['70:b3:d5:f2:f0:01'], BUNDLED_OUI_FILE).vendors.get('70:b3:d5:f2:f0:01')).toBe('TELEPLATFORMS');
    expect(lookupVendors(['20:85:93:b0:00:01'], BUNDLED_OUI_FILE).vendors.get('20:85:93:b0:00:01')).toBe('IOG Products');
  });
});

describe('known devices (agent state)', () => {
  const t0 = new Date('2026-11-27T01:00:00Z');
  it('takes the first cycle as the baseline, then counts MACs never seen on the subnet', () => {
    const st = emptyState();
    const first = rememberCycle(st, '192.0.2.0/24', [{ key: 'aa', ip: '192.0.2.1' }, { key: 'bb', ip: '192.0.2.2' }], t0);
    expect(first).toMatchObject({ baseline: true, absent: [] });
    expect(first.newKeys.size).toBe(0);
    const second = rememberCycle(st, '192.0.2.0/24', [{ key: 'aa', ip: '192.0.2.1' }, { key: 'cc', ip: '192.0.2.3' }], new Date(t0.getTime() + 60_000));
    expect([...second.newKeys]).toEqual(['cc']);
    expect(second.absent).toEqual([{ key: 'bb', ip: '192.0.2.2' }]);
    // Forgotten after 30 days unseen: the file stays bounded.
    const later = rememberCycle(st, '192.0.2.0/24', [{ key: 'aa', ip: '192.0.2.1' }], new Date(t0.getTime() + 31 * 86_400_000));
    expect(later.absent).toEqual([]);
    expect(Object.keys(st.subnets['192.0.2.0/24'].devices)).toEqual(['aa']);
  });
  it('reports a risky service once when it closes on an address probed again', () => {
    const st = emptyState();
    expect(rememberExposures(st, 's', new Set(['192.0.2.1', '192.0.2.2']), ['192.0.2.1|23|tcp|telnet', '192.0.2.2|445|tcp|smb'])).toEqual([]);
    // 192.0.2.2 was not probed this cycle (off): its open service is kept, not closed.
    expect(rememberExposures(st, 's', new Set(['192.0.2.1']), [])).toEqual(['192.0.2.1|23|tcp|telnet']);
    expect(rememberExposures(st, 's', new Set(['192.0.2.1']), [])).toEqual([]);
    expect(st.subnets.s.openExposures).toEqual(['192.0.2.2|445|tcp|smb']);
  });
});

describe('probes on loopback', () => {
  it('a TCP reset counts as a live host, an accepted connection as an open port', async () => {
    const server = net.createServer((s) => s.destroy()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const signal = new AbortController().signal;
    try {
      expect(await tcpConnect('127.0.0.1', port, 1000, signal)).toBe('open');
      const closed = net.createServer().listen(0, '127.0.0.1');
      await once(closed, 'listening');
      const closedPort = (closed.address() as net.AddressInfo).port;
      await new Promise((r) => closed.close(r));
      expect(await tcpConnect('127.0.0.1', closedPort, 1000, signal)).toBe('closed');
      expect(await tcpAlive('127.0.0.1', [closedPort], 1000, signal)).toBe(true);
    } finally {
      server.close();
    }
  });
  it('the built-in sweep (system ping, one process per address) finds loopback when fping is not used', async () => {
    const r = await icmpSweep(['127.0.0.1'], { timeoutMs: 1000, concurrency: 4, signal: new AbortController().signal, noFping: true });
    expect(r.tool).toBe('ping');
    expect([...r.alive]).toEqual(['127.0.0.1']);
  });
});

describe('reverse DNS', () => {
  it('names the addresses that have a PTR record, within the time bound, and leaves the others out', async () => {
    // A tiny DNS server on loopback: a PTR answer for 192.0.2.7, nothing (NXDOMAIN) for the rest,
    // and no answer at all for 192.0.2.9 (a server that drops the query).
    const server = dgram.createSocket('udp4');
    server.on('message', (q, rinfo) => {
      const name = readQName(q, 12);
      if (name === '9.2.0.192.in-addr.arpa') return;
      const found = name === '7.2.0.192.in-addr.arpa';
      const header = Buffer.from(q.subarray(0, 12));
      header.writeUInt16BE(found ? 0x8180 : 0x8183, 2);
      header.writeUInt16BE(found ? 1 : 0, 6);
      const question = q.subarray(12, q.length);
      const rdata = encodeName('printer-tang-2.so-y-te.example.vn');
      const answer = found
        ? Buffer.concat([Buffer.from([0xc0, 0x0c, 0x00, 0x0c, 0x00, 0x01, 0, 0, 0x0e, 0x10, rdata.length >> 8, rdata.length & 255]), rdata])
        : Buffer.alloc(0);
      server.send(Buffer.concat([header, question, answer]), rinfo.port, rinfo.address);
    });
    server.bind(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const names = new ReverseNames(300, [`127.0.0.1:${server.address().port}`]);
      const started = Date.now();
      for (const ip of ['192.0.2.7', '192.0.2.8', '192.0.2.9']) names.add(ip);
      const got = await names.done(new AbortController().signal);
      expect(Object.fromEntries(got)).toEqual({ '192.0.2.7': 'printer-tang-2.so-y-te.example.vn' });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      server.close();
    }
  });
});

function readQName(buf: Buffer, at: number): string {
  const labels: string[] = [];
  while (buf[at] !== 0 && at < buf.length) {
    labels.push(buf.subarray(at + 1, at + 1 + buf[at]).toString('ascii'));
    at += buf[at] + 1;
  }
  return labels.join('.').toLowerCase();
}

function encodeName(name: string): Buffer {
  return Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
}
