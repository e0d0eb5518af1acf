/**
 * A router for the snmp_interfaces tests (root only): a network namespace whose interfaces are veth pairs
 * to one namespace per neighbour, Debian's snmpd inside it (v2c community and a v3 authPriv user), and a
 * loopback UDP port in the test's own namespace relayed to that snmpd through a Unix socket (the socket
 * file is shared, the network is not): the check polls 127.0.0.1 and reads the namespace's interfaces.
 * Traffic between the router and a neighbour stays inside the two namespaces.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SnmpDevice {
  ns: string;
  /** The loopback port of the relay: poll 127.0.0.1:port. */
  port: number;
  /** The router's interfaces, `ge1`.., each a veth to neighbour `n<i>`. */
  links: { ifName: string; routerIp: string; neighbourNs: string; neighbourIp: string }[];
  community: string;
  v3: { user: string; authKey: string; privKey: string };
  dir: string;
  /** The kernel's counter for an interface of the router (/sys/class/net/IF/statistics/NAME). */
  kernelCounter(ifName: string, name: 'rx_bytes' | 'tx_bytes' | 'rx_packets' | 'tx_packets'): number;
  /** Runs a command in a namespace to completion (bounded). */
  run(ns: string, cmd: string[]): { code: number | null; stdout: string; stderr: string };
  /** Starts a long-lived command in a namespace (stopped by teardown). */
  spawnIn(ns: string, cmd: string[]): ChildProcess;
  startSnmpd(): Promise<void>;
  stopSnmpd(): Promise<void>;
  teardown(): Promise<void>;
}

/** The relay's end inside the namespace: each Unix connection is one UDP client of snmpd; frames are length + datagram. */
const INNER = `
const net = require('node:net'), dgram = require('node:dgram');
const [path, port] = process.argv.slice(1);
net.createServer((c) => {
  const u = dgram.createSocket('udp4');
  u.connect(Number(port), '127.0.0.1');
  u.on('message', (m) => { const h = Buffer.alloc(2); h.writeUInt16BE(m.length); c.write(Buffer.concat([h, m])); });
  u.on('error', () => {});
  let buf = Buffer.alloc(0);
  c.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const n = buf.readUInt16BE(0);
      u.send(buf.subarray(2, 2 + n), () => {});
      buf = buf.subarray(2 + n);
    }
  });
  c.on('close', () => { try { u.close(); } catch {} });
  c.on('error', () => {});
}).listen(path, () => console.log('ready'));
`;

function sh(args: string[], input?: string): void {
  const r = spawnSync('ip', args, { input, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

/** The test side of the relay: a loopback UDP port; one Unix connection per client address. */
async function startRelay(path: string): Promise<{ port: number; close(): void }> {
  const udp = createSocket('udp4');
  const conns = new Map<string, Socket>();
  const connFor = (r: RemoteInfo): Socket => {
    const key = `${r.address}:${r.port}`;
    let c = conns.get(key);
    if (c && !c.destroyed) return c;
    c = connect(path);
    c.on('error', () => conns.delete(key));
    let buf = Buffer.alloc(0);
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const n = buf.readUInt16BE(0);
        udp.send(buf.subarray(2, 2 + n), r.port, r.address);
        buf = buf.subarray(2 + n);
      }
    });
    conns.set(key, c);
    return c;
  };
  udp.on('message', (m, r) => {
    const h = Buffer.alloc(2);
    h.writeUInt16BE(m.length);
    connFor(r).write(Buffer.concat([h, m]));
  });
  await new Promise<void>((res) => udp.bind(0, '127.0.0.1', () => res()));
  return {
    port: udp.address().port,
    close: () => {
      for (const c of conns.values()) c.destroy();
      udp.close();
    },
  };
}

