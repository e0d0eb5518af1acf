// Finds phrases (spam keywords, allowed phrases, defacement markers) in folded text: one Aho-Corasick
// pass over the skeleton, linear in the text whatever the phrases, then each candidate is checked for
// word boundaries, leetspeak sanity and agreement of Vietnamese diacritics.
import { ALPHABET, fold, FoldScratch, foldPhrase, letterIndex, type Folded } from './fold.ts';
import type { Category } from './keywords.ts';

export type EntryKind = 'spam' | 'allow' | 'deface' | 'heading_deface' | 'reporting';

export interface Entry {
  text: string;
  kind: EntryKind;
  category?: Category;
  strength?: 'strong' | 'weak';
  strict?: boolean;
  /**
   * Whether diacritics must agree. False only for a user's phrase written without any mark, which
   * then matches every spelling; a built-in English word such as "casino" must meet unmarked letters.
   */
  marksMatter: boolean;
}

interface Compiled extends Entry {
  skel: string;
  mask: Uint16Array;
  digits: number;
}

export interface Match {
  entry: Entry;
  /** Skeleton range [start, end). */
  start: number;
  end: number;
  /** Range in the original text. */
  from: number;
  to: number;
}

/** Phrases shorter than this (in letters) must stand as whole words; longer ones are found inside run-together text. */
const INFIX_MIN = 8;
/** How far around a strict match the text must also be written without marks. */
const UNMARKED_WINDOW = 40;

/** A compiled set of phrases; build once per site, use for every text of its crawl. */
export class PhraseMatcher {
  private readonly entries: Compiled[] = [];
  private goto = new Int32Array(ALPHABET);
  private out: number[][] = [[]];
  private outLink = new Int32Array(1);
  private readonly scratch = new FoldScratch();

