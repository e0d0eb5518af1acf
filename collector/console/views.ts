import { securityCheckSpec } from '../../protocol/security-checks.ts';
import { listAgencies, type AgencyRow } from '../state/agencies.ts';
import { listAgents, type AgentRow } from '../state/agents.ts';
import type { DB } from '../state/db.ts';
import type { Locale } from './i18n.ts';
import type { LatestSample, LatestSamples } from './latest.ts';

/** An agency counts as reporting when one of its agents was heard from within this window. */
export const REPORTING_WINDOW_MS = 15 * 60_000;

export type AgencyState = 'ok' | 'silent' | 'none';

export interface AgencyStatus {
  agency: AgencyRow;
  agents: number;
  lastSeen?: number;
  state: AgencyState;
}

export function agencyStatuses(db: DB, now: number, scope?: string): AgencyStatus[] {
  const agents = listAgents(db, { agency: scope }).filter((a) => a.revokedAt === undefined);
  const byAgency = new Map<string, AgentRow[]>();
  for (const a of agents) byAgency.set(a.agency, [...(byAgency.get(a.agency) ?? []), a]);
  return listAgencies(db)
    .filter((a) => !scope || a.id === scope)
    .map((agency) => {
      const mine = byAgency.get(agency.id) ?? [];
      const lastSeen = Math.max(0, ...mine.map((a) => a.lastSeen ?? 0)) || undefined;
      const state: AgencyState = mine.length === 0 ? 'none' : lastSeen !== undefined && now - lastSeen <= REPORTING_WINDOW_MS ? 'ok' : 'silent';
      return { agency, agents: mine.length, lastSeen, state };
    });
}

/** Agencies grouped for the overview: by district, province-level departments first. */
export function byDistrict(statuses: AgencyStatus[]): { district?: string; items: AgencyStatus[] }[] {
  const groups = new Map<string, AgencyStatus[]>();
  for (const s of statuses) {
    const key = s.agency.district ?? '';
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups]
    .sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b, 'vi')))
    .map(([district, items]) => ({ district: district || undefined, items: items.sort((x, y) => x.agency.name.localeCompare(y.agency.name, 'vi')) }));
}

export interface VideoTile {
  agency: string;
  endpoint: string;
  address?: string;
  ready?: boolean;
  mos?: number;
  lossPercent?: number;
  rttMs?: number;
  jitterMs?: number;
  reason?: string;
  time?: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function videoTiles(latest: LatestSamples, scope?: string): VideoTile[] {
  return latest
    .list('videoconf', { agency: scope })
    .map((s) => ({
      agency: s.agency,
      endpoint: s.tags.endpoint,
      address: s.tags.address,
      ready: s.fields.ready === 1 || s.fields.ready === true,
      mos: num(s.fields.mos),
      lossPercent: num(s.fields.loss_percent),
      rttMs: num(s.fields.rtt_ms),
      jitterMs: num(s.fields.jitter_ms),
      reason: str(s.fields.reason),
      time: s.time,
    }))
    .sort((a, b) => a.agency.localeCompare(b.agency) || a.endpoint.localeCompare(b.endpoint, 'vi'));
}

export interface CertView {
  agency: string;
  kind: 'tls' | 'file';
  where: string;
  subject?: string;
  issuer?: string;
  daysLeft?: number;
  notAfter?: number;
  expired: boolean;
  problem?: string;
  time: number;
}

export const EXPIRING_DAYS = 30;

export function certificates(latest: LatestSamples, scope?: string): CertView[] {
  const view = (s: LatestSample, kind: CertView['kind'], where: string): CertView => {
    const daysLeft = num(s.fields.earliest_days_left) ?? num(s.fields.days_left);
    const notAfter = num(s.fields.not_after_seconds);
    return {
      agency: s.agency,
      kind,
      where,
      subject: s.tags.subject_cn,
      issuer: s.tags.issuer_cn,
      daysLeft,
      notAfter: notAfter !== undefined ? notAfter * 1000 : undefined,
      expired: s.fields.expired === 1 || (daysLeft !== undefined && daysLeft < 0),
      problem: str(s.fields.error),
      time: s.time,
    };
  };
  const tls = latest.list('tls_cert', { agency: scope }).map((s) => view(s, 'tls', s.tags.sni ? `${s.tags.target} (${s.tags.sni})` : s.tags.target));
  const files = latest.list('cert_file', { agency: scope }).map((s) => view(s, 'file', s.tags.path));
  return [...tls, ...files].sort((a, b) => (a.daysLeft ?? Infinity) - (b.daysLeft ?? Infinity));
}

export interface CheckView {
  agent: string;
  checkId: string;
  title: string;
  severity: string;
  status: string;
  detail?: string;
  remediation?: string;
  time: number;
}

export function securityChecks(latest: LatestSamples, agency: string, locale: Locale): CheckView[] {
  return latest
    .list('security', { agency })
    .map((s) => {
      const spec = securityCheckSpec(s.tags.check_id);
      const pass = s.fields.pass === 1 || s.fields.pass === true;
      return {
        agent: s.agent,
        checkId: s.tags.check_id,
        title: spec?.title[locale] ?? s.tags.check_id,
        severity: s.tags.severity,
        status: s.tags.status ?? (pass ? 'pass' : 'fail'),
        detail: str(s.fields.detail),
        remediation: spec?.remediation[locale],
        time: s.time,
      };
    })
    .sort((a, b) => Number(a.status === 'pass') - Number(b.status === 'pass') || a.checkId.localeCompare(b.checkId));
}

export function securityScores(latest: LatestSamples, agency: string): { agent: string; scorePercent?: number; passed?: number; failed?: number; time: number }[] {
  return latest.list('security_score', { agency }).map((s) => ({ agent: s.agent, scorePercent: num(s.fields.score_percent), passed: num(s.fields.passed), failed: num(s.fields.failed), time: s.time }));
}
