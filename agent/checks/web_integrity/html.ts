// Reads one HTML page in a single streaming pass (htmlparser2, entities decoded) into what the check
// judges: title, description, headings, visible text, hidden text with the reason it is hidden, links
// (visible or inside hidden containers), external scripts and iframes, meta refresh and the URLs that
// inline scripts assign to `location`, plus the tag structure for comparing the start page.
import { Parser } from 'htmlparser2';
import { hidingReason, hidingRulesOf, type HidingRules } from './hiding.ts';
import { normalizeUrl, type UrlCache } from './urls.ts';

/** Bounds per page, whatever it holds. */
const MAX_TEXT = 1_000_000;
const MAX_LINKS = 5000;
const MAX_SCRIPT_CHARS = 256 * 1024;
const MAX_DEPTH = 512;
const MAX_STRUCTURE_TOKENS = 500;

export interface Link {
  url: URL;
  text: string;
  /** The reason the link is hidden (inside a hidden container), or undefined when it is visible. */
  hidden?: string;
}

export interface HiddenText {
  reason: string;
  text: string;
}

export interface PageModel {
  title: string;
  /** meta description, keywords and og:description. */
  description: string;
  headings: string;
  visible: string;
  hidden: HiddenText[];
  links: Link[];
  /** Absolute URLs of external scripts and iframes. */
  embeds: URL[];
  /** Where a meta refresh or an inline script sends the visitor. */
  redirects: { url: URL; how: 'meta refresh' | 'script' }[];
  /** Tag.class tokens and their counts: the page's shape. */
  structure: Map<string, number>;
}

interface Frame {
  name: string;
  hidden?: string;
}

const SKIP_TEXT = new Set(['script', 'style', 'template', 'head', 'textarea', 'select', 'option']);
const HEADINGS = new Set(['h1', 'h2', 'h3']);

class Extractor {
  readonly page: PageModel = { title: '', description: '', headings: '', visible: '', hidden: [], links: [], embeds: [], redirects: [], structure: new Map() };
  private stack: Frame[] = [];
  private base: URL;
  private inTitle = 0;
  private heading = 0;
  private skip = 0;
  private anchor?: { href: string; text: string; hidden?: string };
  private script = '';
  private inScript = false;
  private hiddenText = new Map<string, string[]>();
  private textChars = 0;
  private visibleParts: string[] = [];
  private headingParts: string[] = [];

  constructor(
    pageUrl: URL,
    private readonly rules: HidingRules,
    private readonly urls?: UrlCache,
  ) {
    this.base = pageUrl;
  }

  private url(raw: string | undefined): URL | undefined {
    if (!raw) return undefined;
    return this.urls ? this.urls.normalize(raw, this.base) : normalizeUrl(raw, this.base);
  }

  private hiddenNow(): string | undefined {
    return this.stack.length ? this.stack[this.stack.length - 1].hidden : undefined;
  }

  /**
   * Text events come in pieces (an entity is its own piece): pieces are joined as they are, and a
   * tag boundary counts as a space.
   */
  private boundary(): void {
    this.visibleParts.push(' ');
    if (this.heading > 0) this.headingParts.push(' ');
    const hidden = this.hiddenNow();
    if (hidden) this.hiddenText.get(hidden)?.push(' ');
    if (this.anchor) this.anchor.text += ' ';
  }

  open(name: string, attrs: Record<string, string>): void {
    this.boundary();
    const parentHidden = this.hiddenNow();
    const hidden = parentHidden ?? this.hidingOf(name, attrs);
    if (this.stack.length < MAX_DEPTH) this.stack.push({ name, hidden });
    const token = structureToken(name, attrs);
    const count = this.page.structure.get(token);
    if (count !== undefined || this.page.structure.size < MAX_STRUCTURE_TOKENS) this.page.structure.set(token, (count ?? 0) + 1);
    if (name === 'title') this.inTitle++;
    if (HEADINGS.has(name)) this.heading++;
    if (SKIP_TEXT.has(name) && name !== 'head') this.skip++;
    if (name === 'script') this.inScript = !attrs.src;
    this.element(name, attrs, hidden);
  }

  private hidingOf(name: string, attrs: Record<string, string>): string | undefined {
    if (name === 'noscript') return '<noscript>';
    if (attrs.hidden !== undefined) return 'hidden attribute';
    if (attrs.style) {
      const r = hidingReason(attrs.style);
      if (r) return r;
    }
    if (attrs.id && this.rules.ids.has(attrs.id)) return this.rules.ids.get(attrs.id);
    if (attrs.class) {
      for (const c of attrs.class.split(/\s+/)) if (c && this.rules.classes.has(c)) return this.rules.classes.get(c);
    }
    return undefined;
  }

  private element(name: string, attrs: Record<string, string>, hidden: string | undefined): void {
    switch (name) {
      case 'base': {
        const b = this.url(attrs.href);
        if (b) this.base = b;
        break;
      }
      case 'a':
      case 'area':
        if (attrs.href && this.page.links.length < MAX_LINKS) {
          if (name === 'area') this.link(attrs.href, attrs.alt ?? '', hidden);
          else this.anchor = { href: attrs.href, text: '', hidden };
        }
        break;
      case 'script':
      case 'iframe':
      case 'frame': {
        const src = this.url(attrs.src);
        if (src && this.page.embeds.length < MAX_LINKS) this.page.embeds.push(src);
        if (src && name !== 'script' && this.page.links.length < MAX_LINKS) this.page.links.push({ url: src, text: '', hidden });
        break;
      }
      case 'meta':
        this.meta(attrs);
        break;
    }
  }