  constructor(entries: readonly Entry[]) {
    const seen = new Set<string>();
    for (const e of entries) {
      const f = foldPhrase(e.text);
      if (f.skel.length < 2) continue;
      const key = `${e.kind}\u0000${f.skel}\u0000${Array.from(f.mask).join(',')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let digits = 0;
      for (const ch of e.text) if (ch >= '0' && ch <= '9') digits++;
      this.entries.push({ ...e, skel: f.skel, mask: f.mask, digits });
    }
    this.build();
  }

  get size(): number {
    return this.entries.length;
  }

  private build(): void {
    // Trie, then breadth-first failure links folded into a complete transition table.
    const children: Int32Array[] = [new Int32Array(ALPHABET).fill(-1)];
    const out: number[][] = [[]];
    this.entries.forEach((e, id) => {
      let node = 0;
      for (let i = 0; i < e.skel.length; i++) {
        const c = letterIndex(e.skel.charCodeAt(i));
        if (children[node][c] === -1) {
          children[node][c] = children.length;
          children.push(new Int32Array(ALPHABET).fill(-1));
          out.push([]);
        }
        node = children[node][c];
      }
      out[node].push(id);
    });
    const n = children.length;
    const goto = new Int32Array(n * ALPHABET);
    const fail = new Int32Array(n);
    const outLink = new Int32Array(n).fill(-1);
    const queue: number[] = [];
    for (let c = 0; c < ALPHABET; c++) {
      const child = children[0][c];
      goto[c] = child === -1 ? 0 : child;
      if (child !== -1) queue.push(child);
    }
    for (let q = 0; q < queue.length; q++) {
      const node = queue[q];
      for (let c = 0; c < ALPHABET; c++) {
        const child = children[node][c];
        if (child === -1) {
          goto[node * ALPHABET + c] = goto[fail[node] * ALPHABET + c];
          continue;
        }
        const f = goto[fail[node] * ALPHABET + c];
        fail[child] = f;
        outLink[child] = out[f].length > 0 ? f : outLink[f];
        goto[node * ALPHABET + c] = child;
        queue.push(child);
      }
    }
    this.goto = goto;
    this.out = out;
    this.outLink = outLink;
  }

  /** Every accepted match in `f`, allowed phrases removed along with what they cover. */
  find(f: Folded): Match[] {
    const found: Match[] = [];
    const { skel } = f;
    let state = 0;
    for (let i = 0; i < skel.length; i++) {
      state = this.goto[state * ALPHABET + letterIndex(skel[i])];
      for (let node = this.out[state].length > 0 ? state : this.outLink[state]; node > 0; node = this.outLink[node]) {
        for (const id of this.out[node]) {
          const e = this.entries[id];
          const start = i + 1 - e.skel.length;
          if (accept(e, f, start, i + 1)) found.push({ entry: e, start, end: i + 1, from: f.pos[start], to: endOf(f.text, f.pos[i] + 1) });
        }
      }
      // Bounded whatever the page: a text with more candidates than this is spam many times over.
      if (found.length >= 5000) break;
    }
    return dropAllowed(found);
  }

  /** Matches in a plain string (folds it first, in the matcher's own scratch: a match keeps no part of it). */
  findIn(text: string): Match[] {
    return this.find(fold(text, this.scratch));
  }
}

/** Past the combining marks written after the last letter, so evidence shows the whole word. */
function endOf(text: string, to: number): number {
  let i = to;
  while (i < text.length && i < to + 8 && text.charCodeAt(i) >= 0x300 && text.charCodeAt(i) <= 0x36f) i++;
  return i;
}

function boundaryAt(f: Folded, i: number): boolean {
  if (i <= 0 || i >= f.skel.length) return true;
  return f.gap[i] === 1 || f.digit[i] !== f.digit[i - 1];
}

function accept(e: Compiled, f: Folded, start: number, end: number): boolean {
  const len = end - start;
  if (len < INFIX_MIN && !(boundaryAt(f, start) && boundaryAt(f, end))) return false;
  // Leetspeak: digits may stand for letters, but a number alone ("5107") is not "slot".
  let letters = 0;
  for (let i = start; i < end; i++) if (!f.digit[i]) letters++;
  if (letters < Math.max(1, (len - e.digits) / 2)) return false;
  if (!e.marksMatter) return true;
  let textMarks = 0;
  let missing = 0;
  for (let k = 0; k < len; k++) {
    const tm = f.mask[start + k];
    const pm = e.mask[k];
    if (tm !== 0) {
      textMarks++;
      if (tm !== pm) return false;
    } else if (pm !== 0) missing++;
  }
  if (!e.strict || missing === 0) return true;
  // A strict phrase written without marks counts only where the text around it has none either.
  if (textMarks > 0) return false;
  const lo = Math.max(0, start - UNMARKED_WINDOW);
  const hi = Math.min(f.skel.length, end + UNMARKED_WINDOW);
  for (let i = lo; i < hi; i++) if (f.mask[i] !== 0) return false;
  return true;
}

function dropAllowed(found: Match[]): Match[] {
  const allowed = found.filter((m) => m.entry.kind === 'allow');
  const rest = found.filter((m) => m.entry.kind !== 'allow');
  if (allowed.length === 0) return rest;
  return rest.filter((m) => !allowed.some((a) => a.start <= m.start && m.end <= a.end));
}

/** Control and bidi characters never reach evidence; runs of white space become one space. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+/g;

/** The matched text in its context, at most `max` characters, the match kept whole and central. */
export function contextOf(text: string, from: number, to: number, max = 300): string {
  const clean = (s: string) => s.replace(UNPRINTABLE, ' ').replace(/\s+/g, ' ');
  const hit = clean(text.slice(from, Math.min(to, from + max))).trim();
  const room = Math.max(0, max - hit.length - 2);
  const before = clean(text.slice(Math.max(0, from - room), from));
  const after = clean(text.slice(to, to + room));
  const b = before.slice(Math.max(0, before.length - Math.ceil(room / 2)));
  const a = after.slice(0, room - b.length);
  const head = from - room > 0 || b.length < before.length ? '…' : '';
  const tail = to + room < text.length || a.length < after.length ? '…' : '';
  return `${head}${b.trimStart()}${hit}${a.trimEnd()}${tail}`.slice(0, max);
}
