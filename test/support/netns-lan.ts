/**
 * A test LAN of network namespaces (root only): one namespace holding the bridges, one per host
 * with its own veth (its own MAC), one scanner. Addresses exist only inside these namespaces, so
 * whatever runs in the scanner (`lan.exec`) cannot reach anything else. Names are unique per run;
 * `teardown` (also run at process exit) deletes every namespace and stops every process started here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

export interface LanHost {
  name: string;
  ns: string;
  ip: string;
  mac: string;
  /** `a` is the scanner's subnet, `b` a subnet behind the router. */
  side: 'a' | 'b';
}

export interface TestLan {
  id: string;
  /** `10.X.Y` of subnet a (`.0/24`); subnet b is `10.X.(Y+1)`. */
  netA: string;
  netB: string;
  subnetA: string;
  subnetB: string;
  scannerNs: string;
  scannerIp: string;
  hosts: LanHost[];
  router?: LanHost;
  addHost(name: string, opts?: { side?: 'a' | 'b'; mac?: string; octet?: number }): LanHost;
  removeHost(name: string): void;
  /** Run a long-lived process inside a namespace (stopped by teardown). */
  spawnIn(ns: string, cmd: string[]): ChildProcess;
  /** Run a command inside a namespace to completion. */
  run(ns: string, cmd: string[], input?: string): { code: number | null; stdout: string; stderr: string };
  teardown(): void;
}

