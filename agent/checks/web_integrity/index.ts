// The web_integrity check: crawls each configured site as a browser, as Googlebot and as a visitor
// from a search engine, and reports gambling and other spam (visible and hidden), cloaking, off-site
// redirects, new script domains, new sitemap URLs and a defaced start page; one web_integrity sample
// per site and one web_finding sample per finding.
import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { Type } from 'typebox';
import { durationIssue, joinPath, parseDuration, type ConfigIssue } from '../../../protocol/index.ts';
import { forEachLimited } from '../common/probe.ts';
import { urlTargetProblem } from '../common/fetch.ts';
import { defineCheck, type CheckConfig, type CheckContext } from '../types.ts';
import { DEFAULT_STATE_FILE, loadState, saveState, type WebState } from './baseline.ts';
import { runSite, type SiteOutcome, type SiteSettings } from './site.ts';

/** The hard ceiling of pages per site and run, whatever the config says. */
export const MAX_PAGES_CEILING = 5000;

const Phrase = Type.String({ minLength: 2, maxLength: 100, expected: 'a phrase of 2 to 100 characters' });

const SiteSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, expected: 'the start page, an http:// or https:// URL' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 128, expected: 'a display name of 1 to 128 characters' })),
    maxPages: Type.Integer({ minimum: 1, maximum: MAX_PAGES_CEILING, default: 200 }),
    maxDepth: Type.Integer({ minimum: 0, maximum: 20, default: 4 }),
    sitemap: Type.Boolean({ default: true }),
    allow: Type.Array(Phrase, { maxItems: 200, default: [], expected: 'a list of phrases that are legitimate on this site' }),
    trustedDomains: Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 200, default: [], expected: 'a list of domain names such as dichvucong.gov.vn' }),
  },
  { additionalProperties: false },
);

const schema = Type.Object({
  sites: Type.Array(SiteSchema, { minItems: 1, maxItems: 100, expected: 'a list of sites, each with a url' }),
  keywords: Type.Object(
    {
      extra: Type.Array(Phrase, { maxItems: 500, default: [] }),
      disable: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 500, default: [] }),
    },
    { additionalProperties: false, default: {} },
  ),
  trustedDomains: Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 200, default: [], expected: 'a list of domain names such as dichvucong.gov.vn' }),
  stateFile: Type.Optional(Type.String({ minLength: 1, expected: 'a path for the baselines of the sites' })),
  maxPageBytes: Type.Integer({ minimum: 65_536, maximum: 20_971_520, default: 2_097_152, expected: 'a size in bytes from 65536 to 20971520' }),
  budget: Type.String({ default: '10m', expected: 'a duration such as 10m' }),
  concurrency: Type.Integer({ minimum: 1, maximum: 8, default: 2 }),
  searchReferer: Type.String({ default: 'https://www.google.com.vn/', expected: 'the Referer of a visitor from a search engine, an https:// URL' }),
  defaceThreshold: Type.Number({ minimum: 0, maximum: 1, default: 0.5 }),
  ca: Type.Optional(Type.String({ minLength: 1, expected: 'a path to a PEM file with extra trusted CA certificates' })),
  views: Type.Array(Type.Union([Type.Literal('browser'), Type.Literal('googlebot'), Type.Literal('search')]), {
    minItems: 1,
    maxItems: 3,
    default: ['browser', 'googlebot', 'search'],
    expected: 'a list of views among browser, googlebot and search, browser included',
  }),
});

type WebConfig = CheckConfig<typeof schema>;

export const webIntegrityCheck = defineCheck({
  type: 'web_integrity',
  summary: 'Crawls web sites as a browser, Googlebot and a search visitor: gambling/spam injection, cloaking, redirects, defacement',
  schema,
  defaults: { interval: '30m', timeout: '15s' },
  measurements: ['web_integrity', 'web_finding'],
  validate: validateWeb,
  run: runWeb,
});

function validateWeb(config: WebConfig, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  config.sites.forEach((site, i) => {
    const at = joinPath(joinPath(path, 'sites'), i);
    const problem = urlTargetProblem(site.url);
    if (problem) issues.push({ path: joinPath(at, 'url'), message: problem });
    else if (seen.has(new URL(site.url).href)) issues.push({ path: joinPath(at, 'url'), message: `expected each site once, ${JSON.stringify(site.url)} is listed twice` });
    else seen.add(new URL(site.url).href);
  });
  const budget = durationIssue(config.budget, joinPath(path, 'budget'), { minMs: 1000 });
  if (budget) issues.push(budget);
  else if (parseDuration(config.budget)! > config.intervalMs) {
    issues.push({ path: joinPath(path, 'budget'), message: `must not be longer than the interval (${config.interval}), got ${JSON.stringify(config.budget)}` });
  }
  if (!config.views.includes('browser')) issues.push({ path: joinPath(path, 'views'), message: `expected browser among the views (the others are compared with it), got ${JSON.stringify(config.views)}` });
  if (!/^https?:\/\/[^\s]+$/.test(config.searchReferer)) issues.push({ path: joinPath(path, 'searchReferer'), message: `expected an http:// or https:// URL, got ${JSON.stringify(config.searchReferer)}` });
  return issues;
}

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
