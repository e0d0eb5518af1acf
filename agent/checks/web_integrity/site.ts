// One site from start to verdict: robots.txt, the start page (the site is down when it does not answer
// with HTML), the sitemap against the baseline, the crawl, then the start page and the script domains
// against the baseline; and what to remember for the next run.
import { resultOfError, type Result } from '../../../protocol/index.ts';
import { makeBaseline, urlHash, type SiteMemory } from './baseline.ts';
import { Crawl } from './crawl.ts';
import { MAX_IN_FLIGHT, ROBOTS_TOKEN, SiteFetcher, type FetcherOptions, type View } from './fetcher.ts';
import type { Finding, FindingKind } from './findings.ts';
import { similarity, wordCounts } from './html.ts';
import { buildMatcher, FLAG_SCORE, judgeSlug, type KeywordSettings } from './judge.ts';
import { ALLOW_ALL, parseRobots } from './robots.ts';
import { MAX_SITEMAP_FILES, MAX_SITEMAP_URLS, parseSitemap } from './sitemap.ts';
import { normalizeUrl, SiteScope, siteOf, slugText } from './urls.ts';

export interface SiteSettings {
  url: string;
  maxPages: number;
  maxDepth: number;
  sitemap: boolean;
  allow: string[];
  trustedDomains: string[];
}

export interface RunOptions extends Omit<FetcherOptions, 'signal'> {
  signal: AbortSignal;
  budgetMs: number;
  defaceThreshold: number;
  keywords: KeywordSettings;
  views: View[];
}

export interface SiteOutcome {
  site: string;
  up: boolean;
  result: Result;
  statusCode?: number;
  error?: string;
  crawlMs: number;
  pagesCrawled: number;
  pagesSkipped: number;
  pagesFlagged: number;
  spamHits: number;
  hiddenSpamHits: number;
  cloakedPages: number;
  offsiteRedirects: number;
  newScriptDomains: number;
  newSitemapUrls: number;
  defaced: boolean;
  homeSimilarity?: number;
  baseline: boolean;
  truncated: boolean;
  findings: Finding[];
  kinds: FindingKind[];
  /** What to remember; undefined leaves the site's memory as it was (the site was down). */
  memory?: SiteMemory;
  requests: number;
  maxInFlight: number;
}

class SiteDown extends Error {
  constructor(
    readonly result: Result,
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
  }
}

/** Crawl one site and judge it against `memory`; never throws (a failure is an outcome with up=false). */
export async function runSite(settings: SiteSettings, opts: RunOptions, memory: SiteMemory | undefined): Promise<SiteOutcome> {
  const started = performance.now();
  const start = new URL(settings.url);
  // A controller and a timer of our own: a timeout signal that only AbortSignal.any holds may be collected
  // before it fires (Node 20), and the budget would never end the crawl.
  const budget = new AbortController();
  const timer = setTimeout(() => budget.abort(new Error(`budget of ${opts.budgetMs} ms spent`)), opts.budgetMs);
  const forward = () => budget.abort(opts.signal.reason);
  opts.signal.addEventListener('abort', forward, { once: true });
  if (opts.signal.aborted) forward();
  const signal = budget.signal;
  const fetcher = new SiteFetcher({ ...opts, signal });
  const scope = new SiteScope(start);
  const crawl = new Crawl(scope, fetcher, buildMatcher(opts.keywords, settings.allow), { ...settings, trusted: settings.trustedDomains, maxBytes: opts.maxBytes, views: opts.views }, signal);
  const base = blankOutcome(siteOf(start));
  try {
    crawl.robots = await readRobots(crawl, start);
    const statusCode = await visitHome(crawl, start);
    const sitemap = settings.sitemap ? await readSitemaps(crawl, start) : [];
    const newSitemap = memory?.baseline ? newSitemapUrls(crawl, sitemap, memory) : 0;
    for (const u of sitemap) crawl.enqueue(u, 1);
    await crawl.drain(MAX_IN_FLIGHT);
    return judgeSite(crawl, settings, opts, memory, { ...base, statusCode, newSitemapUrls: newSitemap, sitemap, started, fetcher });
  } catch (err) {
    const down = err instanceof SiteDown;
    const result: Result = down ? err.result : opts.signal.aborted ? 'timeout' : signal.aborted ? 'timeout' : resultOfError(err);
    const error = down ? err.message : ((err as Error).message ?? String(err)).slice(0, 300);
    return { ...base, up: false, result, error, statusCode: down ? err.statusCode : undefined, crawlMs: elapsed(started), requests: fetcher.requests, maxInFlight: fetcher.maxInFlight };
  } finally {
    clearTimeout(timer);
    opts.signal.removeEventListener('abort', forward);
    fetcher.close();
  }
}

function blankOutcome(site: string): SiteOutcome {
  return {
    site, up: true, result: 'ok', crawlMs: 0, pagesCrawled: 0, pagesSkipped: 0, pagesFlagged: 0, spamHits: 0, hiddenSpamHits: 0, cloakedPages: 0,
    offsiteRedirects: 0, newScriptDomains: 0, newSitemapUrls: 0, defaced: false, baseline: false, truncated: false, findings: [], kinds: [], requests: 0, maxInFlight: 0,
  };
}

const elapsed = (t: number) => Math.round((performance.now() - t) * 1000) / 1000;

async function readRobots(crawl: Crawl, start: URL) {
  try {
    const r = await crawl.follow(new URL('/robots.txt', start), 'browser');
    if (r.final && r.final.status === 200 && !r.final.contentType.includes('html')) return parseRobots(r.final.body.toString('utf8'), ROBOTS_TOKEN);
  } catch {
    // No robots.txt, or it does not answer: nothing is forbidden (the start page says whether the site is up).
  }
  return ALLOW_ALL;
}

