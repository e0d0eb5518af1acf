/**
 * Label matchers shared by rules and silences. A matcher map is `{ label: pattern }` where pattern is
 * an exact value, `!value` (anything but), or `~regex` (anchored regular expression).
 */
export type MatcherMap = Record<string, string>;

export interface Matcher {
  label: string;
  test(value: string | undefined): boolean;
}

export function matcherIssue(pattern: string): string | undefined {
  if (!pattern.startsWith('~')) return undefined;
  try {
    new RegExp(`^(?:${pattern.slice(1)})$`);
    return undefined;
  } catch (err) {
    return `invalid regular expression: ${(err as Error).message}`;
  }
}

export function compileMatchers(map: MatcherMap | undefined): Matcher[] {
  return Object.entries(map ?? {}).map(([label, pattern]) => {
    if (pattern.startsWith('~')) {
      const re = new RegExp(`^(?:${pattern.slice(1)})$`);
      return { label, test: (v) => re.test(v ?? '') };
    }
    if (pattern.startsWith('!')) {
      const not = pattern.slice(1);
      return { label, test: (v) => (v ?? '') !== not };
    }
    return { label, test: (v) => v === pattern };
  });
}

export function matchesAll(matchers: Matcher[], labels: Record<string, string | undefined>): boolean {
  for (const m of matchers) if (!m.test(labels[m.label])) return false;
  return true;
}
