// robots.txt (RFC 9309) for the browser view of the crawl: the group for our product token or `*`,
// Allow/Disallow with `*` and `$`, the longest match winning and Allow winning a tie, and its
// Sitemap lines. Matching is a bounded glob, never a regular expression built from the site's text.

const MAX_RULES = 2000;
const MAX_PATTERN = 512;
const MAX_SITEMAPS = 20;

export interface Robots {
  allows(u: URL): boolean;
  sitemaps: string[];
}

interface Rule {
  allow: boolean;
  pattern: string;
}

export const ALLOW_ALL: Robots = { allows: () => true, sitemaps: [] };

/** The rules of robots.txt `text` that apply to `token` (e.g. canhgac), else to `*`. */
export function parseRobots(text: string, token: string): Robots {
  const groups: { agents: string[]; rules: Rule[] }[] = [];
  const sitemaps: string[] = [];
  let current: { agents: string[]; rules: Rule[] } | undefined;
  let lastWasAgent = false;
  let rules = 0;
  for (const raw of text.split(/\r\n|\r|\n/).slice(0, 20_000)) {
    const line = raw.replace(/#.*$/, '').trim();
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'sitemap') {
      if (sitemaps.length < MAX_SITEMAPS && value) sitemaps.push(value);
      continue;
    }
    if (key === 'user-agent') {
      if (!lastWasAgent || !current) groups.push((current = { agents: [], rules: [] }));
      current.agents.push(value.toLowerCase());
      lastWasAgent = true;
      continue;
    }
    lastWasAgent = false;
    if ((key === 'allow' || key === 'disallow') && current && rules < MAX_RULES) {
      // An empty Disallow allows everything: it is no rule at all.
      if (value === '' || value.length > MAX_PATTERN) continue;
      current.rules.push({ allow: key === 'allow', pattern: value });
      rules++;
    }
  }
  const mine = groups.filter((g) => g.agents.some((a) => a !== '*' && token.toLowerCase().startsWith(a)));
  const chosen = mine.length > 0 ? mine : groups.filter((g) => g.agents.includes('*'));
  const all = chosen.flatMap((g) => g.rules);
  return {
    sitemaps,
    allows: (u: URL) => {
      const path = u.pathname + u.search;
      let best: Rule | undefined;
      for (const r of all) {
        if (!globMatches(r.pattern, path)) continue;
        if (!best || r.pattern.length > best.pattern.length || (r.pattern.length === best.pattern.length && r.allow)) best = r;
      }
      return best ? best.allow : true;
    },
  };
}

/**
 * `*` any run of characters, `$` at the end anchors it; otherwise a prefix match. Greedy with one
 * backtrack point per star (the classic wildcard algorithm): at most pattern × path steps.
 */
export function globMatches(pattern: string, path: string): boolean {
  const anchored = pattern.endsWith('$');
  const p = anchored ? pattern.slice(0, -1) : pattern;
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  while (si < path.length) {
    if (pi < p.length && p[pi] !== '*' && p[pi] === path[si]) {
      pi++;
      si++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = si;
    } else if (pi === p.length && !anchored) {
      return true;
    } else if (star >= 0) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}
