// The web integrity inventory on both engines: newest crawl wins, findings gone from a crawl, the bound
// per agent, the purge, listing order and scope, and the monthly report's counts.
import { expect, it } from 'vitest';
import { describeEachStateDriver, openWithAgencies, type OpenState } from '../../test/support/state-drivers.ts';
import { createAgent } from './agents.ts';
import {
  countWebFindings,
  listWebFindings,
  listWebSites,
  MAX_FINDINGS_PER_AGENT,
  purgeWebFindings,
  recordFinding,
  recordSiteRun,
  type FindingSeen,
  type SiteRun,
} from './web-findings.ts';

const T0 = Date.parse('2026-11-20T08:00:00Z');
const SITE = 'https://portal.example.vn/';

async function fresh(open: OpenState) {
  const state = await openWithAgencies(open);
  const { agent } = await createAgent(state.db, { agency: 'so-y-te', hostname: 'web-1' });
  return { state, agent: agent.id };
}

const run = (agent: string, time: number, up = true, extra: Partial<SiteRun> = {}): SiteRun => ({
  agent,
  agency: 'so-y-te',
  site: SITE,
  name: 'Cổng',
  time,
  up,
  result: up ? 'ok' : 'timeout',
  pagesCrawled: 20,
  pagesFlagged: 1,
  defaced: false,
  homeSimilarity: 0.97,
  ...extra,
});
const finding = (agent: string, url: string, time: number, extra: Partial<FindingSeen> = {}): FindingSeen => ({
  agent,
  agency: 'so-y-te',
  site: SITE,
  name: 'Cổng',
  kind: 'spam_keyword',
  url,
  evidence: 'nhà cái',
  count: 1,
  time,
  ...extra,
});

