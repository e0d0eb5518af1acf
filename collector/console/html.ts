/**
 * HTML built from tagged templates: every interpolated value is escaped unless it is already
 * `Html` (made by `html` itself or by `raw` for trusted, static markup).
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type Interpolation = Html | string | number | boolean | null | undefined | Interpolation[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}

function render(v: Interpolation): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Markup that is known to be safe (static strings of this code, SVG built from numbers). */
export function raw(s: string): Html {
  return new Html(s);
}

/** A URL path with escaped segments: `/console/agencies/${id}` never lets an id break out. */
export function path(strings: TemplateStringsArray, ...segments: (string | number)[]): string {
  let out = strings[0];
  for (let i = 0; i < segments.length; i++) out += encodeURIComponent(String(segments[i])) + strings[i + 1];
  return out;
}
