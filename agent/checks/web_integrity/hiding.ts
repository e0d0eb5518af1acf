// Says whether CSS hides an element from a visitor, the way injected link blocks are hidden: display,
// visibility, opacity, zero or tiny font size, zero-size boxes with overflow hidden, clipping and
// off-screen positioning; from inline styles and from the simple class and id rules of <style> blocks.

/** Bounds on what a page's own CSS may cost us. */
const MAX_CSS_CHARS = 256 * 1024;
const MAX_RULES = 4000;
/** An element pushed this far out of the page is not meant to be seen. */
const OFF_SCREEN_PX = 500;

function pixels(value: string): number | undefined {
  if (value.length > 32) return undefined;
  const m = /^(-?\d*\.?\d+)(px|em|rem|pt|%|vw|vh)?$/.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  switch (m[2]) {
    case 'em':
    case 'rem':
      return n * 16;
    case 'pt':
      return (n * 4) / 3;
    case '%':
    case 'vw':
    case 'vh':
      return n * 10;
    default:
      return n;
  }
}

/** Why these declarations hide their element (e.g. `display:none`), or undefined when they do not. */
export function hidingReason(declarations: string): string | undefined {
  const decls = new Map<string, string>();
  for (const part of declarations.slice(0, 4096).split(';')) {
    const colon = part.indexOf(':');
    if (colon < 0) continue;
    const key = part.slice(0, colon).trim().toLowerCase();
    const value = part.slice(colon + 1).replace(/!important/i, '').trim().toLowerCase();
    // Every value this looks at is short; a long one is something else (and never worth a regex).
    if (key && value.length <= 64) decls.set(key, value);
  }
  const v = (k: string) => decls.get(k);
  if (v('display') === 'none') return 'display:none';
  if (v('visibility') === 'hidden' || v('visibility') === 'collapse') return `visibility:${v('visibility')}`;
  const opacity = v('opacity');
  if (opacity !== undefined && Number(opacity) === 0 && opacity !== '') return 'opacity:0';
  const font = v('font-size');
  if (font !== undefined && (pixels(font) ?? 99) <= 1) return `font-size:${font}`;
  for (const k of ['left', 'top', 'right', 'bottom', 'margin-left', 'margin-top', 'text-indent']) {
    const px = v(k) === undefined ? undefined : pixels(v(k)!);
    if (px !== undefined && px <= -OFF_SCREEN_PX) return `${k}:${v(k)}`;
  }
  const overflowHidden = v('overflow') === 'hidden' || v('overflow-x') === 'hidden' || v('overflow-y') === 'hidden';
  for (const k of ['height', 'width', 'max-height', 'max-width']) {
    const px = v(k) === undefined ? undefined : pixels(v(k)!);
    if (overflowHidden && px !== undefined && px <= 1) return `${k}:${v(k)};overflow:hidden`;
  }
  const clip = v('clip');
  if (clip && /rect\(\s*0(px)?[\s,]+0(px)?[\s,]+0(px)?[\s,]+0(px)?\s*\)/.test(clip)) return 'clip:rect(0 0 0 0)';
  const clipPath = v('clip-path');
  if (clipPath && /inset\(\s*(50|100)%/.test(clipPath)) return `clip-path:${clipPath}`;
  const transform = v('transform');
  if (transform && /scale\(\s*0(\.0+)?\s*[,)]/.test(transform)) return 'transform:scale(0)';
  return undefined;
}

/** Classes and ids that a page's <style> blocks hide, with the reason. */
export interface HidingRules {
  classes: Map<string, string>;
  ids: Map<string, string>;
}

/**
 * Simple rules of the page's own <style> blocks: the last compound of each selector, when it is a
 * class or an id (`.menu .x`, `div#y`), is taken as hidden. Selectors with pseudo-classes (`:hover`)
 * and attribute conditions are left out, so a menu shown on hover is not hidden content.
 */
export function hidingRulesOf(html: string): HidingRules {
  const rules: HidingRules = { classes: new Map(), ids: new Map() };
  // Found without a lowercase copy of the whole page (literal patterns: linear).
  const find = (re: RegExp, from: number) => {
    re.lastIndex = from;
    return re.exec(html)?.index ?? -1;
  };
  const openTag = /<style/gi;
  const closeTag = /<\/style/gi;
  let css = '';
  for (let at = find(openTag, 0); at >= 0 && css.length < MAX_CSS_CHARS; at = find(openTag, at + 6)) {
    const open = html.indexOf('>', at);
    if (open < 0) break;
    const close = find(closeTag, open);
    css += html.slice(open + 1, close < 0 ? Math.min(html.length, open + 1 + MAX_CSS_CHARS) : close) + '\n';
    if (close < 0) break;
  }
  if (!css) return rules;
  css = stripComments(css.slice(0, MAX_CSS_CHARS));
  let count = 0;
  let start = 0;
  for (let open = css.indexOf('{'); open >= 0 && count < MAX_RULES; open = css.indexOf('{', start)) {
    const close = css.indexOf('}', open);
    if (close < 0) break;
    const selector = css.slice(start, open);
    const body = css.slice(open + 1, close);
    start = close + 1;
    count++;
    // `@media screen {` opens a block: its rules follow as ordinary ones.
    if (body.includes('{')) {
      start = open + 1;
      continue;
    }
    const reason = hidingReason(body);
    if (reason) addSelectors(rules, selector, reason);
  }
  return rules;
}

function stripComments(css: string): string {
  let out = '';
  let i = 0;
  while (i < css.length) {
    const c = css.indexOf('/*', i);
    if (c < 0) return out + css.slice(i);
    out += css.slice(i, c);
    const e = css.indexOf('*/', c + 2);
    if (e < 0) return out;
    i = e + 2;
  }
  return out;
}

function addSelectors(rules: HidingRules, selectors: string, reason: string): void {
  for (const raw of selectors.split(',')) {
    const sel = raw.trim();
    if (!sel || sel.includes(':') || sel.includes('[') || sel.startsWith('@')) continue;
    const last = sel.split(/[\s>+~]+/).pop() ?? '';
    const id = /#([\w-]+)/.exec(last);
    if (id) {
      rules.ids.set(id[1], `#${id[1]} {${reason}}`);
      continue;
    }
    const cls = /\.([\w-]+)/.exec(last);
    if (cls) rules.classes.set(cls[1], `.${cls[1]} {${reason}}`);
  }
}
