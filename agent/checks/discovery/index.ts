// The discovery check: finds the devices of each LAN subnet (ICMP, neighbour tables, TCP, a router's
// ARP table), names them, probes their risky services and reports new and vanished ones.
import { setMaxListeners } from 'node:events';
import { networkInterfaces } from 'node:os';
import { forEachLimited } from '../common/probe.ts';
import { defineCheck, type CheckContext } from '../types.ts';
import { compareIp, hostAddresses, parseCidr, subnetOf, type Subnet } from './cidr.ts';
import { ExposureProber, exposureKey, type OpenService } from './exposure.ts';
import { icmpSweep } from './icmp-sweep.ts';
import { DEFAULT_STATE_FILE, loadState, rememberCycle, rememberExposures, saveState, type KnownState } from './known-devices.ts';
import type { Neighbour } from './neighbour-parse.ts';
import { readNeighbours } from './neighbours.ts';
import { lookupVendors } from './oui.ts';
import { ReverseNames } from './reverse-dns.ts';
import { readRouterTable, type SnmpTarget } from './snmp-router.ts';
import { discoverySpec, type DiscoveryConfig, type ExposurePort } from './spec.ts';
import { tcpAlive } from './tcp-probe.ts';

export { DEFAULT_MAX_HOSTS, DEFAULT_PROBE_PORTS, METHODS } from './spec.ts';

export const discoveryCheck = defineCheck({ ...discoverySpec, run: runDiscovery });

/** IPv4 addresses of this machine: the scanner is not a device of the LAN it watches. */
function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4') out.add(a.address);
  return out;
}

/**
 * A neighbour entry that proves a device is there now: confirmed by the OS (or the router) and, when
 * the source says when, confirmed since this cycle began. A `REACHABLE` entry outlives its device by
 * up to a minute, a stale one by hours.
 */
function confirmedNow(n: Neighbour, cycleSeconds: number): boolean {
  return n.state === 'reachable' && n.mac !== undefined && (n.confirmedAgoS === undefined || n.confirmedAgoS <= cycleSeconds);
}

interface Found {
  ip: string;
  subnet: Subnet;
}

/** The neighbour entries a cycle read: this machine's table and, with `router`, the router's. */
interface Seen {
  neighbours: Neighbour[];
  routerEntries: Neighbour[];
}

/** What the found devices turned out to be, ready to record. */
interface Enriched {
  devices: Found[];
  macOf: Map<string, string>;
  vendors: Map<string, string>;
  hostnames: Map<string, string>;
  open: OpenService[];
}

async function runDiscovery(config: DiscoveryConfig, ctx: CheckContext): Promise<void> {
  // Hundreds of probes listen to the run's signal at once; that is the design, not a leak.
  setMaxListeners(0, ctx.signal);
  const cycle = new DiscoveryCycle(config, ctx);
  if (cycle.methods.has('icmp')) await cycle.icmp();
  const seen = await cycle.neighbours();
  if (cycle.methods.has('tcp')) seen.neighbours = await cycle.tcp(seen.neighbours);
  const enriched = await cycle.enrich(seen);
  if (ctx.signal.aborted) {
    ctx.log.warn('discovery stopped before the cycle finished; nothing recorded', { found: enriched.devices.length });
    return;
  }
  cycle.record(enriched);
}

/**
 * One cycle, phase by phase (icmp, neighbours, tcp, enrich, record). Every address found by any
 * phase is handed at once to the exposure and reverse-DNS probes, which run alongside the later phases.
 */
class DiscoveryCycle {
  readonly methods: Set<string>;
  private readonly subnets: Subnet[];
  private readonly local = localAddresses();
  private readonly targets: string[];
  private readonly found = new Map<string, Found>();
  private readonly exposures: ExposureProber;
  private readonly names?: ReverseNames;
  private readonly progress: (message: string) => void;
  private readonly cycleStart = performance.now();
  private phaseStart = performance.now();

  constructor(
    private readonly config: DiscoveryConfig,
    private readonly ctx: CheckContext,
  ) {
    this.subnets = config.subnets.map((t) => parseCidr(t)!);
    this.methods = new Set<string>(config.methods);
    this.targets = this.subnets.flatMap(hostAddresses).filter((ip) => !this.local.has(ip));
    // Probes of risky services are one socket each and mostly wait (an SNMP GET to a host without SNMP
    // waits for its whole timeout): four per address slot keeps them from trailing the sweep.
    this.exposures = new ExposureProber(config.exposurePorts as ExposurePort[], config.timeoutMs, Math.min(512, config.concurrency * 4), ctx.signal);
    this.names = config.resolveNames ? new ReverseNames(config.timeoutMs) : undefined;
    this.progress = ctx.progress ?? (() => undefined);
  }

