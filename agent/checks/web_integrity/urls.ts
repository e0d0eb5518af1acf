// URL rules of the crawl: one spelling per page (no fragment, no session id or tracking parameter,
// sorted query), which host is "this site", registrable domains (Public Suffix List, so
// soyte.example.gov.vn and example.gov.vn are one domain but two .gov.vn agencies are not), and the
// shapes of crawl traps.
import { isIP } from 'node:net';
import { getDomain } from 'tldts';

/** Longer URLs are generated ones (traps, tracking); nobody links to a page that way. */
export const MAX_URL_LENGTH = 2048;
const MAX_SEGMENTS = 24;
const MAX_SEGMENT_REPEATS = 3;

/** Query parameters that name a session or a campaign, not a page. */
const NOISE_PARAM = /^(phpsessid|jsessionid|aspsessionid\w*|sid|sessionid|session_id|session|cfid|cftoken|s|fbclid|gclid|msclkid|_ga|utm_\w+)$/i;

/** `host` or `host:port` when the port is not the scheme's own: the `site` tag. */
export function siteOf(u: URL): string {
  return u.port ? `${u.hostname}:${u.port}` : u.hostname;
}

const bare = (host: string) => (host.startsWith('[') ? host.slice(1, -1) : host);

/** The registrable domain of a host (example.gov.vn for www.soyte.example.gov.vn); an IP address is its own. */
export function registrableDomain(hostname: string): string {
  const host = bare(hostname).toLowerCase().replace(/\.$/, '');
  if (isIP(host) !== 0) return host;
  return getDomain(host, { allowPrivateDomains: false }) ?? host;
}

/** Whether `host` is `domain` or under it. */
export function underDomain(host: string, domain: string): boolean {
  const h = bare(host).toLowerCase();
  const d = domain.toLowerCase().replace(/^\./, '');
  return h === d || h.endsWith(`.${d}`);
}

/** The page behind a link, in the one spelling the crawl keeps; undefined for what is not a web page URL. */
export function normalizeUrl(raw: string, base: URL | string): URL | undefined {
  const text = raw.trim();
  if (text.length === 0 || text.length > MAX_URL_LENGTH) return undefined;
  let u: URL;
  try {
    u = new URL(text, base);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  if (u.username || u.password) return undefined;
  // Setting a URL's part parses it again: only when there is something to take away (`#` alone too,
  // whose hash reads as empty). A `#` in a URL is always its fragment's (others are percent-encoded).
  if (u.href.includes('#')) u.hash = '';
  if (u.pathname.includes(';')) u.pathname = u.pathname.replace(/;(jsessionid|phpsessid|sid)=[^/]*/gi, '');
  if (u.search) {
    const params = [...u.searchParams].filter(([k]) => !NOISE_PARAM.test(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    u.search = params.length ? new URLSearchParams(params).toString() : '';
  }
  return u.href.length > MAX_URL_LENGTH ? undefined : u;
}

/** Links remembered by one crawl: a site's menus are the same on every page. */
const MAX_CACHED_URLS = 4096;

/**
 * normalizeUrl for the links of one crawl, each spelling parsed once (a 200-page portal has about 40
 * links a page, mostly the same menus). Only links whose meaning does not depend on the page's path
 * are remembered: absolute ones, and root-relative ones per origin. The URLs it returns are shared
 * between pages and must never be changed.
 */
export class UrlCache {
  private readonly urls = new Map<string, URL | null>();

  normalize(raw: string, base: URL): URL | undefined {
    const key = cacheKey(raw, base);
    if (key === undefined) return normalizeUrl(raw, base);
    const hit = this.urls.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const u = normalizeUrl(raw, base);
    if (this.urls.size < MAX_CACHED_URLS) this.urls.set(key, u ?? null);
    return u;
  }
}

/**
 * A key that fixes what `raw` resolves to against `base`: `http(s)://…` resolves alike against any
 * base; `/…` (and `//host…`) against any base of the same scheme, host and port (without user or
 * password). Neither a scheme nor a host holds a line feed, so the keys of the two kinds never meet.
 */
function cacheKey(raw: string, base: URL): string | undefined {
  if (/^https?:\/\//i.test(raw)) return `\n${raw}`;
  if (raw.charCodeAt(0) === 0x2f && !base.username && !base.password) return `${base.protocol}//${base.host}\n${raw}`;
  return undefined;
}

/** The hosts of one watched site: its own host and the same host with or without `www.`. */
export class SiteScope {
  readonly hosts = new Set<string>();
  readonly domain: string;
  constructor(start: URL) {
    this.domain = registrableDomain(start.hostname);
    this.add(start);
  }

  add(u: URL): void {
    const host = u.hostname.toLowerCase();
    const other = host.startsWith('www.') ? host.slice(4) : `www.${host}`;
    for (const h of [host, other]) this.hosts.add(u.port ? `${h}:${u.port}` : h);
  }

  /** On this site: crawled. */
  has(u: URL): boolean {
    return this.hosts.has(siteOf(u).toLowerCase());
  }

  /** Another registrable domain (and not a trusted one): an off-site redirect, a foreign script. */
  foreign(u: URL, trusted: readonly string[]): boolean {
    if (registrableDomain(u.hostname) === this.domain) return false;
    return !trusted.some((d) => underDomain(u.hostname, d));
  }
}

/** A URL shaped like a crawl trap: very deep, or the same path segment again and again (/a/b/a/b/a/b). */
export function looksLikeTrap(u: URL): boolean {
  const segments = u.pathname.split('/').filter(Boolean);
  if (segments.length > MAX_SEGMENTS) return true;
  const seen = new Map<string, number>();
  for (const s of segments) {
    const n = (seen.get(s) ?? 0) + 1;
    if (n > MAX_SEGMENT_REPEATS) return true;
    seen.set(s, n);
  }
  return false;
}

/** The words of a URL's path and query, for a slug such as /tin-tuc/nha-cai-uy-tin-2024.html. */
export function slugText(u: URL): string {
  let path = u.pathname + (u.search ? ` ${u.search.slice(1)}` : '');
  try {
    path = decodeURIComponent(path);
  } catch {
    // a stray % sign: keep the raw text
  }
  return path.replace(/[/_\-+.=&?]+/g, ' ').trim();
}
