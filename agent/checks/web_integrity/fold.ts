// Folds text the way spam is disguised, so one phrase list finds every spelling: case, Vietnamese
// diacritics, zero-width and format characters, letters spread out with spaces or dots, look-alike
// Cyrillic and Greek letters, full-width forms and leetspeak digits. Linear in the text's length.

/** Skeleton alphabet: a-z and the digits that have no letter reading (2, 6, 9). */
export const ALPHABET = 36;

/** Leetspeak readings of digits; i and l are one letter in the skeleton (1 reads as both). */
const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b' };

/** Letters of other scripts that look like Latin ones (homoglyph spellings such as Cyrillic "саsino"). */
const CONFUSABLE: Record<string, string> = {
  а: 'a', в: 'b', с: 'c', е: 'e', ё: 'e', н: 'h', і: 'i', ј: 'j', к: 'k', м: 'm', о: 'o', р: 'p', ѕ: 's', т: 't', у: 'y', х: 'x',
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', μ: 'u', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w',
};

/** Invisible characters that split a word without showing: dropped, not read as a space. */
const INVISIBLE = /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufe00-\ufe0f\ufeff]/;

// Vietnamese marks as bits, so "cá" and "ca" differ only in their mark mask.
const MARK_BITS: Record<number, number> = { 0x300: 1, 0x301: 2, 0x303: 4, 0x309: 8, 0x323: 16, 0x302: 32, 0x306: 64, 0x31b: 128 };
/** The stroke of đ, treated as one more mark on d. */
export const STROKE = 256;

interface CharFold {
  /** Skeleton letters this character becomes ('' for a separator). */
  letters: string;
  mask: number;
  /** Dropped altogether (invisible), neither letter nor separator. */
  invisible: boolean;
  /** A combining mark that belongs to the previous letter. */
  combining: number;
}

const cache = new Map<number, CharFold>();
/** Folds of the characters below U+2000 (Latin, Vietnamese, Greek, Cyrillic, combining marks): an array lookup. */
const low: (CharFold | undefined)[] = new Array(0x2000);
const SEPARATOR: CharFold = { letters: '', mask: 0, invisible: false, combining: 0 };

function foldChar(code: number, ch: string): CharFold {
  let f = code < 0x2000 ? low[code] : cache.get(code);
  if (f) return f;
  if (code >= 0x300 && code <= 0x36f) f = { letters: '', mask: 0, invisible: false, combining: MARK_BITS[code] ?? 0 };
  else if (INVISIBLE.test(ch)) f = { letters: '', mask: 0, invisible: true, combining: 0 };
  else {
    const lower = ch.toLowerCase();
    let mask = 0;
    let letters = '';
    if (lower === 'đ') {
      letters = 'd';
      mask = STROKE;
    } else if (CONFUSABLE[lower]) letters = CONFUSABLE[lower];
    else {
      for (const part of lower.normalize('NFKD')) {
        const c = part.charCodeAt(0);
        if (c >= 0x300 && c <= 0x36f) mask |= MARK_BITS[c] ?? 0;
        else if (/[a-z]/.test(part)) letters += part === 'l' ? 'i' : part;
        else if (/[0-9]/.test(part)) letters += LEET[part] ?? part;
      }
    }
    f = letters ? { letters, mask, invisible: false, combining: 0 } : SEPARATOR;
  }
  if (code < 0x2000) low[code] = f;
  else if (cache.size < 4096) cache.set(code, f);
  return f;
}

/** Text folded to its skeleton, with a way back to the original for evidence. */
export interface Folded {
  text: string;
  /** Letters and digits only (ASCII codes), lowercase, unmarked, leet read as letters, i and l as one. */
  skel: Uint8Array;
  /** Index in `text` of each skeleton letter. */
  pos: Int32Array;
  /** 1 when a separator (space, dot, dash...) comes before skeleton letter i; gap[length] is 1. */
  gap: Uint8Array;
  /** 1 when skeleton letter i was written as a digit. */
  digit: Uint8Array;
  /** Vietnamese marks (and the stroke of đ) written on skeleton letter i. */
  mask: Uint16Array;
  /** How many letters carry a mark: a text written without any is "unmarked". */
  marked: number;
}

const code = (c: string) => c.charCodeAt(0);
const LEET_CODES = new Uint8Array(10).map((_, d) => code(LEET[String(d)] ?? String(d)));