  private phaseDone(phase: string, extra: Record<string, unknown> = {}): void {
    this.ctx.log.debug('discovery phase done', { phase, ms: Math.round(performance.now() - this.phaseStart), ...extra });
    this.phaseStart = performance.now();
  }

  private cycleSeconds(): number {
    return Math.floor((performance.now() - this.cycleStart) / 1000);
  }

  private readonly mark = (ip: string): void => {
    if (this.local.has(ip) || this.found.has(ip)) return;
    const subnet = subnetOf(this.subnets, ip);
    if (!subnet) return;
    this.found.set(ip, { ip, subnet });
    this.exposures.add(ip);
    this.names?.add(ip);
  };

  private readonly inScope = (n: Neighbour): boolean => subnetOf(this.subnets, n.ip) !== undefined;

  async icmp(): Promise<void> {
    const { config, targets, methods, ctx } = this;
    this.progress(`icmp sweep of ${targets.length} addresses`);
    const sweep = await icmpSweep(targets, {
      timeoutMs: config.timeoutMs,
      concurrency: config.concurrency,
      signal: ctx.signal,
      onProgress: (done, alive) => this.progress(`icmp sweep: ${alive} answered${done !== alive ? `, ${done}/${targets.length} probed` : ''}`),
      onAlive: this.mark,
      // Only with the neighbour method: then a host whose ARP answered is counted whatever fping says,
      // and fping's retries cannot help an address whose ARP request got no answer (the kernel asks
      // again only after a second). Routed subnets have no entries: fping runs to its end there.
      settled: methods.has('neighbours') ? (alive) => this.sweepSettled(alive) : undefined,
    });
    if (sweep.error) ctx.log.warn('icmp sweep could not run', { error: sweep.error });
    for (const ip of sweep.alive) this.mark(ip);
    this.phaseDone('icmp', { tool: sweep.tool, alive: sweep.alive.size });
  }

  /** True when every address either answered, failed ARP, or is confirmed by the neighbour table. */
  private async sweepSettled(alive: ReadonlySet<string>): Promise<boolean> {
    const table = new Map((await readNeighbours(this.ctx.signal)).map((n) => [n.ip, n]));
    const open = this.targets.filter((ip) => {
      if (alive.has(ip)) return false;
      const n = table.get(ip);
      return !(n !== undefined && (n.state === 'failed' || confirmedNow(n, this.cycleSeconds())));
    });
    this.ctx.log.debug('icmp sweep: addresses still undecided', { count: open.length, ms: Math.round(performance.now() - this.phaseStart) });
    return open.length === 0;
  }

  async neighbours(): Promise<Seen> {
    const { config, ctx } = this;
    const neighbours = (await readNeighbours(ctx.signal)).filter(this.inScope);
    let routerEntries: Neighbour[] = [];
    if (config.router) {
      this.progress(`reading the ARP table of ${config.router.host}`);
      try {
        const table = await readRouterTable(config.router as SnmpTarget, Math.max(config.timeoutMs, 1000), ctx.signal);
        routerEntries = [...table.neighbours, ...table.own].filter(this.inScope);
      } catch (err) {
        // The community or user is never logged.
        ctx.log.warn('cannot read the router ARP table', { router: config.router.host, error: (err as Error).message });
      }
    }
    this.phaseDone('neighbours', { entries: neighbours.length, router: routerEntries.length });
    if (this.methods.has('neighbours')) {
      // Only entries the OS (or the router) confirmed recently: a stale entry outlives its device by hours.
      for (const n of [...neighbours, ...routerEntries]) if (confirmedNow(n, this.cycleSeconds())) this.mark(n.ip);
    }
    return { neighbours, routerEntries };
  }

  /** TCP probes of the addresses nothing has found yet; returns the neighbour table, re-read when that found some. */
  async tcp(neighbours: Neighbour[]): Promise<Neighbour[]> {
    const { config, ctx } = this;
    // An address whose ARP request just failed is not there, whatever its firewall: no need to wait for it.
    const failed = new Set(neighbours.filter((n) => n.state === 'failed').map((n) => n.ip));
    const candidates = this.targets.filter((ip) => !this.found.has(ip) && !failed.has(ip));
    let done = 0;
    await forEachLimited(candidates, config.concurrency, ctx.signal, async (ip) => {
      if (await tcpAlive(ip, config.probePorts, config.timeoutMs, ctx.signal)) this.mark(ip);
      if (++done % 16 === 0 || done === candidates.length) this.progress(`tcp probe: ${done}/${candidates.length} addresses`);
    });
    // Hosts found only now were resolved by ARP during the probe: read their MAC.
    if (candidates.some((ip) => this.found.has(ip))) neighbours = (await readNeighbours(ctx.signal)).filter(this.inScope);
    this.phaseDone('tcp', { probed: candidates.length });
    return neighbours;
  }

