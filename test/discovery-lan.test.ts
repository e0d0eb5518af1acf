import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireSample } from '../protocol/index.ts';
import { createAdminToken } from '../collector/state/admin-tokens.ts';
import { listEvents } from '../collector/state/events.ts';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { spawn } from 'node:child_process';
import { AGENT_BIN, COLLECTOR_BIN, ROOT, runCli, writeYaml } from './support/agent.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { createLan, waitListening, type LanHost, type TestLan } from './support/netns-lan.ts';
import { missing } from './support/require.ts';

// Network safety: every probe runs inside the scanner namespace (`ip netns exec`), whose only links
// lead to the namespaces this test creates; the collector and influxd listen on 127.0.0.1 of this
// machine and are reached from the test process, never from the scanner.

// A cycle takes a few seconds on an idle machine; the bound is for a CI machine shared by many jobs.
const CYCLE_BUDGET_MS = 180_000;

const skip = missing({ root: true, commands: ['ip', 'fping', 'nft', 'snmpd', 'socat', 'ss', 'influxd'] });

// Real OUIs on a few hosts, so vendor names can be checked: Cisco (router), HP, TP-Link.
const VENDOR_MACS = ['00:00:0c:9f:f0:01', '3c:52:82:1a:2b:3c', 'f4:f2:6d:11:22:33'];
const VENDORS: Record<string, string> = { [VENDOR_MACS[0]]: 'Cisco Systems', [VENDOR_MACS[1]]: 'Hewlett Packard', [VENDOR_MACS[2]]: 'TP-LINK TECHNOLOGIES' };

