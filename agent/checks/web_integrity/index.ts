// The web_integrity check: crawls each configured site as a browser, as Googlebot and as a visitor
// from a search engine, and reports gambling and other spam (visible and hidden), cloaking, off-site
// redirects, new script domains, new sitemap URLs and a defaced start page; one web_integrity sample
// per site and one web_finding sample per finding.
import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { parseDuration } from '../../../protocol/index.ts';
import { forEachLimited } from '../common/probe.ts';
import { defineCheck, type CheckContext } from '../types.ts';
import { DEFAULT_STATE_FILE, loadState, saveState, type WebState } from './baseline.ts';
import { runSite, type SiteOutcome, type SiteSettings } from './site.ts';
import { webIntegritySpec, type WebConfig } from './spec.ts';

export { MAX_PAGES_CEILING } from './spec.ts';

export const webIntegrityCheck = defineCheck({ ...webIntegritySpec, run: runWeb });

async function readCa(config: WebConfig, ctx: CheckContext): Promise<string[] | undefined> {
  if (!config.ca) return undefined;
  try {
    // Added to, not instead of, the public roots: an agency may mix its own CA and public sites.
    return [...rootCertificates, await readFile(config.ca, 'utf8')];
  } catch (err) {
    ctx.log.error('cannot read the ca file; https sites are checked against the system roots only', { ca: config.ca, error: (err as NodeJS.ErrnoException).code ?? String(err) });
    return undefined;
  }
}

async function runWeb(config: WebConfig, ctx: CheckContext): Promise<void> {
  const stateFile = config.stateFile ?? DEFAULT_STATE_FILE;
  const { state, problem } = loadState(stateFile);
  if (problem) ctx.log.warn('web integrity baselines could not be read; every site starts a new baseline', { file: stateFile, problem });
  const ca = await readCa(config, ctx);
  const budgetMs = parseDuration(config.budget)!;
  await forEachLimited(config.sites, config.concurrency, ctx.signal, async (site) => {
    const key = new URL(site.url).href;
    const settings: SiteSettings = { ...site, trustedDomains: [...site.trustedDomains, ...config.trustedDomains] };
    ctx.progress?.(`web_integrity: crawling ${site.url}`);
    const outcome = await runSite(settings, { timeoutMs: config.timeoutMs, maxBytes: config.maxPageBytes, ca, searchReferer: config.searchReferer, signal: ctx.signal, budgetMs, defaceThreshold: config.defaceThreshold, keywords: config.keywords, views: config.views }, state.sites[key]);
    if (ctx.signal.aborted && outcome.pagesCrawled === 0) return;
    record(ctx, config, site, outcome, state.sites[key]?.flagged ?? []);
    if (outcome.memory) state.sites[key] = outcome.memory;
    ctx.log.debug('web integrity site done', { site: site.url, pages: outcome.pagesCrawled, findings: outcome.findings.length, requests: outcome.requests, ms: outcome.crawlMs });
  });
  try {
    saveState(stateFile, state as WebState);
  } catch (err) {
    ctx.log.warn('cannot save the web integrity baselines; the next run starts new ones', { file: stateFile, error: (err as Error).message });
  }
}

/**
 * Findings first, then the site's summary, all at one time (findings a millisecond apart, so InfluxDB
 * keeps each as its own point): the collector marks what the run did not find again by that time.
 */
function record(ctx: CheckContext, config: WebConfig, site: WebConfig['sites'][number], o: SiteOutcome, before: string[]): void {
  const at = Date.now();
  const tags = { site: o.site, name: site.name ?? config.name, group: config.group };
  let i = 1;
  for (const f of o.findings) ctx.recorder.record('web_finding', { ...tags, kind: f.kind }, { url: f.url, evidence: f.evidence, count: f.count }, new Date(at + i++));
  // A kind the last run found and this one did not: one sample at 0, so alerts on it resolve.
  if (o.up) {
    for (const kind of before.filter((k) => !o.kinds.includes(k as never))) {
      ctx.recorder.record('web_finding', { ...tags, kind }, { url: site.url, evidence: 'no longer found', count: 0 }, new Date(at + i++));
    }
  }
  ctx.recorder.record(
    'web_integrity',
    { ...tags, result: o.result },
    {
      up: o.up ? 1 : 0,
      status_code: o.statusCode,
      pages_crawled: o.pagesCrawled,
      pages_skipped: o.pagesSkipped,
      pages_flagged: o.pagesFlagged,
      spam_hits: o.spamHits,
      hidden_spam_hits: o.hiddenSpamHits,
      cloaked_pages: o.cloakedPages,
      offsite_redirects: o.offsiteRedirects,
      new_script_domains: o.newScriptDomains,
      new_sitemap_urls: o.newSitemapUrls,
      defaced: o.defaced ? 1 : 0,
      home_similarity: o.homeSimilarity,
      crawl_ms: o.crawlMs,
      baseline: o.up ? (o.baseline ? 1 : 0) : undefined,
      truncated: o.up ? (o.truncated ? 1 : 0) : undefined,
      error: o.error,
    },
    new Date(at),
  );
}
