// The web_integrity check's light half: config schema (sites, keywords, views), defaults, measurements
// and validation, loaded to check a config without loading the crawler and HTML parser.
import { Type } from 'typebox';
import { durationIssue, joinPath, parseDuration, type ConfigIssue } from '../../../protocol/index.ts';
import { urlTargetProblem } from '../common/probe.ts';
import { defineSpec } from '../lazy.ts';
import type { CheckConfig } from '../types.ts';

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

export type WebConfig = CheckConfig<typeof schema>;

export const webIntegritySpec = defineSpec({
  type: 'web_integrity',
  summary: 'Crawls web sites as a browser, Googlebot and a search visitor: gambling/spam injection, cloaking, redirects, defacement',
  schema,
  defaults: { interval: '30m', timeout: '15s' },
  measurements: ['web_integrity', 'web_finding'],
  validate: validateWeb,
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