/** Run a command inside a namespace without blocking the collector that runs in this process. */
function runIn(ns: string, cmd: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...cmd], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(skip)('discovery on a namespace LAN (40 hosts, a router with snmpd, real collector)', () => {
  let lan: TestLan;
  let influx: Influxd;
  let tc: TestCollector;
  let dir: string;
  let agentToken: string;
  let viewerToken: string;
  let configFile: string;
  let dropper: LanHost;
  // A /28 behind the router: enough for its hosts, and quick to probe address by address.
  let subnetB: string;
  const listeners: Record<string, number[]> = { h2: [23], h3: [445, 3389], h4: [23, 445, 3389] };

  beforeAll(async () => {
    const started = Date.now();
    dir = mkdtempSync(join(tmpdir(), 'canhgac-discovery-'));
    // 40 host namespaces: the router (on both subnets), 36 hosts on subnet a, 3 behind the router on b.
    lan = createLan({ hosts: 36, subnetBHosts: 3, router: true, vendorMacs: VENDOR_MACS });
    subnetB = `${lan.netB}.0/28`;
    const host = (name: string) => lan.hosts.find((h) => h.name === name)!;
    for (const [name, ports] of Object.entries(listeners)) {
      for (const port of ports) lan.spawnIn(host(name).ns, ['socat', `TCP4-LISTEN:${port},bind=${host(name).ip},reuseaddr,fork`, 'OPEN:/dev/null']);
    }
    // h5 drops every ICMP echo request: only the TCP probe (or its ARP answer) gives it away.
    dropper = host('h5');
    const nft = lan.run(dropper.ns, ['nft', '-f', '-'], 'table inet t {\n  chain guard {\n    type filter hook input priority 0;\n    icmp type echo-request drop\n  }\n}\n');
    expect(nft.code, nft.stderr).toBe(0);
    // The router answers SNMP with a private community (read by the check) and with `public` (an exposure).
    const snmpConf = join(dir, 'snmpd.conf');
    writeFileSync(snmpConf, `agentAddress udp:${lan.router!.ip}:161\nrocommunity canhgac-ro default\nrocommunity public default\n`);
    lan.spawnIn(lan.router!.ns, ['snmpd', '-f', '-Lo', '-C', '-c', snmpConf, '-M', '/nonexistent', '-m', '', '-p', join(dir, 'snmpd.pid')]);
    await Promise.all([
      ...Object.entries(listeners).flatMap(([name, ports]) => ports.map((p) => waitListening(host(name).ns, p))),
      waitListening(lan.router!.ns, 161, 'udp'),
    ]);
    // Warm the router's ARP table for the subnet behind it, as a working router's would be.
    lan.run(lan.router!.ns, ['fping', '-q', '-r0', '-t200', ...lan.hosts.filter((h) => h.side === 'b').map((h) => h.ip)]);

    influx = await startInfluxd();
    tc = await startTestCollector(influx.url);
    agentToken = (await tc.enrolAgent('so-y-te', 'scanner')).token;
    viewerToken = await createAdminToken(tc.collector.state, 'lan-test', 'viewer');

    const common = { type: 'discovery', timeout: '1s', resolveNames: true };
    configFile = writeYaml(join(dir, 'agent.yaml'), {
      agent: { logLevel: 'debug' },
      checks: [
        { ...common, name: 'lan', subnets: [lan.subnetA, subnetB], router: { host: lan.router!.ip, community: 'canhgac-ro' }, stateFile: join(dir, 'state.json') },
        // The same ICMP-dropping host seen by ICMP alone, and by ICMP + TCP (no neighbour table).
        { ...common, name: 'icmp-only', subnets: [`${dropper.ip}/32`], methods: ['icmp'], exposurePorts: [], stateFile: join(dir, 'state-icmp.json') },
        { ...common, name: 'icmp-tcp', subnets: [`${dropper.ip}/32`], methods: ['icmp', 'tcp'], exposurePorts: [], stateFile: join(dir, 'state-tcp.json') },
      ],
    });
    console.log(`test LAN and collector ready in ${Date.now() - started} ms`);
  });

  afterAll(async () => {
    lan?.teardown();
    await tc?.close();
    await influx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One agent cycle inside the scanner namespace; its samples for subnets a and b are posted with the agent's token. */
  async function cycle(): Promise<{ all: WireSample[]; lan: WireSample[] }> {
    const r = await runIn(lan.scannerNs, [process.execPath, AGENT_BIN, 'once', '--json', '--config', configFile]);
    expect(r.code, r.stderr).toBe(0);
    // The phases and their durations, for whoever reads a failure.
    console.log(r.stderr.split('\n').filter((l) => l.includes('phase')).map((l) => { const j = JSON.parse(l); return `${j.name} ${j.phase} ${j.ms}ms`; }).join('; '));
    const all = JSON.parse(r.stdout) as WireSample[];
    const mine = all.filter((s) => s.measurement === 'lan_exposure' || s.tags.subnet === lan.subnetA || s.tags.subnet === subnetB);
    const post = await fetch(`${tc.url}/api/v1/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${agentToken}` },
      body: JSON.stringify({ samples: mine }),
    });
    expect(post.status, await post.clone().text()).toBe(200);
    return { all, lan: mine };
  }

  const summary = (samples: WireSample[], subnet: string) => samples.find((s) => s.measurement === 'lan_summary' && s.tags.subnet === subnet)?.fields;
  const devicesUp = (samples: WireSample[], subnets: string[]) =>
    Object.fromEntries(samples.filter((s) => s.measurement === 'lan_device' && s.fields.up === 1 && subnets.includes(s.tags.subnet)).map((s) => [s.fields.ip, s.tags.mac]));
  async function inventory(query: string): Promise<{ mac: string; ip: string; new: boolean; stale: boolean; vendor?: string; exposures: { port: string }[] }[]> {
    const res = await fetch(`${tc.url}/api/v1/agencies/so-y-te/devices${query}`, { headers: { authorization: `Bearer ${viewerToken}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { devices: never[] }).devices;
  }

  let first: WireSample[];

  it('finds every host with its MAC (scanner excluded), vendors, every exposed service, and the ICMP-dropping host by TCP', async () => {
    first = (await cycle()).all;
    const onA = lan.hosts.filter((h) => h.side === 'a');
    const onB = lan.hosts.filter((h) => h.side === 'b');
    expect(onA.length).toBe(37);
    expect(devicesUp(first, [lan.subnetA])).toEqual(Object.fromEntries(onA.map((h) => [h.ip, h.mac])));
    const b = devicesUp(first, [subnetB]);
    expect(Object.keys(b).sort()).toEqual([`${lan.netB}.1`, ...onB.map((h) => h.ip)].sort());
    for (const h of onB) expect(b[h.ip]).toBe(h.mac);
    expect(new Set(Object.values({ ...devicesUp(first, [lan.subnetA]), ...b })).size).toBe(onA.length + onB.length + 1);
    expect(JSON.stringify(first)).not.toContain(lan.scannerIp);

    const vendorOf = Object.fromEntries(first.filter((s) => s.measurement === 'lan_device' && s.fields.vendor).map((s) => [s.tags.mac, s.fields.vendor]));
    expect(vendorOf).toEqual(VENDORS);

    const open = first.filter((s) => s.measurement === 'lan_exposure' && s.fields.open === 1).map((s) => `${s.tags.ip} ${s.tags.port} ${s.tags.service} risk=${s.fields.risk}`);
    const ipOf = (n: string) => lan.hosts.find((h) => h.name === n)!.ip;
    expect(open.sort()).toEqual(
      [
        `${ipOf('h2')} 23 telnet risk=4`,
        `${ipOf('h3')} 445 smb risk=3`,
        `${ipOf('h3')} 3389 rdp risk=3`,
        `${ipOf('h4')} 23 telnet risk=4`,
        `${ipOf('h4')} 445 smb risk=3`,
        `${ipOf('h4')} 3389 rdp risk=3`,
        `${lan.router!.ip} 161/udp snmp risk=3`,
      ].sort(),
    );

    expect(summary(first, lan.subnetA)).toEqual({ devices: onA.length, new_devices: 0, exposed_services: 7 });
    // The router is a device on both subnets; its address on b (and every MAC on b) comes from SNMP.
    expect(summary(first, subnetB)).toEqual({ devices: onB.length + 1, new_devices: 0, exposed_services: 0 });
    const dropperSummaries = first.filter((s) => s.measurement === 'lan_summary' && s.tags.subnet === `${dropper.ip}/32`).map((s) => s.fields.devices).sort();
    // icmp-only finds nothing there; icmp + tcp finds it.
    expect(dropperSummaries).toEqual([0, 1]);
    expect(devicesUp(first, [lan.subnetA])[dropper.ip]).toBe(dropper.mac);

    const exposed = await inventory('?filter=exposed');
    expect(exposed.map((d) => d.ip).sort()).toEqual([ipOf('h2'), ipOf('h3'), ipOf('h4'), lan.router!.ip].sort());
    expect(await inventory('?filter=new')).toEqual([]);
    expect((await inventory('')).length).toBe(onA.length + onB.length + 1);
  }, CYCLE_BUDGET_MS);

  it('a host added to the LAN is new at the agent (new_devices = 1) and in the collector inventory, with an event', async () => {
    const added = lan.addHost('newcomer');
    const { all } = await cycle();
    expect(summary(all, lan.subnetA)).toMatchObject({ devices: 38, new_devices: 1 });
    expect(summary(all, subnetB)).toMatchObject({ new_devices: 0 });
    const fresh = await inventory('?filter=new');
    expect(fresh.map((d) => [d.mac, d.ip, d.new])).toEqual([[added.mac, added.ip, true]]);
    const events = await listEvents(tc.collector.state, { kind: 'new_device', agency: 'so-y-te' });
    expect(events.map((e) => e.payload.mac)).toEqual([added.mac]);
    expect((events[0].payload.summary as { vi: string }).vi).toContain('Thiết bị mới trong mạng LAN của Sở Y tế');

    const cli = await runCli(COLLECTOR_BIN, ['devices', '--agency', 'so-y-te', '--filter', 'new', '--json', '--config', tc.configFile]);
    expect(cli.code, cli.stderr).toBe(0);
    expect((JSON.parse(cli.stdout) as { mac: string }[]).map((d) => d.mac)).toEqual([added.mac]);
  }, CYCLE_BUDGET_MS);

  it('a host removed from the LAN is reported down by the agent and becomes stale in the inventory', async () => {
    const gone = lan.hosts.find((h) => h.name === 'h10')!;
    const before = (await inventory('')).find((d) => d.mac === gone.mac)!;
    lan.removeHost('h10');
    // The gap between two cycles decides what "stale" can mean here: wait so it is at least 3 s.
    await new Promise((r) => setTimeout(r, 3000));
    const { all } = await cycle();
    expect(Object.keys(devicesUp(all, [lan.subnetA])).sort()).toEqual(lan.hosts.filter((h) => h.side === 'a').map((h) => h.ip).sort());
    expect(summary(all, lan.subnetA)).toMatchObject({ devices: 37, new_devices: 0 });
    expect(all.find((s) => s.measurement === 'lan_device' && s.tags.mac === gone.mac)?.fields).toEqual({ up: 0, ip: gone.ip });
    const lastCycle = Date.parse(all.find((s) => s.measurement === 'lan_summary')!.time);
    const staleAfterS = Math.floor((lastCycle - Date.parse((before as unknown as { lastSeen: string }).lastSeen)) / 2000);
    expect(staleAfterS).toBeGreaterThanOrEqual(1);
    // Query before the freshly seen devices are staleAfterS old.
    const stale = await inventory(`?filter=stale&staleAfter=${staleAfterS}s`);
    expect(stale.map((d) => d.mac)).toEqual([gone.mac]);
  }, CYCLE_BUDGET_MS);
});
