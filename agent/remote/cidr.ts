// IPv4 and IPv6 networks as numbers, so remotePolicy can say whether an address or a whole subnet
// lies inside a network the local file allows (node:net's BlockList answers for addresses only).
import { isIP } from 'node:net';

export interface Network {
  family: 4 | 6;
  /** The network address, host bits cleared. */
  base: bigint;
  prefix: number;
  /** As written in the policy, for messages. */
  text: string;
}

function v4(address: string): bigint {
  return address.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
}

function v6(address: string): bigint {
  let text = address.toLowerCase();
  // An embedded IPv4 tail (::ffff:192.0.2.1) becomes two groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const n = v4(tail[1]);
    text = `${text.slice(0, -tail[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

const bits = (family: 4 | 6) => (family === 4 ? 32 : 128);
const maskOf = (family: 4 | 6, prefix: number) => ((1n << BigInt(bits(family))) - 1n) ^ ((1n << BigInt(bits(family) - prefix)) - 1n);

/** `10.1.2.0/24`, `2001:db8::/32` or a single address (a /32 or /128); undefined when it is neither. */
export function parseNetwork(text: string): Network | undefined {
  const [address, prefixText, extra] = text.trim().split('/');
  const family = isIP(address);
  if ((family !== 4 && family !== 6) || extra !== undefined || address.includes('%')) return undefined;
  const max = bits(family);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  const n = family === 4 ? v4(address) : v6(address);
  return { family, base: n & maskOf(family, prefix), prefix, text: text.trim() };
}

/** True when every address of `inner` is inside `outer`. */
export function networkContains(outer: Network, inner: Network): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  return (inner.base & maskOf(outer.family, outer.prefix)) === outer.base;
}
