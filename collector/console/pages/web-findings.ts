// Renders the web integrity page: the watched sites with their last crawl, and the findings by agency
// with their evidence and when they were first seen.
import type { WebFindingRow, WebSiteRow } from '../../state/web-findings.ts';
import { html, path } from '../html.ts';
import { formatNumber, formatTime, t } from '../i18n.ts';
import { badge, CONSOLE, page, table, type PageContext } from '../layout.ts';

export function webFindingsPage(ctx: PageContext, sites: WebSiteRow[], findings: WebFindingRow[]): string {
  const L = ctx.locale;
  const agencyLink = (id: string, name: string) => html`<a href="${CONSOLE}${path`/agencies/${id}`}">${name}</a>`;
  const siteTable = table(
    [t(L, 'agency'), t(L, 'webSite'), t(L, 'webLastCrawl'), t(L, 'status'), t(L, 'webPages'), t(L, 'webFlagged'), t(L, 'webSimilarity')],
    sites.map((s) => [
      agencyLink(s.agency, s.agencyName),
      html`<code>${s.site}</code>${s.name ? html`<div class="muted">${s.name}</div>` : ''}`,
      formatTime(L, Date.parse(s.lastRun)),
      s.up ? (s.defaced ? badge('expired', 'defaced') : badge('ok', 'up')) : html`${badge('expired', s.result)}${s.error ? html`<div class="muted">${s.error}</div>` : ''}`,
      String(s.pagesCrawled),
      String(s.pagesFlagged),
      formatNumber(L, s.homeSimilarity, 2),
    ]),
    t(L, 'webNoSites'),
  );
  const findingTable = table(
    [t(L, 'agency'), t(L, 'webKind'), t(L, 'webUrl'), t(L, 'webEvidence'), t(L, 'webFirstSeen'), t(L, 'webLastSeen'), t(L, 'state')],
    findings.map((f) => [
      agencyLink(f.agency, f.agencyName),
      badge(f.kind === 'new_script_domain' ? 'warning' : 'expired', f.kind),
      // Shown, never linked: a finding's URL may lead to a hostile page.
      html`<code>${f.url}</code>`,
      html`${f.evidence}`,
      formatTime(L, Date.parse(f.firstSeen)),
      formatTime(L, Date.parse(f.lastSeen)),
      f.present ? badge('expired', t(L, 'webPresent')) : badge('ok', t(L, 'webGone')),
    ]),
    t(L, 'webNoFindings'),
  );
  const present = findings.filter((f) => f.present).length;
  const body = html`<p class="lead">${t(L, 'webHint')}</p>
    <h2>${t(L, 'webSites')}</h2>${siteTable}
    <h2>${t(L, 'webFindings')}</h2><p>${t(L, 'webPresentCount', { n: present, total: findings.length })}</p>${findingTable}`;
  return page(ctx, t(L, 'webIntegrity'), body, { active: 'webIntegrity' });
}