function ip(args: string[], input?: string): void {
  const r = spawnSync('ip', args, { input, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

/** MACs in the locally administered range, unique per host index; `vendorMacs` puts real OUIs on the first hosts. */
export function macFor(index: number): string {
  return `02:cc:${((index >> 8) & 255).toString(16).padStart(2, '0')}:${(index & 255).toString(16).padStart(2, '0')}:00:01`;
}

interface Pending { ns: string; mac: string; address: string; side: 'a' | 'b'; ifName: string; routes: string[] }

/**
 * Links are made in bulk: one `ip -batch` for every namespace and veth, one for the bridge ports,
 * then one per host for its address (addresses are lost when a link changes namespace).
 */
function applyLinks(links: { brNs: string; namespaces: string[]; port: number }, items: Pending[]): void {
  const root: string[] = [];
  const bridge: string[] = [];
  for (const it of items) {
    const peer = `p${++links.port}`;
    if (it.ns !== links.brNs && !links.namespaces.includes(it.ns)) {
      root.push(`netns add ${it.ns}`);
      links.namespaces.push(it.ns);
    }
    root.push(`link add ${it.ifName} address ${it.mac} netns ${it.ns} type veth peer name ${peer} netns ${links.brNs}`);
    bridge.push(`link set ${peer} master br${it.side}`, `link set ${peer} up`);
  }
  ip(['-batch', '-'], root.join('\n') + '\n');
  ip(['-n', links.brNs, '-batch', '-'], bridge.join('\n') + '\n');
  const byNs = new Map<string, string[]>();
  for (const it of items) {
    const lines = byNs.get(it.ns) ?? ['link set lo up'];
    lines.push(`addr add ${it.address}/24 dev ${it.ifName}`, `link set ${it.ifName} up`, ...it.routes);
    byNs.set(it.ns, lines);
  }
  for (const [ns, lines] of byNs) ip(['-n', ns, '-batch', '-'], lines.join('\n') + '\n');
}

export function createLan(opts: { hosts: number; subnetBHosts?: number; router?: boolean; vendorMacs?: string[] }): TestLan {
  const id = `cg${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  // 10.100-199.x: never the address of a real resolver or gateway of this machine (they are not reachable from here anyway).
  const x = 100 + Math.floor(Math.random() * 100);
  const y = 2 * Math.floor(Math.random() * 120);
  const netA = `10.${x}.${y}`;
  const netB = `10.${x}.${y + 1}`;
  const brNs = `${id}-br`;
  const scannerNs = `${id}-sc`;
  const scannerIp = `${netA}.250`;
  const namespaces: string[] = [];
  const children: ChildProcess[] = [];
  const hosts: LanHost[] = [];
  let nextA = 10;
  let nextB = 10;
  let torn = false;

  const teardown = () => {
    if (torn) return;
    torn = true;
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    const existing = new Set(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]));
    const del = namespaces.filter((n) => existing.has(n)).map((n) => `netns del ${n}`);
    if (del.length) spawnSync('ip', ['-force', '-batch', '-'], { input: del.join('\n') + '\n', timeout: 30_000 });
    rmSync(`/etc/netns/${scannerNs}`, { recursive: true, force: true });
    process.off('exit', teardown);
  };
  process.on('exit', teardown);

  const links = { brNs, namespaces, port: 0 };
  const apply = (items: Pending[]) => applyLinks(links, items);

  const addNs = (ns: string) => {
    ip(['netns', 'add', ns]);
    namespaces.push(ns);
  };

  const hostSpec = (name: string, o: { side?: 'a' | 'b'; mac?: string; octet?: number }): { host: LanHost; pending: Pending } => {
    const side = o.side ?? 'a';
    const octet = o.octet ?? (side === 'a' ? nextA++ : nextB++);
    const ns = `${id}-${name}`;
    const mac = o.mac ?? macFor(hosts.length + 1 + (side === 'b' ? 512 : 0));
    const address = `${side === 'a' ? netA : netB}.${octet}`;
    const routes = lan.router ? [`route add ${side === 'a' ? netB : netA}.0/24 via ${side === 'a' ? netA : netB}.1`] : [];
    const host = { name, ns, ip: address, mac, side };
    hosts.push(host);
    return { host, pending: { ns, mac, address, side, ifName: 'e0', routes } };
  };

  const lan: TestLan = {
    id,
    netA,
    netB,
    subnetA: `${netA}.0/24`,
    subnetB: `${netB}.0/24`,
    scannerNs,
    scannerIp,
    hosts,
    addHost(name, o = {}) {
      const { host, pending } = hostSpec(name, o);
      apply([pending]);
      return host;
    },
    removeHost(name) {
      const i = hosts.findIndex((h) => h.name === name);
      if (i < 0) throw new Error(`no host ${name}`);
      ip(['netns', 'del', hosts[i].ns]);
      hosts.splice(i, 1);
    },
    spawnIn(ns, cmd) {
      const child = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.resume();
      child.stderr!.resume();
      children.push(child);
      return child;
    },
    run(ns, cmd, input) {
      const r = spawnSync('ip', ['netns', 'exec', ns, ...cmd], { input, encoding: 'utf8', timeout: 60_000 });
      return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
    teardown,
  };

  try {
    addNs(brNs);
    ip(['-n', brNs, '-batch', '-'], 'link add bra type bridge\nlink set bra up\nlink add brb type bridge\nlink set brb up\n');
    const first: Pending[] = [{ ns: scannerNs, mac: '02:cc:ff:ff:00:01', address: scannerIp, side: 'a', ifName: 'e0', routes: opts.router ? [`route add ${netB}.0/24 via ${netA}.1`] : [] }];
    // Keep the scanner's name lookups inside its namespace: a resolver on its own loopback (none listens).
    mkdirSync(`/etc/netns/${scannerNs}`, { recursive: true });
    writeFileSync(`/etc/netns/${scannerNs}/resolv.conf`, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    const vendorMacs = [...(opts.vendorMacs ?? [])];
    if (opts.router) {
      const rNs = `${id}-router`;
      const mac = vendorMacs.shift() ?? macFor(1);
      first.push({ ns: rNs, mac, address: `${netA}.1`, side: 'a', ifName: 'e0', routes: [] }, { ns: rNs, mac: macFor(511), address: `${netB}.1`, side: 'b', ifName: 'e1', routes: [] });
      lan.router = { name: 'router', ns: rNs, ip: `${netA}.1`, mac, side: 'a' };
      hosts.push(lan.router);
    }
    const rest: Pending[] = [];
    for (let i = 0; i < opts.hosts; i++) rest.push(hostSpec(`h${i + 1}`, { mac: vendorMacs[i] }).pending);
    for (let i = 0; i < (opts.subnetBHosts ?? 0); i++) rest.push(hostSpec(`b${i + 1}`, { side: 'b' }).pending);
    apply([...first, ...rest]);
    if (lan.router) spawnSync('ip', ['netns', 'exec', lan.router.ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  } catch (err) {
    teardown();
    throw err;
  }
  return lan;
}

/** Wait until a TCP or UDP port listens inside a namespace (bounded). */
export async function waitListening(ns: string, port: number, proto: 'tcp' | 'udp' = 'tcp', timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = spawnSync('ss', ['-N', ns, proto === 'tcp' ? '-ltnH' : '-lunH'], { encoding: 'utf8' });
    if (r.stdout.split('\n').some((l) => new RegExp(`:${port}\\s`).test(l))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${proto}/${port} in ${ns} after ${timeoutMs} ms`);
}