  /** MACs, vendors, names and the exposure probes' results for every device found. */
  async enrich({ neighbours, routerEntries }: Seen): Promise<Enriched> {
    const macOf = new Map<string, string>();
    for (const n of routerEntries) if (n.mac) macOf.set(n.ip, n.mac);
    for (const n of neighbours) if (n.mac && n.state !== 'failed') macOf.set(n.ip, n.mac);

    const devices = [...this.found.values()].sort((a, b) => compareIp(a.ip, b.ip));
    this.progress(`${devices.length} devices: vendors, names and exposed services`);
    const macs = [...new Set(devices.map((d) => macOf.get(d.ip)).filter((m): m is string => m !== undefined))];
    let vendors = new Map<string, string>();
    try {
      vendors = lookupVendors(macs, this.config.ouiFile).vendors;
    } catch (err) {
      this.ctx.log.warn('cannot read the IEEE OUI registry', { file: this.config.ouiFile, error: (err as Error).message });
    }
    const [hostnames, open] = await Promise.all([this.names?.done(this.ctx.signal) ?? new Map<string, string>(), this.exposures.done()]);
    this.phaseDone('enrich', { devices: devices.length, open: open.length });
    return { devices, macOf, vendors, hostnames, open };
  }

  /** The samples of every subnet, against the known-device list, which is then saved. */
  record(enriched: Enriched): void {
    const { config, ctx } = this;
    const stateFile = config.stateFile ?? DEFAULT_STATE_FILE;
    const { state, problem } = loadState(stateFile);
    if (problem) ctx.log.warn('known-device list unreadable; this cycle is a new baseline (no device counted as new)', { problem });
    const now = new Date();
    for (const subnet of this.subnets) this.recordSubnet(subnet, enriched, state, now);
    try {
      saveState(stateFile, state);
    } catch (err) {
      ctx.log.warn('cannot save the known-device list; new devices cannot be counted until it can', { file: stateFile, error: (err as Error).message });
    }
  }

  private recordSubnet(subnet: Subnet, { devices, macOf, vendors, hostnames, open }: Enriched, state: KnownState, now: Date): void {
    const { config, ctx } = this;
    const here = devices.filter((d) => d.subnet === subnet);
    // A device whose MAC could not be learnt (a routed subnet without `router`) is known by its address.
    const keyOf = (ip: string) => macOf.get(ip) ?? `ip:${ip}`;
    const cycle = rememberCycle(state, subnet.cidr, here.map((d) => ({ key: keyOf(d.ip), ip: d.ip })), now);
    for (const d of here) {
      const mac = macOf.get(d.ip);
      ctx.recorder.record(
        'lan_device',
        { subnet: subnet.cidr, mac: keyOf(d.ip) },
        { up: 1, ip: d.ip, vendor: mac ? vendors.get(mac) : undefined, hostname: hostnames.get(d.ip) },
        now,
      );
    }
    for (const a of cycle.absent) ctx.recorder.record('lan_device', { subnet: subnet.cidr, mac: a.key }, { up: 0, ip: a.ip }, now);

    const openHere = open.filter((o) => subnetOf(this.subnets, o.ip) === subnet).sort((a, b) => compareIp(a.ip, b.ip) || a.port.port - b.port.port);
    for (const o of openHere) recordExposure(ctx, o, 1, now);
    const closed = rememberExposures(state, subnet.cidr, new Set(here.map((d) => d.ip)), openHere.map(exposureKey));
    for (const key of closed) {
      const [ip, port, protocol, service] = key.split('|');
      recordExposure(ctx, { ip, port: { port: Number(port), protocol: protocol as 'tcp' | 'udp', service, risk: riskOf(config, service, Number(port)) } }, 0, now);
    }
    ctx.recorder.record('lan_summary', { subnet: subnet.cidr }, { devices: here.length, new_devices: cycle.newKeys.size, exposed_services: openHere.length }, now);
    if (cycle.newKeys.size > 0) ctx.log.info('new devices on the LAN', { subnet: subnet.cidr, devices: [...cycle.newKeys] });
  }
}

function recordExposure(ctx: CheckContext, o: OpenService, open: 0 | 1, time: Date): void {
  const port = o.port.protocol === 'udp' ? `${o.port.port}/udp` : String(o.port.port);
  ctx.recorder.record('lan_exposure', { ip: o.ip, port, service: o.port.service }, { open, risk: o.port.risk }, time);
}

function riskOf(config: DiscoveryConfig, service: string, port: number): number {
  return (config.exposurePorts as ExposurePort[]).find((p) => p.service === service && p.port === port)?.risk ?? 1;
}
