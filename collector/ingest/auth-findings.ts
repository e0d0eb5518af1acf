// Turns auth_finding samples into the intrusion-signal inventory (state/auth-findings.ts) that the
// console's agency page and overview read.
import type { DB } from '../state/db.ts';
import { FORGET_AUTH_AFTER_MS, purgeAuthFindings, recordAuthFinding } from '../state/auth-findings.ts';
import type { SampleObserver } from './observers.ts';

const PURGE_EVERY_MS = 3_600_000;
const num = (v: number | string | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const text = (v: number | string | undefined): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** One transaction per request that carries auth findings; nothing at all for the others. */
export function authFindingsObserver(db: DB): SampleObserver {
  let lastPurge = 0;
  return (agent, samples, now) => {
    const mine = samples.filter((s) => s.measurement === 'auth_finding');
    if (mine.length === 0 && now - lastPurge < PURGE_EVERY_MS) return;
    db.transaction(() => {
      for (const s of mine) {
        const f = s.fields;
        const first = num(f.first_seen_seconds);
        const source = text(f.source);
        if (first === undefined || source === undefined) continue;
        recordAuthFinding(
          db,
          {
            agent: agent.id, agency: agent.agency, host: s.tags.host, kind: s.tags.kind, service: s.tags.service, source, users: text(f.user) ?? '',
            count: num(f.count) ?? 0, firstSeen: first * 1000, lastSeen: (num(f.last_seen_seconds) ?? first) * 1000, detail: text(f.detail), time: Date.parse(s.time),
          },
          now,
        );
      }
      if (now - lastPurge >= PURGE_EVERY_MS) {
        lastPurge = now;
        purgeAuthFindings(db, FORGET_AUTH_AFTER_MS, now);
      }
    })();
  };
}
