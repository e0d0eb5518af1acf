// Sitemaps (sitemaps.org): <urlset> and <sitemapindex> XML, gzipped or not, and plain-text lists of
// URLs; read by scanning for <loc> elements, linear in the file and bounded in what it keeps.
import { gunzipSync } from 'node:zlib';

/** Sitemap files followed per site, and URLs kept from all of them. */
export const MAX_SITEMAP_FILES = 20;
export const MAX_SITEMAP_URLS = 10_000;

export interface SitemapFile {
  /** Page URLs listed (urlset or text). */
  urls: string[];
  /** Further sitemaps (sitemapindex). */
  sitemaps: string[];
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'" };

/** Decompress (when gzipped, within `maxBytes`) and read one sitemap file. */
export function parseSitemap(body: Buffer, maxBytes: number): SitemapFile {
  let data = body;
  if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) {
    try {
      data = gunzipSync(data, { maxOutputLength: maxBytes });
    } catch {
      return { urls: [], sitemaps: [] };
    }
  }
  const text = data.toString('utf8');
  const lower = text.slice(0, 4096).toLowerCase();
  if (!lower.includes('<')) return { urls: text.split(/\s+/).filter((l) => /^https?:\/\//i.test(l)).slice(0, MAX_SITEMAP_URLS), sitemaps: [] };
  const isIndex = lower.includes('<sitemapindex');
  const locs: string[] = [];
  const lowerAll = text.toLowerCase();
  for (let at = lowerAll.indexOf('<loc'); at >= 0 && locs.length < MAX_SITEMAP_URLS; at = lowerAll.indexOf('<loc', at + 4)) {
    const open = lowerAll.indexOf('>', at);
    const close = open < 0 ? -1 : lowerAll.indexOf('</loc', open);
    if (close < 0) break;
    let loc = text.slice(open + 1, close).trim();
    if (loc.startsWith('<![CDATA[')) loc = loc.slice(9, loc.endsWith(']]>') ? -3 : undefined);
    loc = loc.replace(/&(amp|lt|gt|quot|apos);/g, (e) => ENTITIES[e] ?? e).trim();
    if (loc) locs.push(loc);
    at = close;
  }
  return isIndex ? { urls: [], sitemaps: locs } : { urls: locs, sitemaps: [] };
}
