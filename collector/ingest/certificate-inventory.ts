// Turns tls_cert and cert_file samples into the certificate inventory (state/certificates.ts) that
// the API, console, CLI and report read, forgetting certificates no longer reported.
import type { WireSample } from '../../protocol/index.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { dropOlderFileReadings, purgeUnseen, recordCertificate, type CertObservation } from '../state/certificates.ts';
import type { SampleObserver } from './observers.ts';

/** Rows not reported for a month belong to checks that were removed from an agent's config. */
const FORGET_AFTER_MS = 30 * 86_400_000;
const PURGE_EVERY_MS = 3_600_000;

const num = (v: number | string | undefined): number | undefined => (typeof v === 'number' ? v : undefined);
const text = (v: number | string | undefined): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Where an endpoint was seen: the target, and the SNI when it is not the target's own name. */
export function endpointLocation(tags: Record<string, string>): string {
  return tags.sni ? `${tags.target} (SNI ${tags.sni})` : tags.target;
}

function fromTlsCert(s: WireSample, agent: string, agency: string): CertObservation {
  const f = s.fields;
  const up = f.up === 1;
  return {
    agent,
    agency,
    kind: 'endpoint',
    location: endpointLocation(s.tags),
    item: '',
    time: Date.parse(s.time),
    result: s.tags.result ?? (up ? 'ok' : 'error'),
    detail: text(f.error),
    cert: up
      ? {
          serial: text(f.serial),
          subjectCn: s.tags.subject_cn,
          issuerCn: s.tags.issuer_cn,
          notAfter: num(f.leaf_not_after_seconds) ?? num(f.not_after_seconds),
          earliestNotAfter: num(f.not_after_seconds),
          chainValid: num(f.chain_valid),
          hostnameMatch: num(f.hostname_match),
          selfSigned: num(f.self_signed),
          legacyTls: num(f.legacy_tls),
          weakKey: num(f.weak_key),
          weakSignature: num(f.weak_signature),
        }
      : undefined,
  };
}

function fromCertFile(s: WireSample, agent: string, agency: string): CertObservation {
  const f = s.fields;
  const ok = (s.tags.result ?? 'ok') === 'ok' && num(f.not_after_seconds) !== undefined;
  return {
    agent,
    agency,
    kind: 'file',
    location: s.tags.path,
    item: ok ? (s.tags.serial ?? `${s.tags.subject_cn ?? ''}/${s.tags.issuer_cn ?? ''}`) : '',
    time: Date.parse(s.time),
    result: ok ? 'ok' : (s.tags.result ?? 'error'),
    detail: text(f.error),
    cert: ok
      ? {
          serial: s.tags.serial,
          subjectCn: s.tags.subject_cn,
          issuerCn: s.tags.issuer_cn,
          notAfter: num(f.not_after_seconds),
          selfSigned: num(f.self_signed),
          weakKey: num(f.weak_key),
          weakSignature: num(f.weak_signature),
        }
      : undefined,
  };
}

/**
 * Feeds the certificate inventory from tls_cert and cert_file samples, one transaction per request that
 * carries them (and once an hour for the purge); no promise at all for the others.
 */
export function certificateInventory(state: StateSql): SampleObserver {
  let lastPurge = 0;
  return (agent, samples, now) => {
    const observations: CertObservation[] = [];
    for (const s of samples) {
      if (s.measurement === 'tls_cert') observations.push(fromTlsCert(s, agent.id, agent.agency));
      else if (s.measurement === 'cert_file') observations.push(fromCertFile(s, agent.id, agent.agency));
    }
    const purge = now - lastPurge >= PURGE_EVERY_MS;
    if (observations.length === 0 && !purge) return;
    if (purge) lastPurge = now;
    // Every certificate of one file in one run shares the run's time: older readings of it go first.
    const files = new Map<string, number>();
    for (const o of observations) if (o.kind === 'file') files.set(o.location, Math.max(files.get(o.location) ?? 0, o.time));
    // On SQLite the transaction has no I/O between its statements: it is done before the next request is read.
    return state.db.transaction().execute(async (trx) => {
      for (const [location, time] of files) await dropOlderFileReadings(trx, agent.id, location, time);
      for (const o of observations) await recordCertificate(trx, o, now);
      if (purge) await purgeUnseen(trx, FORGET_AFTER_MS, now);
    });
  };
}
