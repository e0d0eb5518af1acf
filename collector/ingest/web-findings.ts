// Turns web_integrity and web_finding samples into the web integrity inventory (state/web-findings.ts)
// that the API, the console, the CLI and the monthly report read.
import type { WireSample } from '../../protocol/index.ts';
import type { StateSql } from '../state/sql/connect.ts';
import type { Q } from '../state/sql/query.ts';
import { FORGET_GONE_AFTER_MS, purgeWebFindings, recordFinding, recordSiteRun } from '../state/web-findings.ts';
import type { SampleObserver } from './observers.ts';

const PURGE_EVERY_MS = 3_600_000;
const num = (v: number | string | undefined): number | undefined => (typeof v === 'number' ? v : undefined);
const text = (v: number | string | undefined): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Feeds the web integrity inventory, one transaction per request that carries web samples (and once an
 * hour for the purge); a finding with count 0 only marks a kind gone. No promise at all for the others.
 */
export function webFindingsObserver(state: StateSql): SampleObserver {
  let lastPurge = 0;
  return (agent, samples, now) => {
    const mine = samples.filter((s) => s.measurement === 'web_integrity' || (s.measurement === 'web_finding' && (num(s.fields.count) ?? 0) > 0));
    const purge = now - lastPurge >= PURGE_EVERY_MS;
    if (mine.length === 0 && !purge) return;
    if (purge) lastPurge = now;
    // On SQLite the transaction has no I/O between its statements: it is done before the next request is read.
    return state.db.transaction().execute(async (trx) => {
      for (const s of mine) await record(trx, agent.id, agent.agency, s, now);
      if (purge) await purgeWebFindings(trx, FORGET_GONE_AFTER_MS, now);
    });
  };
}

async function record(q: Q, agent: string, agency: string, s: WireSample, now: number): Promise<void> {
  const time = Date.parse(s.time);
  const f = s.fields;
  if (s.measurement === 'web_integrity') {
    await recordSiteRun(q, {
      agent, agency, site: s.tags.site, name: s.tags.name, time, up: f.up === 1, result: s.tags.result ?? 'ok',
      pagesCrawled: num(f.pages_crawled) ?? 0, pagesFlagged: num(f.pages_flagged) ?? 0, defaced: f.defaced === 1, homeSimilarity: num(f.home_similarity), error: text(f.error),
    }, now);
    return;
  }
  await recordFinding(q, { agent, agency, site: s.tags.site, name: s.tags.name, kind: s.tags.kind, url: text(f.url) ?? '', evidence: text(f.evidence) ?? '', count: num(f.count) ?? 0, time }, now);
}