/**
 * Room for folding texts again and again without allocating (a page has a dozen texts, and a crawl
 * hundreds of pages): the matcher keeps one. A Folded made in it is valid until its next use.
 */
export class FoldScratch {
  skel = new Uint8Array(0);
  pos = new Int32Array(0);
  gap = new Uint8Array(1);
  digit = new Uint8Array(0);
  mask = new Uint16Array(0);

  /** Room for `room` letters; a very long text gets arrays of its own, so the scratch stays small. */
  arrays(room: number): FoldArrays {
    if (room > MAX_SCRATCH) return freshArrays(room);
    if (this.skel.length < room) {
      const size = Math.min(MAX_SCRATCH, Math.max(room, 2 * this.skel.length, 1024));
      Object.assign(this, freshArrays(size));
    }
    return this;
  }
}

/** Letters a scratch keeps room for (about 2.3 MB): the visible text of a large page. */
const MAX_SCRATCH = 256 * 1024;

type FoldArrays = Pick<FoldScratch, 'skel' | 'pos' | 'gap' | 'digit' | 'mask'>;

function freshArrays(room: number): FoldArrays {
  return { skel: new Uint8Array(room), pos: new Int32Array(room), gap: new Uint8Array(room + 1), digit: new Uint8Array(room), mask: new Uint16Array(room) };
}

/** Fold `text` (already HTML-decoded), in `scratch` when given (then valid until its next use). */
export function fold(text: string, scratch?: FoldScratch): Folded {
  const n = text.length;
  // A character folds to at most a few letters (ligatures); 2n + 8 is room enough and is checked.
  const room = 2 * n + 8;
  const { skel, pos, gap, digit, mask } = scratch ? scratch.arrays(room) : freshArrays(room);
  let k = 0;
  let marked = 0;
  let pendingGap = 1;
  // Every array is written at each index below k (a scratch holds an earlier text's letters past it).
  for (let i = 0; i < n && k < room - 4; i++) {
    const c = text.charCodeAt(i);
    // ASCII letters and digits are most of any page: no lookup for them.
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) {
      const lower = c | 32;
      skel[k] = lower === 108 ? 105 : lower;
      pos[k] = i;
      gap[k] = pendingGap;
      digit[k] = 0;
      mask[k] = 0;
      pendingGap = 0;
      k++;
      continue;
    }
    if (c >= 48 && c <= 57) {
      skel[k] = LEET_CODES[c - 48];
      pos[k] = i;
      gap[k] = pendingGap;
      digit[k] = 1;
      mask[k] = 0;
      pendingGap = 0;
      k++;
      continue;
    }
    if (c < 128) {
      pendingGap = 1;
      continue;
    }
    const f = foldChar(c, text[i]);
    if (f.invisible) continue;
    if (f.combining) {
      // A combining mark written after its letter (decomposed text) marks that letter.
      if (k > 0 && pendingGap === 0) {
        if (mask[k - 1] === 0) marked++;
        mask[k - 1] |= f.combining;
      }
      continue;
    }
    if (!f.letters) {
      pendingGap = 1;
      continue;
    }
    for (let j = 0; j < f.letters.length; j++) {
      const m = j === 0 ? f.mask : 0;
      skel[k] = f.letters.charCodeAt(j);
      pos[k] = i;
      gap[k] = pendingGap;
      digit[k] = 0;
      mask[k] = m;
      if (m) marked++;
      pendingGap = 0;
      k++;
    }
  }
  gap[k] = 1;
  return { text, skel: skel.subarray(0, k), pos: pos.subarray(0, k), gap: gap.subarray(0, k + 1), digit: digit.subarray(0, k), mask: mask.subarray(0, k), marked };
}

/** A phrase as the matcher needs it: its skeleton and the marks of each of its letters. */
export interface FoldedPhrase {
  skel: string;
  mask: Uint16Array;
}

export function foldPhrase(text: string): FoldedPhrase {
  const f = fold(text.normalize('NFC'));
  return { skel: Buffer.from(f.skel).toString('latin1'), mask: f.mask.slice() };
}

/** Index of a skeleton character in the 36-letter alphabet. */
export function letterIndex(code: number): number {
  return code >= 97 ? code - 97 : code - 48 + 26;
}
