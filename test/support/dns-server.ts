// Debian's NSD as an authoritative DNS server on a free loopback port, serving zones the test writes;
// for the dns and mail_domain checks' tests (no test ever asks a real resolver).
import { spawn, type ChildProcess } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DnsTestServer {
  /** `127.0.0.1:PORT`, as the checks' `server` key takes it. */
  server: string;
  port: number;
  /** Replace the zones and restart NSD on the same port (a changed record is served at once). */
  setZones(zones: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

/** A free loopback port for both UDP and TCP (NSD listens on both). */
/**
 * A loopback port free for UDP and for TCP alike: NSD binds both, and a port only UDP-free (another
 * test's TCP server on it) made NSD exit at start. Bounded tries.
 */
async function freeDnsPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const port = s.address().port;
    const tcp = createNetServer();
    const tcpFree = await new Promise<boolean>((r) => {
      tcp.once('error', () => r(false));
      tcp.listen(port, '127.0.0.1', () => r(true));
    });
    if (tcpFree) await new Promise<void>((r) => tcp.close(() => r()));
    await new Promise<void>((r) => s.close(() => r()));
    if (tcpFree) return port;
  }
  throw new Error('no loopback port free for both UDP and TCP in 20 tries');
}

function config(dir: string, port: number, zones: string[]): string {
  const server = [
    'server:',
    `  ip-address: 127.0.0.1@${port}`,
    `  port: ${port}`,
    '  username: ""',
    `  zonesdir: "${dir}"`,
    '  database: ""',
    `  pidfile: "${dir}/nsd.pid"`,
    `  xfrdfile: "${dir}/xfrd.state"`,
    `  xfrdir: "${dir}"`,
    `  zonelistfile: "${dir}/zone.list"`,
    `  logfile: "${dir}/nsd.log"`,
    '  server-count: 1',
    '  do-ip6: no',
    '  hide-version: yes',
    '  hide-identity: yes',
    '  round-robin: no',
    'remote-control:',
    '  control-enable: no',
  ];
  for (const z of zones) server.push('zone:', `  name: "${z}"`, `  zonefile: "${z}.zone"`);
  return server.join('\n') + '\n';
}

/** Answers within 10 s or throws: NSD loads small zones in milliseconds. */
async function waitAnswering(port: number, zone: string): Promise<void> {
  // A resolver object of its own, pointed at the loopback server only (never the system's).
  const r = new Resolver({ timeout: 300, tries: 1 });
  r.setServers([`127.0.0.1:${port}`]);
  let last = '';
  for (let i = 0; i < 100; i++) {
    try {
      await r.resolveSoa(zone);
      return;
    } catch (err) {
      last = (err as Error).message;
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  throw new Error(`nsd on 127.0.0.1:${port} did not answer for ${zone}: ${last}`);
}

/** Zone text with the usual header; `records` are lines relative to the origin. */
export function zone(origin: string, serial: number, records: string[]): string {
  return [
    `$ORIGIN ${origin}.`,
    '$TTL 300',
    `@ IN SOA ns1.${origin}. hostmaster.${origin}. ${serial} 3600 600 86400 300`,
    `@ IN NS ns1.${origin}.`,
    'ns1 IN A 127.0.0.1',
    ...records,
    '',
  ].join('\n');
}

export async function startDnsServer(zones: Record<string, string>): Promise<DnsTestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-nsd-'));
  const port = await freeDnsPort();
  let child: ChildProcess | undefined;
  const start = async (z: Record<string, string>) => {
    for (const [name, text] of Object.entries(z)) writeFileSync(join(dir, `${name}.zone`), text);
    writeFileSync(join(dir, 'nsd.conf'), config(dir, port, Object.keys(z)));
    child = spawn('nsd', ['-d', '-c', join(dir, 'nsd.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    try {
      await waitAnswering(port, Object.keys(z)[0]);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${stderr}`);
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  await start(zones);
  return {
    server: `127.0.0.1:${port}`,
    port,
    setZones: async (z) => {
      await stop();
      await start(z);
    },
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
