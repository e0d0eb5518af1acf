// Turns auth_finding samples into the intrusion-signal inventory (state/auth-findings.ts) that the
// console's agency page and overview read.
import { FORGET_AUTH_AFTER_MS, purgeAuthFindings, recordAuthFinding, type AuthFindingSeen } from '../state/auth-findings.ts';
import type { StateSql } from '../state/sql/connect.ts';
import type { SampleObserver } from './observers.ts';

const PURGE_EVERY_MS = 3_600_000;
const num = (v: number | string | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const text = (v: number | string | undefined): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** One transaction per request that carries auth findings (and once an hour for the purge); no promise at all for the others. */
export function authFindingsObserver(state: StateSql): SampleObserver {
  let lastPurge = 0;
  return (agent, samples, now) => {
    // Taken from the batch before the first await (the batch is let go once the observers return).
    const seen: AuthFindingSeen[] = [];
    for (const s of samples) {
      if (s.measurement !== 'auth_finding') continue;
      const f = s.fields;
      const first = num(f.first_seen_seconds);
      const source = text(f.source);
      if (first === undefined || source === undefined) continue;
      seen.push({
        agent: agent.id, agency: agent.agency, host: s.tags.host, kind: s.tags.kind, service: s.tags.service, source, users: text(f.user) ?? '',
        count: num(f.count) ?? 0, firstSeen: first * 1000, lastSeen: (num(f.last_seen_seconds) ?? first) * 1000, detail: text(f.detail), time: Date.parse(s.time),
      });
    }
    const purge = now - lastPurge >= PURGE_EVERY_MS;
    if (seen.length === 0 && !purge) return;
    if (purge) lastPurge = now;
    // On SQLite the transaction has no I/O between its statements: it is done before the next request is read.
    return state.db.transaction().execute(async (trx) => {
      for (const f of seen) await recordAuthFinding(trx, f, now);
      if (purge) await purgeAuthFindings(trx, FORGET_AUTH_AFTER_MS, now);
    });
  };
}