/** `pairs`: extra veth pairs with both ends in the router (`va<i>`, `vb<i>`), interfaces without a neighbour (benchmarks). */
export async function createSnmpDevice(opts: { links: number; pairs?: number; community?: string }): Promise<SnmpDevice> {
  const id = `cs${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-snmpdev-'));
  const ns = `${id}-r`;
  const children: ChildProcess[] = [];
  const namespaces = [ns];
  const x = 100 + Math.floor(Math.random() * 100);
  const y = Math.floor(Math.random() * 250);
  const links: SnmpDevice['links'] = [];
  const community = opts.community ?? `c-${Math.random().toString(36).slice(2, 12)}`;
  const v3 = { user: 'canhgac', authKey: `a-${Math.random().toString(36).slice(2, 12)}`, privKey: `p-${Math.random().toString(36).slice(2, 12)}` };
  let snmpd: ChildProcess | undefined;
  let relay: { port: number; close(): void } | undefined;
  const spawnIn = (where: string, cmd: string[]) => {
    const child = spawn('ip', ['netns', 'exec', where, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.resume();
    child.stderr!.resume();
    children.push(child);
    return child;
  };
  const device: SnmpDevice = {
    ns,
    port: 0,
    links,
    community,
    v3,
    dir,
    kernelCounter: (ifName, name) => Number(spawnSync('ip', ['netns', 'exec', ns, 'cat', `/sys/class/net/${ifName}/statistics/${name}`], { encoding: 'utf8' }).stdout.trim()),
    run(where, cmd) {
      const r = spawnSync('ip', ['netns', 'exec', where, ...cmd], { encoding: 'utf8', timeout: 60_000 });
      return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
    spawnIn,
    async startSnmpd() {
      // -C: only this file; createUser makes the v3 user at start (its keys localised into the persistent dir).
      const conf = [
        'agentAddress udp:127.0.0.1:1161',
        `rocommunity ${community} 127.0.0.1`,
        `createUser ${v3.user} SHA-256 "${v3.authKey}" AES "${v3.privKey}"`,
        `rouser ${v3.user} priv`,
        'sysDescr Canh Gac test router (snmpd in a network namespace)',
      ].join('\n');
      writeFileSync(join(dir, 'snmpd.conf'), conf + '\n', { mode: 0o600 });
      snmpd = spawn('ip', ['netns', 'exec', ns, 'snmpd', '-f', '-Lf', join(dir, 'snmpd.log'), '-C', '-c', join(dir, 'snmpd.conf'), '-M', '/nonexistent', '-m', '', '-p', join(dir, 'snmpd.pid')], {
        stdio: 'ignore',
        env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, 'persist') },
      });
      for (let i = 0; i < 100; i++) {
        if (device.run(ns, ['snmpget', '-v2c', '-c', community, '-t', '0.2', '-r', '0', '127.0.0.1:1161', '1.3.6.1.2.1.1.3.0']).code === 0) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`snmpd did not answer in ${ns}: ${safeRead(join(dir, 'snmpd.log'))}`);
    },
    async stopSnmpd() {
      const c = snmpd;
      snmpd = undefined;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
    async teardown() {
      relay?.close();
      await device.stopSnmpd();
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      const del = namespaces.map((n) => `netns del ${n}`);
      spawnSync('ip', ['-force', '-batch', '-'], { input: del.join('\n') + '\n', timeout: 30_000 });
      rmSync(dir, { recursive: true, force: true });
      process.off('exit', syncTeardown);
    },
  };
  const syncTeardown = () => {
    for (const c of [snmpd, ...children]) if (c && c.exitCode === null) c.kill('SIGKILL');
    spawnSync('ip', ['-force', '-batch', '-'], { input: namespaces.map((n) => `netns del ${n}`).join('\n') + '\n', timeout: 30_000 });
  };
  process.on('exit', syncTeardown);
  try {
    const batch = [`netns add ${ns}`];
    for (let i = 1; i <= opts.links; i++) {
      const peer = `${id}-n${i}`;
      namespaces.push(peer);
      batch.push(`netns add ${peer}`, `link add ge${i} netns ${ns} type veth peer name e0 netns ${peer}`);
      links.push({ ifName: `ge${i}`, routerIp: `10.${x}.${y}.${4 * i - 3}`, neighbourNs: peer, neighbourIp: `10.${x}.${y}.${4 * i - 2}` });
    }
    sh(['-batch', '-'], batch.join('\n') + '\n');
    const inRouter = ['link set lo up', ...links.flatMap((l) => [`addr add ${l.routerIp}/30 dev ${l.ifName}`, `link set ${l.ifName} up`])];
    for (let i = 1; i <= (opts.pairs ?? 0); i++) inRouter.push(`link add va${i} type veth peer name vb${i}`, `link set va${i} up`, `link set vb${i} up`);
    sh(['-n', ns, '-batch', '-'], inRouter.join('\n') + '\n');
    for (const l of links) sh(['-n', l.neighbourNs, '-batch', '-'], `link set lo up\naddr add ${l.neighbourIp}/30 dev e0\nlink set e0 up\n`);
    await device.startSnmpd();
    const sock = join(dir, 'relay.sock');
    const inner = spawnIn(ns, [process.execPath, '-e', INNER, sock, '1161']);
    await new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error('the relay did not start')), 10_000);
      inner.stdout!.once('data', () => {
        clearTimeout(t);
        res();
      });
    });
    relay = await startRelay(sock);
    device.port = relay.port;
  } catch (err) {
    await device.teardown();
    throw err;
  }
  return device;
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}