describeEachStateDriver('web findings', (open) => {
  it('a crawl marks what it did not find again as gone; a site that did not answer, or an older crawl, changes nothing', async () => {
    const { state, agent } = await fresh(open);
    await recordSiteRun(state.db, run(agent, T0), T0);
    await recordFinding(state.db, finding(agent, `${SITE}a`, T0), T0);
    await recordFinding(state.db, finding(agent, `${SITE}b`, T0), T0);
    const t1 = T0 + 3_600_000;
    await recordSiteRun(state.db, run(agent, t1, false), t1);
    expect((await listWebFindings(state)).map((f) => f.present)).toEqual([true, true]);
    await recordFinding(state.db, finding(agent, `${SITE}a`, t1), t1);
    await recordSiteRun(state.db, run(agent, t1), t1);
    const list = await listWebFindings(state);
    expect(list.map((f) => [f.url, f.present, f.firstSeen])).toEqual([
      [`${SITE}a`, true, new Date(T0).toISOString()],
      [`${SITE}b`, false, new Date(T0).toISOString()],
    ]);
    expect(list[0]).toMatchObject({ agencyName: 'Sở Y tế', agentHostname: 'web-1', siteName: 'Cổng', count: 1, lastSeen: new Date(t1).toISOString() });
    expect((await listWebFindings(state, { presentOnly: true })).map((f) => f.url)).toEqual([`${SITE}a`]);
    // An older crawl (a resend) neither moves the site back nor brings b back.
    await recordSiteRun(state.db, run(agent, T0, true, { pagesCrawled: 1 }), t1 + 1);
    await recordFinding(state.db, finding(agent, `${SITE}b`, T0), t1 + 1);
    const [site] = await listWebSites(state);
    expect(site).toMatchObject({ lastRun: new Date(t1).toISOString(), up: true, pagesCrawled: 20, defaced: false, homeSimilarity: 0.97, agencyName: 'Sở Y tế' });
    expect((await listWebFindings(state, { presentOnly: true })).map((f) => f.url)).toEqual([`${SITE}a`]);
    // A finding older than the site's last crawl is stored as not present.
    await recordFinding(state.db, finding(agent, `${SITE}c`, T0), t1 + 2);
    expect((await listWebFindings(state)).find((f) => f.url === `${SITE}c`)?.present).toBe(false);
  });

  it('a new script domain is one finding per domain, whatever the page', async () => {
    const { state, agent } = await fresh(open);
    await recordFinding(state.db, finding(agent, `${SITE}a`, T0, { kind: 'new_script_domain', evidence: 'evil.example.com via /a' }), T0);
    await recordFinding(state.db, finding(agent, `${SITE}b`, T0 + 1, { kind: 'new_script_domain', evidence: 'evil.example.com via /b' }), T0 + 1);
    expect((await listWebFindings(state)).map((f) => f.url)).toEqual([`${SITE}b`]);
  });

  it(`keeps at most ${MAX_FINDINGS_PER_AGENT} findings per agent, gone and oldest going first`, async () => {
    const { state, agent } = await fresh(open);
    const rows = Array.from({ length: MAX_FINDINGS_PER_AGENT }, (_, i) => ({
      agent, agency: 'so-y-te', site: SITE, kind: 'spam_keyword', subject: `${SITE}p${i}`, url: `${SITE}p${i}`, evidence: 'x', count: 1,
      first_seen: T0 + i, last_seen: T0 + i, present: i === 10 ? 0 : 1, updated_at: T0,
    }));
    for (let i = 0; i < rows.length; i += 1000) await state.db.insertInto('web_findings').values(rows.slice(i, i + 1000)).execute();
    await recordFinding(state.db, finding(agent, `${SITE}new`, T0 + 10_000_000), T0 + 10_000_000);
    await recordFinding(state.db, finding(agent, `${SITE}new2`, T0 + 10_000_001), T0 + 10_000_001);
    const urls = new Set((await listWebFindings(state, { limit: 10_000 })).map((f) => f.url));
    expect(urls.size).toBe(MAX_FINDINGS_PER_AGENT);
    expect([urls.has(`${SITE}p10`), urls.has(`${SITE}p0`), urls.has(`${SITE}p1`), urls.has(`${SITE}new`), urls.has(`${SITE}new2`)]).toEqual([false, false, true, true, true]);
  });

  it('purges findings gone for long and sites nobody crawled; lists by agency scope and in code point order', async () => {
    const { state, agent } = await fresh(open);
    const other = (await createAgent(state.db, { agency: 'so-tu-phap', hostname: 'tp' })).agent.id;
    await recordSiteRun(state.db, run(agent, T0), T0);
    await recordSiteRun(state.db, { ...run(other, T0), agency: 'so-tu-phap', site: 'https://B.example.vn/' }, T0);
    await recordSiteRun(state.db, { ...run(other, T0), agency: 'so-tu-phap', site: 'https://a.example.vn/' }, T0);
    expect((await listWebSites(state)).map((s) => s.site)).toEqual(['https://B.example.vn/', 'https://a.example.vn/', SITE]);
    expect((await listWebSites(state, 'so-y-te')).map((s) => s.site)).toEqual([SITE]);
    for (const u of ['b', 'B', 'a']) await recordFinding(state.db, finding(agent, `${SITE}${u}`, T0), T0);
    expect((await listWebFindings(state)).map((f) => f.url)).toEqual([`${SITE}B`, `${SITE}a`, `${SITE}b`]);
    expect(await listWebFindings(state, { agency: 'so-tu-phap' })).toEqual([]);
    expect(await listWebFindings(state, { limit: 1 })).toHaveLength(1);
    await recordSiteRun(state.db, run(agent, T0 + 1000), T0 + 1000);
    await recordFinding(state.db, finding(agent, `${SITE}a`, T0 + 1000), T0 + 1000);
    const later = T0 + 400 * 86_400_000 + 500;
    await purgeWebFindings(state.db, 400 * 86_400_000, later);
    expect((await listWebFindings(state)).map((f) => f.url)).toEqual([`${SITE}a`]);
    expect((await listWebSites(state)).map((s) => s.site)).toEqual([SITE]);
  });

  it("counts findings first seen in a window by agency and kind, and per agency (kind '')", async () => {
    const { state, agent } = await fresh(open);
    const other = (await createAgent(state.db, { agency: 'so-tu-phap', hostname: 'tp' })).agent.id;
    await recordFinding(state.db, finding(agent, `${SITE}a`, T0), T0);
    await recordFinding(state.db, finding(agent, `${SITE}b`, T0 + 1), T0 + 1);
    await recordFinding(state.db, finding(agent, `${SITE}c`, T0 + 2, { kind: 'cloaking', site: 'https://dvc.example.vn/' }), T0 + 2);
    await recordFinding(state.db, finding(other, 'https://tp.example.vn/x', T0, { agency: 'so-tu-phap', site: 'https://tp.example.vn/' }), T0);
    await recordFinding(state.db, finding(agent, `${SITE}old`, T0 - 86_400_000), T0);
    expect(await countWebFindings(state, T0, T0 + 86_400_000)).toEqual([
      { agency: 'so-tu-phap', kind: '', findings: 1, sites: 1 },
      { agency: 'so-tu-phap', kind: 'spam_keyword', findings: 1, sites: 1 },
      { agency: 'so-y-te', kind: '', findings: 3, sites: 2 },
      { agency: 'so-y-te', kind: 'cloaking', findings: 1, sites: 1 },
      { agency: 'so-y-te', kind: 'spam_keyword', findings: 2, sites: 1 },
    ]);
  });
});
