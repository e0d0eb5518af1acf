// The crawl of one site: a queue of its pages (new sitemap URLs first, then links breadth first, then
// the rest of the sitemap), four workers, and for every HTML page the browser view judged, then the
// Googlebot and search-visitor views compared with it. Stays on the site's host, within maxPages,
// maxDepth and the time budget; trap-shaped URLs and endless query variants are cut.
import { Cancel, decodeHtml, isHtml, type FetchResult, type SiteFetcher, type View } from './fetcher.ts';
import { FindingList } from './findings.ts';
import { parsePage, similarity, wordCounts, type PageModel } from './html.ts';
import { FLAG_SCORE, judgeContent, type ContentVerdict } from './judge.ts';
import type { PhraseMatcher } from './matcher.ts';
import { ALLOW_ALL, type Robots } from './robots.ts';
import { looksLikeTrap, registrableDomain, UrlCache, type SiteScope } from './urls.ts';

const MAX_HOPS = 5;
/** Query variants of one path crawled at most (calendars, filters, paging without end). */
const MAX_VARIANTS_PER_PATH = 50;
const MAX_QUEUE = 50_000;
/** Views whose visible text shares less than this with the browser's are compared once more. */
const DIFFERENT_TEXT = 0.7;
/** The browser view fetched twice must be at least this alike for a difference to be cloaking, not a live page. */
const STABLE_TEXT = 0.9;

const VIEW_LABEL: Record<View, string> = { browser: 'browser', googlebot: 'Googlebot', search: 'visitor from a search engine' };

export interface QueueItem {
  url: URL;
  depth: number;
}

/** What one view of a URL came to: the page, or where it was sent off the site. */
export interface ViewOutcome {
  final?: FetchResult;
  hops: string[];
  left?: URL;
  /** Status of the last redirect when the view left the site. */
  leftStatus?: number;
}

export interface CrawlSettings {
  maxPages: number;
  maxDepth: number;
  trusted: string[];
  maxBytes: number;
  /** The views compared with the browser's (all by default). */
  views: View[];
}

export interface EmbedSeen {
  domain: string;
  page: string;
  src: string;
  pages: number;
}

export class Crawl {
  readonly findings = new FindingList();
  readonly embeds = new Map<string, EmbedSeen>();
  robots: Robots = ALLOW_ALL;
  crawled = 0;
  skipped = 0;
  spamHits = 0;
  hiddenHits = 0;
  truncated = false;
  home?: PageModel;
  private readonly queue: QueueItem[] = [];
  private head = 0;
  /** New sitemap URLs: crawled before anything else (injected pages are listed there). */
  private readonly urgent: QueueItem[] = [];
  private readonly seen = new Set<string>();
  private readonly variants = new Map<string, number>();
  private active = 0;
  private waiters: (() => void)[] = [];
  private readonly cloaked = new Set<string>();
  private readonly offsite = new Set<string>();
  private readonly otherViewNames: View[];
  /** Links parsed once for the whole crawl (shared URLs: never changed). */
  private readonly urls = new UrlCache();

  constructor(
    readonly scope: SiteScope,
    private readonly fetcher: SiteFetcher,
    readonly matcher: PhraseMatcher,
    private readonly settings: CrawlSettings,
    private readonly signal: AbortSignal,
  ) {
    this.otherViewNames = settings.views.filter((v) => v !== 'browser');
  }

  get cloakedPages(): number {
    return this.cloaked.size;
  }

  get offsitePages(): number {
    return this.offsite.size;
  }

  private foreign = (u: URL) => this.scope.foreign(u, this.settings.trusted);

