// The findings of one site's crawl, one per kind and page (one per domain for new script domains),
// in a bounded list; and the counters of the web_integrity sample.

export const FINDING_KINDS = ['spam_keyword', 'hidden_spam', 'cloaking', 'offsite_redirect', 'new_script_domain', 'new_sitemap_url', 'defacement'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Finding {
  kind: FindingKind;
  url: string;
  evidence: string;
  count: number;
}

/** Findings recorded per site and run; the counters still count every one. */
export const MAX_FINDINGS = 100;
const MAX_EVIDENCE = 300;

/**
 * Which findings are reported first (and kept when a site has more than MAX_FINDINGS); also the order
 * the collector's alerts open in, so a grouped mail leads with a defacement, then gambling content.
 */
const ORDER: Record<FindingKind, number> = { defacement: 0, spam_keyword: 1, hidden_spam: 2, new_sitemap_url: 3, cloaking: 4, offsite_redirect: 5, new_script_domain: 6 };

export class FindingList {
  private readonly byKey = new Map<string, Finding>();

  /** Adds a finding, or adds `count` to the one already made for the same kind and page (or domain). */
  add(kind: FindingKind, url: string, evidence: string, count = 1, key = url): void {
    const k = `${kind}\u0000${key}`;
    const prior = this.byKey.get(k);
    if (prior) {
      prior.count += count;
      return;
    }
    if (this.byKey.size >= 10_000) return;
    this.byKey.set(k, { kind, url, evidence: evidence.length > MAX_EVIDENCE ? `${evidence.slice(0, MAX_EVIDENCE - 1)}…` : evidence, count });
  }

  has(kind: FindingKind, key: string): boolean {
    return this.byKey.has(`${kind}\u0000${key}`);
  }

  all(): Finding[] {
    return [...this.byKey.values()];
  }

  /** At most MAX_FINDINGS, the most serious kinds first. */
  reported(): Finding[] {
    return this.all()
      .sort((a, b) => ORDER[a.kind] - ORDER[b.kind])
      .slice(0, MAX_FINDINGS);
  }

  kinds(): FindingKind[] {
    return [...new Set(this.all().map((f) => f.kind))].sort();
  }

  /** Pages (URLs) with at least one finding. */
  pages(): number {
    return new Set(this.all().map((f) => f.url)).size;
  }

  count(kind: FindingKind): number {
    return this.all().filter((f) => f.kind === kind).length;
  }
}