  private meta(attrs: Record<string, string>): void {
    const key = (attrs.name ?? attrs.property ?? '').toLowerCase();
    if (['description', 'keywords', 'og:description', 'og:title', 'twitter:description'].includes(key) && attrs.content) {
      this.page.description = `${this.page.description} ${attrs.content}`.slice(0, 10_000);
    }
    if ((attrs['http-equiv'] ?? '').toLowerCase() === 'refresh' && attrs.content) {
      const m = /url\s*=\s*['"]?([^'"\s]+)/i.exec(attrs.content.slice(0, MAX_SCRIPT_CHARS));
      const target = m ? this.url(m[1]) : undefined;
      if (target) this.page.redirects.push({ url: target, how: 'meta refresh' });
    }
  }

  private link(href: string, text: string, hidden: string | undefined): void {
    const u = this.url(href);
    if (u) this.page.links.push({ url: u, text: text.trim().slice(0, 500), hidden });
  }

  close(name: string): void {
    this.boundary();
    const top = this.stack[this.stack.length - 1];
    if (top && top.name === name) this.stack.pop();
    if (name === 'title' && this.inTitle > 0) this.inTitle--;
    if (HEADINGS.has(name) && this.heading > 0) this.heading--;
    if (SKIP_TEXT.has(name) && name !== 'head' && this.skip > 0) this.skip--;
    if (name === 'a' && this.anchor) {
      this.link(this.anchor.href, this.anchor.text, this.anchor.hidden);
      this.anchor = undefined;
    }
    if (name === 'script') {
      if (this.inScript) this.scriptRedirects();
      this.inScript = false;
      this.script = '';
    }
  }

  text(t: string): void {
    if (this.inScript) {
      if (this.script.length < MAX_SCRIPT_CHARS) this.script += t;
      return;
    }
    if (this.inTitle) {
      if (this.page.title.length < 2000) this.page.title += t;
      return;
    }
    if (this.skip > 0 || this.textChars > MAX_TEXT) return;
    this.textChars += t.length;
    if (this.anchor && this.anchor.text.length < 500) this.anchor.text += t;
    const hidden = this.hiddenNow();
    if (hidden) {
      const parts = this.hiddenText.get(hidden) ?? [];
      parts.push(t);
      this.hiddenText.set(hidden, parts);
      return;
    }
    this.visibleParts.push(t);
    if (this.heading > 0) this.headingParts.push(t);
  }

  /** `location = "…"`, `location.href = '…'`, `location.replace("…")`, `window.location.assign('…')`. */
  private scriptRedirects(): void {
    const s = this.script;
    for (let at = s.indexOf('location'); at >= 0 && this.page.redirects.length < 20; at = s.indexOf('location', at + 8)) {
      let i = at + 8;
      const rest = s.slice(i, i + 40);
      const m = /^(\s*\.\s*(href|replace|assign))?\s*(=(?!=)|\()\s*/.exec(rest);
      if (!m) continue;
      i += m[0].length;
      const quote = s[i];
      if (quote !== '"' && quote !== "'" && quote !== '`') continue;
      const end = s.indexOf(quote, i + 1);
      if (end < 0 || end - i > 2048) continue;
      const target = this.url(s.slice(i + 1, end));
      if (target) this.page.redirects.push({ url: target, how: 'script' });
    }
  }

  finish(): PageModel {
    if (this.anchor) this.link(this.anchor.href, this.anchor.text, this.anchor.hidden);
    this.page.visible = this.visibleParts.join('');
    this.page.headings = this.headingParts.join('');
    this.page.title = this.page.title.trim();
    for (const [reason, parts] of this.hiddenText) {
      const text = parts.join('').replace(/\s+/g, ' ').trim();
      if (text) this.page.hidden.push({ reason, text });
    }
    return this.page;
  }
}

function structureToken(name: string, attrs: Record<string, string>): string {
  const cls = attrs.class?.trim().split(/\s+/)[0];
  return cls ? `${name}.${cls.slice(0, 40)}` : name;
}

/** One pass over `html` (already decoded to text) of the page at `url`; `urls`: the crawl's parsed links. */
export function parsePage(html: string, url: URL, urls?: UrlCache): PageModel {
  const x = new Extractor(url, hidingRulesOf(html), urls);
  const parser = new Parser(
    {
      onopentag: (name, attrs) => x.open(name, attrs),
      onclosetag: (name) => x.close(name),
      ontext: (t) => x.text(t),
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.end(html);
  return x.finish();
}

/** Words of a text for comparing pages: lowercase letters and digits runs. */
export function wordCounts(text: string, max = 5000): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    const w = m[0];
    if (w.length > 40) continue;
    if (!counts.has(w) && counts.size >= max) continue;
    counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return counts;
}

/** Weighted Jaccard similarity of two count maps, 0 (nothing shared) to 1 (the same); two empty maps are the same. */
export function similarity(a: Map<string, number>, b: Map<string, number>): number {
  let min = 0;
  let max = 0;
  for (const [k, x] of a) {
    const y = b.get(k) ?? 0;
    min += Math.min(x, y);
    max += Math.max(x, y);
  }
  for (const [k, y] of b) if (!a.has(k)) max += y;
  return max === 0 ? 1 : min / max;
}