  /** Adds a URL of this site to the queue unless seen, too deep, trap-shaped or one variant too many. */
  enqueue(u: URL, depth: number, urgent = false): void {
    // Most links of a page were seen already (menus): the cheapest test first.
    if (this.seen.has(u.href) || depth > this.settings.maxDepth || !this.scope.has(u) || looksLikeTrap(u)) return;
    if (this.queue.length - this.head + this.urgent.length >= MAX_QUEUE) return;
    const path = `${u.host}${u.pathname}`;
    const n = this.variants.get(path) ?? 0;
    if (u.search && n >= MAX_VARIANTS_PER_PATH) return;
    this.variants.set(path, n + 1);
    this.seen.add(u.href);
    (urgent ? this.urgent : this.queue).push({ url: u, depth });
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }

  /** Follows on-site redirects of one view (at most five hops); stops where it leaves the site. */
  async follow(url: URL, view: View, cancel?: Cancel): Promise<ViewOutcome> {
    let current = url;
    const hops: string[] = [];
    for (let hop = 0; hop <= MAX_HOPS; hop++) {
      const r = await this.fetcher.get(current, view, cancel);
      if (r.status >= 300 && r.status < 400 && r.location) {
        let next: URL;
        try {
          next = new URL(r.location, current);
        } catch {
          return { final: r, hops };
        }
        next.hash = '';
        hops.push(`HTTP ${r.status} → ${next.href}`);
        if (!this.scope.has(next)) return { hops, left: next, leftStatus: r.status };
        current = next;
        continue;
      }
      return { final: r, hops };
    }
    throw Object.assign(new Error(`more than ${MAX_HOPS} redirects`), { code: 'ERR_TOO_MANY_REDIRECTS' });
  }

