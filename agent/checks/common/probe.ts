// Target syntax, name resolution and a bounded worker pool for every network check, kept in one
// place so that every check rejects the same inputs with the same words.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { joinPath, type ConfigIssue } from '../../../protocol/index.ts';

/** Enough to keep a LAN agent from opening hundreds of sockets at once, small enough for 2 cores. */
export const DEFAULT_CONCURRENCY = 32;

// Unicode letters are allowed so that Vietnamese IDN names (sở-y-tế.example.vn) can be written as
// people read them; they are converted to punycode before resolution.
const LABEL = /^(?!-)[\p{L}\p{N}_-]{1,63}(?<!-)$/u;

/** A DNS host name or an IP literal; nothing a shell or ping would read as an option or operator. */
export function isHostOrIp(host: string): boolean {
  if (isIP(host) !== 0) return true;
  if (host.length === 0 || host.length > 253) return false;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name === '' || !name.split('.').every((l) => LABEL.test(l))) return false;
  // A name made only of digits and dots is a malformed IPv4 address, not a host name.
  return !/^[\d.]+$/.test(name);
}

export interface HostPort {
  host: string;
  port: number;
}

/** `host:port`, `192.0.2.1:22` or `[2001:db8::1]:443`; undefined when it is anything else. */
export function parseHostPort(text: string): HostPort | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const host = m[1];
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  // Brackets are for IPv6 only; an unbracketed host must not be IPv6.
  if (text.startsWith('[') ? isIP(host) !== 6 : !isHostOrIp(host)) return undefined;
  return { host, port };
}

export interface Resolved {
  address: string;
  family: 4 | 6;
}

/**
 * Resolve a host the way the OS does (getaddrinfo), before probing, so that a name error is
 * reported as dns_error whatever the language of the system tools.
 */
export async function resolveHost(host: string): Promise<Resolved> {
  const literal = isIP(host);
  if (literal !== 0) return { address: host, family: literal as 4 | 6 };
  const ascii = domainToASCII(host) || host;
  // RFC 6761 6.4: `.invalid` never resolves, so answer at once instead of asking a DNS server.
  if (/(^|\.)invalid\.?$/i.test(ascii)) {
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host });
  }
  const r = await lookup(ascii, { verbatim: true });
  return { address: r.address, family: r.family === 6 ? 6 : 4 };
}

/**
 * Run `fn` over `items` with at most `limit` in flight; stops taking new items once `signal` is
 * aborted. Returns how many items were never started.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, signal: AbortSignal, fn: (item: T, index: number) => Promise<void>): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal.aborted) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return items.length - next;
}

/** The milliseconds since `start` (a performance.now() value), rounded to microseconds. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 1000) / 1000;
}

/**
 * A `lookup` for node:net/http/tls options: the system resolver, except that `.invalid` names fail
 * at once (RFC 6761) without a DNS query.
 */
export function specialUseLookup(hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void {
  if (/(^|\.)invalid\.?$/i.test(hostname)) {
    process.nextTick(() => callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '', 4));
    return;
  }
  dnsLookup(hostname, options, callback as never);
}

/** Config issues for a list of `host:port` targets (tcp, tls): one per target that does not parse. */
export function hostPortTargetIssues(targets: readonly string[], path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  targets.forEach((t, i) => {
    if (!parseHostPort(t)) {
      issues.push({
        path: joinPath(joinPath(path, 'targets'), i),
        message: `expected host:port (or [IPv6]:port) with a port from 1 to 65535, got ${JSON.stringify(t)}`,
      });
    }
  });
  return issues;
}

/** What is wrong with `text` as a URL to probe, as a config message; undefined when it is fine. */
export function urlTargetProblem(text: string): string | undefined {
  const problem = urlProblem(text);
  if (!problem) return undefined;
  // Never echo a URL that carries a password: config errors end up in logs and terminals.
  const got = problem.startsWith(CREDENTIALS) ? '' : `, got ${JSON.stringify(text)}`;
  return `${problem}${got}`;
}

const CREDENTIALS = 'expected a URL without a user name or password (they would end up in tags and logs)';

function urlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'expected a URL such as https://example.vn/';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'expected a URL starting with http:// or https://';
  if (url.username || url.password) return CREDENTIALS;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // URL() has already punycoded IDN names, so the plain host-name rule applies.
  if (!isHostOrIp(host)) return 'expected a URL with a host name or an IP address';
  return undefined;
}
