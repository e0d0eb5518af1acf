// How one page's content is judged: spam phrases in what a visitor sees and, apart, in what is hidden
// from them; defacement markers; the score that turns matches into a finding, with the evidence.
import type { PageModel } from './html.ts';
import { BUILTIN_PHRASES, DEFACE_MARKERS, HEADING_MARKERS, REPORTING_WORDS, type Phrase } from './keywords.ts';
import { contextOf, PhraseMatcher, type Entry, type Match } from './matcher.ts';

/** A page is flagged when its score reaches this: one strong phrase, or four different weak ones. */
export const FLAG_SCORE = 4;
const STRONG = 4;
const WEAK = 1;
/** Distinct crime-reporting words that make a page news about gambling rather than an advertisement. */
const REPORTING_MIN = 2;

export interface KeywordSettings {
  extra: string[];
  disable: string[];
}

/** Every phrase of one site's crawl: built-in lists less `disable`, plus `extra`, the site's allowlist and the markers. */
export function buildMatcher(keywords: KeywordSettings, allow: readonly string[]): PhraseMatcher {
  const disabled = new Set(keywords.disable.map((d) => d.normalize('NFC').toLowerCase().trim()));
  const userMarks = (t: string) => /[\u0300-\u036f]|[đĐ]/.test(t.normalize('NFD'));
  const entries: Entry[] = [
    ...BUILTIN_PHRASES.filter((p) => !disabled.has(p.text)).map((p: Phrase) => ({ ...p, kind: 'spam' as const, marksMatter: true })),
    ...keywords.extra.map((text) => ({ text, kind: 'spam' as const, category: 'gambling' as const, strength: 'strong' as const, marksMatter: userMarks(text) })),
    ...allow.map((text) => ({ text, kind: 'allow' as const, marksMatter: userMarks(text) })),
    ...DEFACE_MARKERS.map((p) => ({ ...p, kind: 'deface' as const, marksMatter: true })),
    ...HEADING_MARKERS.map((p) => ({ ...p, kind: 'heading_deface' as const, marksMatter: true })),
    ...REPORTING_WORDS.map((text) => ({ text, kind: 'reporting' as const, marksMatter: true })),
  ];
  return new PhraseMatcher(entries);
}

/** What the spam phrases of one group of texts add up to. */
export interface SpamVerdict {
  score: number;
  /** Occurrences of spam phrases that count. */
  hits: number;
  evidence?: string;
}

interface Zone {
  label: string;
  text: string;
  /** Weak phrases here are as telling as strong ones (hidden text, anchors of links to other domains). */
  weakIsStrong: boolean;
  /** False for texts also inside another zone (link anchors are visible text too): weight only. */
  countsHits?: boolean;
}

interface ZoneMatches {
  zone: Zone;
  matches: Match[];
}

function score(groups: ZoneMatches[], weakCounts: boolean): SpamVerdict {
  const weights = new Map<string, number>();
  let hits = 0;
  let best: { w: number; z: ZoneMatches; m: Match } | undefined;
  for (const z of groups) {
    for (const m of outermost(z.matches)) {
      if (m.entry.kind !== 'spam') continue;
      const strong = m.entry.strength === 'strong' || z.zone.weakIsStrong;
      const w = strong ? STRONG : weakCounts ? WEAK : 0;
      if (w === 0) continue;
      if (z.zone.countsHits !== false) hits++;
      weights.set(m.entry.text, Math.max(weights.get(m.entry.text) ?? 0, w));
      if (!best || w > best.w) best = { w, z, m };
    }
  }
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  if (!best) return { score: 0, hits: 0 };
  const where = best.z.zone.label ? `${best.z.zone.label}: ` : '';
  return { score: total, hits, evidence: `${where}${contextOf(best.z.zone.text, best.m.from, best.m.to, 300 - where.length)}` };
}

/** Spam matches not inside a longer one ("nhà cái" within "nhà cái uy tín" is one occurrence). */
function outermost(matches: Match[]): Match[] {
  const spam = matches.filter((m) => m.entry.kind === 'spam').sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Match[] = [];
  let reach = -1;
  for (const m of spam) {
    if (m.end <= reach) continue;
    kept.push(m);
    reach = Math.max(reach, m.end);
  }
  return kept;
}

export interface ContentVerdict {
  visible: SpamVerdict;
  hidden: SpamVerdict;
  /** A defacement marker in its context. */
  marker?: string;
  markerCount: number;
}

/**
 * Judge a page's content. `isHome`: the start page, where a defacement marker counts anywhere;
 * elsewhere only in the title and h1-h3. `foreign(url)`: a link to another domain.
 */
export function judgeContent(page: PageModel, matcher: PhraseMatcher, opts: { isHome: boolean; foreign: (u: URL) => boolean }): ContentVerdict {
  const run = (zone: Zone): ZoneMatches => ({ zone, matches: zone.text ? matcher.findIn(zone.text) : [] });
  const title = run({ label: 'title', text: page.title, weakIsStrong: false });
  const description = run({ label: 'description', text: page.description, weakIsStrong: false });
  const visible = run({ label: '', text: page.visible, weakIsStrong: false });
  const headings = run({ label: 'heading', text: page.headings, weakIsStrong: false });
  const offsiteAnchors = page.links
    .filter((l) => !l.hidden && opts.foreign(l.url))
    .slice(0, 200)
    .map((l) => run({ label: `link to ${l.url.host}`, text: `${l.text} ${l.url.hostname}`, weakIsStrong: true, countsHits: false }));
  const hidden = [
    ...page.hidden.map((h) => run({ label: h.reason, text: h.text, weakIsStrong: true })),
    ...page.links
      .filter((l) => l.hidden)
      .slice(0, 500)
      .map((l) => run({ label: `${l.hidden} link to ${l.url.host}`, text: `${l.text} ${l.url.hostname}${l.url.pathname}`, weakIsStrong: true, countsHits: false })),
  ];
  const reporting = new Set(visible.matches.filter((m) => m.entry.kind === 'reporting').map((m) => m.entry.text));
  const weakCounts = reporting.size < REPORTING_MIN;
  // Link anchors are in the visible text already: counted there, and here only for the weight.
  const anchorsOnly = offsiteAnchors.map((z) => ({ zone: z.zone, matches: z.matches.filter((m) => m.entry.strength === 'weak') }));
  const visibleVerdict = score([title, description, ...anchorsOnly, visible], weakCounts);
  const hiddenVerdict = score(hidden, true);

  const markerZones = opts.isHome ? [title, headings, visible, ...hidden] : [title, headings];
  let marker: string | undefined;
  let markerCount = 0;
  for (const z of markerZones) {
    for (const m of z.matches) {
      const isMarker = m.entry.kind === 'deface' || (m.entry.kind === 'heading_deface' && (z === title || z === headings));
      if (!isMarker) continue;
      markerCount++;
      marker ??= `${z.zone.label ? `${z.zone.label}: ` : ''}${contextOf(z.zone.text, m.from, m.to, 280)}`;
    }
  }
  return { visible: visibleVerdict, hidden: hiddenVerdict, marker, markerCount };
}

/** The spam verdict of a URL's slug (a new sitemap URL): its words against the same phrases. */
export function judgeSlug(slug: string, matcher: PhraseMatcher): SpamVerdict {
  return score([{ zone: { label: 'slug', text: slug, weakIsStrong: false }, matches: matcher.findIn(slug) }], true);
}
