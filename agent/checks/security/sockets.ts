// The risky listening ports check: which clear-text or unauthenticated services listen on addresses
// reachable from the LAN (Linux from /proc/net, Windows from the facts script).
import type { HostEnv } from './env.ts';
import { error, fail, pass, type Finding } from './finding.ts';

export interface Listener {
  protocol: 'tcp' | 'udp';
  address: string;
  port: number;
}

/** Services that give clear-text or unauthenticated remote access; SMB is judged by the SMBv1 checks. */
export const RISKY_PORTS: readonly { protocol: 'tcp' | 'udp'; from: number; to: number; service: string }[] = [
  { protocol: 'tcp', from: 21, to: 21, service: 'ftp' },
  { protocol: 'tcp', from: 23, to: 23, service: 'telnet' },
  { protocol: 'udp', from: 69, to: 69, service: 'tftp' },
  { protocol: 'tcp', from: 512, to: 512, service: 'rexec' },
  { protocol: 'tcp', from: 513, to: 513, service: 'rlogin' },
  { protocol: 'tcp', from: 514, to: 514, service: 'rsh' },
  { protocol: 'tcp', from: 5800, to: 5801, service: 'vnc-http' },
  { protocol: 'tcp', from: 5900, to: 5903, service: 'vnc' },
];

export function riskyService(l: Listener): string | undefined {
  return RISKY_PORTS.find((r) => r.protocol === l.protocol && l.port >= r.from && l.port <= r.to)?.service;
}

/** Loopback addresses cannot be reached from the LAN. */
export function isLoopback(address: string): boolean {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  return a.startsWith('127.') || a === '::1' || a === 'localhost' || a.startsWith('::ffff:127.');
}

function hexIpv4(hex: string): string {
  // /proc prints the address as one host-order 32-bit word: little-endian on every Linux port we run on.
  const n = Number.parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

function hexIpv6(hex: string): string {
  const words: string[] = [];
  for (let i = 0; i < 4; i++) {
    const w = hex.slice(i * 8, i * 8 + 8);
    const bytes = [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)].join('');
    words.push(bytes.slice(0, 4), bytes.slice(4, 8));
  }
  const full = words.map((w) => w.replace(/^0+(?=.)/, '').toLowerCase());
  if (full.slice(0, 5).every((w) => w === '0') && full[5] === 'ffff') {
    const v4 = hexIpv4(hex.slice(24, 32));
    return `::ffff:${v4}`;
  }
  // Compress the longest run of zero words, as people write IPv6.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (full[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && full[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (bestLen < 2) return full.join(':');
  return `${full.slice(0, best).join(':')}::${full.slice(best + bestLen).join(':')}`;
}

/**
 * Listening sockets of one /proc/net/{tcp,tcp6,udp,udp6} table: TCP in state LISTEN (0A), UDP
 * sockets that are bound but not connected (07).
 */
export function parseProcNet(text: string, protocol: 'tcp' | 'udp'): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    const [addrHex, portHex] = f[1].split(':');
    const state = f[3];
    if (protocol === 'tcp' ? state !== '0A' : state !== '07') continue;
    const address = addrHex.length === 8 ? hexIpv4(addrHex) : hexIpv6(addrHex);
    out.push({ protocol, address, port: Number.parseInt(portHex, 16) });
  }
  return out;
}

export async function linuxListeners(env: HostEnv): Promise<Listener[] | undefined> {
  const tables: [string, 'tcp' | 'udp'][] = [['tcp', 'tcp'], ['tcp6', 'tcp'], ['udp', 'udp'], ['udp6', 'udp']];
  let read = 0;
  const all: Listener[] = [];
  for (const [name, protocol] of tables) {
    const text = await env.readText(`/proc/net/${name}`);
    if (text === undefined) continue;
    read++;
    all.push(...parseProcNet(text, protocol));
  }
  return read > 0 ? all : undefined;
}

const where = (l: Listener) => `${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}/${l.protocol}`;

/**
 * A risky service bound to a LAN-reachable address fails. One bound to loopback only passes (it
 * cannot be reached from the LAN) but is named in the detail so it is not invisible.
 */
export function judgeListeners(listeners: readonly Listener[]): Finding {
  const exposed: string[] = [];
  const local: string[] = [];
  const seen = new Set<string>();
  for (const l of listeners) {
    const service = riskyService(l);
    if (!service) continue;
    const text = `${service} on ${where(l)}`;
    if (seen.has(text)) continue;
    seen.add(text);
    (isLoopback(l.address) ? local : exposed).push(text);
  }
  const note = local.length ? `; loopback only, not reachable from the LAN: ${local.join(', ')}` : '';
  if (exposed.length > 0) return fail(`risky service listening: ${exposed.join(', ')}${note}`);
  return pass(`no risky service reachable from the network (${listeners.length} listening sockets)${note}`);
}

export async function checkLinuxRiskyPorts(env: HostEnv): Promise<Finding> {
  const listeners = await linuxListeners(env);
  if (!listeners) return error('cannot read the socket table (/proc/net/tcp)');
  return judgeListeners(listeners);
}