  /** Runs the workers until the queue is empty, maxPages pages were judged, or the budget is spent. */
  async drain(workers: number): Promise<void> {
    const worker = async () => {
      while (!this.signal.aborted) {
        if (this.crawled + this.active >= this.settings.maxPages || (this.head >= this.queue.length && this.urgent.length === 0)) {
          if (this.active === 0) return;
          await new Promise<void>((r) => this.waiters.push(r));
          continue;
        }
        const item = this.urgent.shift() ?? this.queue[this.head++];
        this.active++;
        try {
          await this.visit(item);
        } catch {
          if (!this.signal.aborted) this.skipped++;
        } finally {
          this.active--;
          this.wake();
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
    this.truncated = this.signal.aborted || this.head < this.queue.length || this.urgent.length > 0;
  }

  /** One page: the browser view judged, its links queued, then the other two views compared. */
  async visit(item: QueueItem, isHome = false): Promise<ViewOutcome | undefined> {
    this.seen.add(item.url.href);
    if (!isHome && !this.robots.allows(item.url)) {
      this.skipped++;
      return undefined;
    }
    if (this.otherViewNames.length === 0) return this.judgeViews(item, isHome, []);
    // The other views are asked at the same time as the browser's: a page costs one round trip, not two.
    const cancel = new Cancel();
    const others = this.otherViewNames.map((v) => ({ view: v, outcome: this.follow(item.url, v, cancel).catch(() => undefined) }));
    try {
      return await this.judgeViews(item, isHome, others);
    } finally {
      // Not HTML, not on this site, already seen: the other views are no longer needed.
      cancel.cancel();
    }
  }

  private async judgeViews(item: QueueItem, isHome: boolean, others: { view: View; outcome: Promise<ViewOutcome | undefined> }[]): Promise<ViewOutcome | undefined> {
    const browser = await this.follow(item.url, 'browser');
    if (browser.left) {
      this.crawled++;
      if (this.foreign(browser.left)) this.offsiteFinding(item.url, 'browser', `${browser.hops.join(', ')}`);
      return browser;
    }
    const r = browser.final!;
    if (r.url.href !== item.url.href) {
      if (this.seen.has(r.url.href) && !isHome) return browser;
      this.seen.add(r.url.href);
    }
    if (r.status >= 400 || !isHtml(r)) {
      if (!isHome) this.skipped++;
      return browser;
    }
    this.crawled++;
    const page = parsePage(decodeHtml(r.body, r.contentType), r.url, this.urls);
    if (isHome) this.home = page;
    for (const l of page.links) this.enqueue(l.url, item.depth + 1);
    const content = judgeContent(page, this.matcher, { isHome, foreign: this.foreign });
    this.recordContent(r.url.href, content);
    this.recordEmbeds(page, r.url.href);
    this.pageRedirects(page, r.url, 'browser', item.depth);
    await this.otherViews(item.url, browser, page, content, others);
    return browser;
  }

  private recordContent(url: string, c: ContentVerdict): void {
    if (c.visible.score >= FLAG_SCORE) {
      this.findings.add('spam_keyword', url, c.visible.evidence ?? '', c.visible.hits);
      this.spamHits += c.visible.hits;
    }
    if (c.hidden.score >= FLAG_SCORE) {
      this.findings.add('hidden_spam', url, c.hidden.evidence ?? '', c.hidden.hits);
      this.hiddenHits += c.hidden.hits;
    }
    if (c.marker) this.findings.add('defacement', url, c.marker, c.markerCount);
  }

  private recordEmbeds(page: PageModel, url: string): void {
    for (const e of page.embeds) {
      if (!this.foreign(e)) continue;
      const domain = registrableDomain(e.hostname);
      const seen = this.embeds.get(domain);
      if (seen) seen.pages++;
      else if (this.embeds.size < 500) this.embeds.set(domain, { domain, page: url, src: e.href, pages: 1 });
    }
  }

  /** Meta refresh and `location = …` in inline scripts: off the site is a finding, on it a page to crawl. */
  private pageRedirects(page: PageModel, url: URL, view: View, depth: number): string | undefined {
    let offsite: string | undefined;
    for (const r of page.redirects) {
      if (this.foreign(r.url)) {
        offsite ??= `${r.how} → ${r.url.href}`;
        this.offsiteFinding(url, view, `${r.how} → ${r.url.href}`);
      } else this.enqueue(r.url, depth + 1);
    }
    return offsite;
  }

  private offsiteFinding(url: URL, view: View, how: string): void {
    this.offsite.add(url.href);
    this.findings.add('offsite_redirect', url.href, view === 'browser' ? how : `${VIEW_LABEL[view]}: ${how}`);
  }

  private async otherViews(url: URL, browser: ViewOutcome, page: PageModel, content: ContentVerdict, others: { view: View; outcome: Promise<ViewOutcome | undefined> }[]): Promise<void> {
    for (const { view, outcome } of others) {
      const o = await outcome;
      if (!o || this.signal.aborted) continue;
      const why = await this.compare(url, view, browser, o, page, content);
      if (why) {
        this.cloaked.add(url.href);
        this.findings.add('cloaking', url.href, why);
      }
    }
  }

  /** Why view `view` of `url` differs materially from the browser's, or undefined when it does not. */
  private async compare(url: URL, view: View, browser: ViewOutcome, o: ViewOutcome, page: PageModel, content: ContentVerdict): Promise<string | undefined> {
    const label = VIEW_LABEL[view];
    if (outcomeKey(o) !== outcomeKey(browser)) {
      if (o.left && this.foreign(o.left)) this.offsiteFinding(url, view, o.hops.join(', '));
      return `${label}: ${describe(o)}; browser: ${describe(browser)}`;
    }
    const a = browser.final!;
    const b = o.final!;
    if (sameButNumbers(a.body, b.body) || !isHtml(b)) return undefined;
    const other = parsePage(decodeHtml(b.body, b.contentType), b.url, this.urls);
    const otherRedirect = this.pageRedirects(other, url, view, Number.MAX_SAFE_INTEGER);
    if (otherRedirect && !page.redirects.some((r) => this.foreign(r.url))) return `${label}: ${otherRedirect}`;
    const verdict = judgeContent(other, this.matcher, { isHome: false, foreign: this.foreign });
    if (verdict.visible.score >= FLAG_SCORE && content.visible.score < FLAG_SCORE) return `${label} sees: ${verdict.visible.evidence}`;
    if (verdict.hidden.score >= FLAG_SCORE && content.hidden.score < FLAG_SCORE) return `${label} sees hidden: ${verdict.hidden.evidence}`;
    const words = wordCounts(page.visible);
    const textSimilarity = similarity(words, wordCounts(other.visible));
    const newDomains = this.newLinkDomains(page, other);
    if (textSimilarity >= DIFFERENT_TEXT && newDomains.length === 0) return undefined;
    // A page that changes on every request (a clock, a random banner) is not cloaking: ask again as a browser.
    const again = await this.follow(url, 'browser').catch(() => undefined);
    if (!again?.final || !isHtml(again.final)) return undefined;
    const second = parsePage(decodeHtml(again.final.body, again.final.contentType), again.final.url, this.urls);
    if (similarity(words, wordCounts(second.visible)) < STABLE_TEXT || this.newLinkDomains(page, second).length > 0) return undefined;
    const parts = [`text similarity ${textSimilarity.toFixed(2)} to the browser view`];
    if (newDomains.length) parts.push(`links to ${newDomains.slice(0, 5).join(', ')}`);
    return `${label}: ${parts.join('; ')}`;
  }

  private newLinkDomains(a: PageModel, b: PageModel): string[] {
    const known = new Set(a.links.filter((l) => this.foreign(l.url)).map((l) => registrableDomain(l.url.hostname)));
    return [...new Set(b.links.filter((l) => this.foreign(l.url)).map((l) => registrableDomain(l.url.hostname)))].filter((d) => !known.has(d));
  }
}

/** Bytes compared natively at a time where two bodies agree. */
const CHUNK = 64;
const MAX_CHUNK = 64 * 1024;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/**
 * Whether two bodies are the same once runs of digits are ignored: a visitor counter, a clock or a date
 * changes on every request and is not cloaking. One pass over the bytes, no copy: where the bodies
 * agree byte for byte (nearly everywhere) by the native compare, in stretches that double from 64
 * bytes, a byte at a time only where they differ (a byte loop in JavaScript was the largest part of comparing
 * a page's three views).
 */
export function sameButNumbers(a: Buffer, b: Buffer): boolean {
  if (a.length === b.length && a.equals(b)) return true;
  const al = a.length;
  const bl = b.length;
  let i = 0;
  let j = 0;
  for (;;) {
    // Equal bytes are equal once their digits are taken out too: skipped whole, wherever they end.
    // The stretch doubles while the bodies agree, and starts again from CHUNK where they stop agreeing.
    for (let size = CHUNK; i + CHUNK <= al && j + CHUNK <= bl; ) {
      const n = Math.min(size, al - i, bl - j);
      if (a.compare(b, j, j + n, i, i + n) !== 0) {
        if (size === CHUNK) break;
        size = CHUNK;
        continue;
      }
      i += n;
      j += n;
      size = Math.min(2 * size, MAX_CHUNK);
    }
    // A byte at a time until the next chance of an equal chunk.
    for (let step = 0; step < CHUNK; step++) {
      while (i < al && isDigit(a[i])) i++;
      while (j < bl && isDigit(b[j])) j++;
      if (i >= al || j >= bl) return i >= al && j >= bl;
      if (a[i] !== b[j]) return false;
      i++;
      j++;
    }
  }
}

function outcomeKey(o: ViewOutcome): string {
  if (o.left) return `left ${o.left.href}`;
  return `page ${o.final!.url.href} ${Math.floor(o.final!.status / 100)}`;
}

function describe(o: ViewOutcome): string {
  if (o.left) return o.hops.join(', ');
  const r = o.final!;
  return `${o.hops.length ? `${o.hops.join(', ')}, ` : ''}HTTP ${r.status} ${r.url.href}`;
}
