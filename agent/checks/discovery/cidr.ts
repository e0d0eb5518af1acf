// IPv4 subnet arithmetic for the discovery check: parsing the configured CIDRs, the addresses to
// sweep, and which subnet an address belongs to.
import { isIPv4 } from 'node:net';

/** An IPv4 subnet, as configured (`192.0.2.0/24`). Discovery is IPv4 only: an IPv6 /64 cannot be swept. */
export interface Subnet {
  /** Normalised text, network address and prefix: the `subnet` tag. */
  cidr: string;
  network: number;
  prefix: number;
}

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Undefined when `text` is not `a.b.c.d/len`; host bits are cleared (`192.0.2.7/24` → `192.0.2.0/24`). */
export function parseCidr(text: string): Subnet | undefined {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text.trim());
  if (!m || !isIPv4(m[1])) return undefined;
  const prefix = Number(m[2]);
  if (prefix < 8 || prefix > 32) return undefined;
  const network = (ipToInt(m[1]) & maskOf(prefix)) >>> 0;
  return { cidr: `${intToIp(network)}/${prefix}`, network, prefix };
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** How many addresses a sweep probes: network and broadcast are left out, except in /31 and /32. */
export function hostCount(s: Subnet): number {
  const size = 2 ** (32 - s.prefix);
  return s.prefix >= 31 ? size : size - 2;
}

export function hostAddresses(s: Subnet): string[] {
  const size = 2 ** (32 - s.prefix);
  const first = s.prefix >= 31 ? 0 : 1;
  const last = s.prefix >= 31 ? size - 1 : size - 2;
  const out: string[] = [];
  for (let i = first; i <= last; i++) out.push(intToIp(s.network + i));
  return out;
}

export function contains(s: Subnet, ip: string): boolean {
  if (!isIPv4(ip)) return false;
  return ((ipToInt(ip) & maskOf(s.prefix)) >>> 0) === s.network;
}

/** The configured subnet an address belongs to (the most specific one), if any. */
export function subnetOf(subnets: readonly Subnet[], ip: string): Subnet | undefined {
  let best: Subnet | undefined;
  for (const s of subnets) if (contains(s, ip) && (!best || s.prefix > best.prefix)) best = s;
  return best;
}

export function compareIp(a: string, b: string): number {
  return ipToInt(a) - ipToInt(b);
}