/** The start page; throws SiteDown when it does not answer with HTML. Returns its status. */
async function visitHome(crawl: Crawl, start: URL): Promise<number | undefined> {
  let outcome = await crawl.visit({ url: start, depth: 0 }, true);
  // Sent to another host of the same domain (a portal moved to portal.example.gov.vn): that host is the site.
  if (outcome?.left && !crawl.scope.foreign(outcome.left, [])) {
    crawl.scope.add(outcome.left);
    outcome = await crawl.visit({ url: outcome.left, depth: 0 }, true);
  }
  if (!outcome) return undefined;
  if (outcome.left) return outcome.leftStatus;
  const r = outcome.final!;
  if (r.status >= 400) throw new SiteDown('error', `the start page answered HTTP ${r.status}`, r.status);
  if (!crawl.home) throw new SiteDown('error', `the start page is not HTML (${r.contentType || 'no content type'})`, r.status);
  return r.status;
}

/** /sitemap.xml and the Sitemap: lines of robots.txt on this site, sitemap indexes followed, bounded. */
async function readSitemaps(crawl: Crawl, start: URL): Promise<URL[]> {
  const pending = [new URL('/sitemap.xml', start).href, ...crawl.robots.sitemaps];
  const done = new Set<string>();
  const urls = new Map<string, URL>();
  while (pending.length > 0 && done.size < MAX_SITEMAP_FILES) {
    const loc = normalizeUrl(pending.shift()!, start);
    if (!loc || done.has(loc.href) || !crawl.scope.has(loc)) continue;
    done.add(loc.href);
    try {
      const r = await crawl.follow(loc, 'browser');
      if (!r.final || r.final.status !== 200) continue;
      const file = parseSitemap(r.final.body, 5 * r.final.body.length + 10 * 1024 * 1024);
      pending.push(...file.sitemaps);
      for (const raw of file.urls) {
        const u = normalizeUrl(raw, loc);
        if (u && crawl.scope.has(u) && urls.size < MAX_SITEMAP_URLS) urls.set(u.href, u);
      }
    } catch {
      // One unreadable sitemap does not stop the others or the crawl.
    }
  }
  return [...urls.values()];
}

/** URLs in the sitemap that the baseline did not have: crawled first, their slugs judged. */
function newSitemapUrls(crawl: Crawl, sitemap: URL[], memory: SiteMemory): number {
  const known = new Set(memory.baseline!.sitemap);
  let n = 0;
  for (const u of sitemap) {
    if (known.has(urlHash(u.href))) continue;
    n++;
    crawl.enqueue(u, 1, true);
    const slug = judgeSlug(slugText(u), crawl.matcher);
    if (slug.score >= FLAG_SCORE) crawl.findings.add('new_sitemap_url', u.href, slug.evidence ?? u.pathname, slug.hits);
  }
  return n;
}

interface Measured {
  statusCode?: number;
  newSitemapUrls: number;
  sitemap: URL[];
  started: number;
  fetcher: SiteFetcher;
}

function judgeSite(crawl: Crawl, settings: SiteSettings, opts: RunOptions, memory: SiteMemory | undefined, measured: Measured & SiteOutcome): SiteOutcome {
  const { sitemap, started, fetcher, ...m } = measured;
  const baseline = memory?.baseline;
  const homeWords = wordCounts(crawl.home ? `${crawl.home.title} ${crawl.home.visible}` : '');
  const homeStructure = crawl.home?.structure ?? new Map<string, number>();
  let homeSimilarity: number | undefined;
  if (baseline && crawl.home) {
    const text = similarity(new Map(baseline.homeWords), homeWords);
    const shape = similarity(new Map(baseline.homeStructure), homeStructure);
    homeSimilarity = Math.round(((text + shape) / 2) * 1000) / 1000;
    if (homeSimilarity < opts.defaceThreshold) {
      const what = `${crawl.home.title} ${crawl.home.visible}`.replace(/\s+/g, ' ').trim().slice(0, 160);
      crawl.findings.add('defacement', settings.url, `start page similarity ${homeSimilarity.toFixed(2)} to its baseline (below ${opts.defaceThreshold}): ${what}`, 1);
    }
  }
  let newScriptDomains = 0;
  if (baseline) {
    const known = new Set(baseline.scriptDomains);
    for (const e of crawl.embeds.values()) {
      if (known.has(e.domain)) continue;
      newScriptDomains++;
      crawl.findings.add('new_script_domain', e.page, `${e.domain} (${e.src.slice(0, 200)})`, e.pages, e.domain);
    }
  }
  const findings = crawl.findings;
  const kinds = findings.kinds();
  const clean = findings.all().length === 0;
  const nextMemory: SiteMemory = {
    flagged: kinds,
    baseline: clean && crawl.home
      ? makeBaseline(baseline, { homeWords, homeStructure, scriptDomains: new Set(crawl.embeds.keys()), sitemap: new Set(sitemap.map((u) => u.href)) }, new Date())
      : baseline,
  };
  return {
    ...m,
    crawlMs: elapsed(started),
    pagesCrawled: crawl.crawled,
    pagesSkipped: crawl.skipped,
    pagesFlagged: findings.pages(),
    spamHits: crawl.spamHits,
    hiddenSpamHits: crawl.hiddenHits,
    cloakedPages: crawl.cloakedPages,
    offsiteRedirects: crawl.offsitePages,
    newScriptDomains,
    defaced: findings.count('defacement') > 0,
    homeSimilarity,
    baseline: !baseline,
    truncated: crawl.truncated,
    findings: findings.reported(),
    kinds,
    memory: nextMemory,
    requests: fetcher.requests,
    maxInFlight: fetcher.maxInFlight,
  };
}
