// The console's read models: agency reporting state, video tiles, certificates and compliance, built
// from the state database and the latest samples for the routes to hand to pages/.
import { sql } from 'kysely';
import type { ComplianceAgent } from '../../protocol/index.ts';
import { countCertificates, EXPIRING_DAYS as CERT_EXPIRING_DAYS, listCertificates } from '../state/certificates.ts';
import { complianceReport } from '../state/compliance.ts';
import { listAgencies, type AgencyRow } from '../state/agencies.ts';
import { listAgents, type AgentRow } from '../state/agents.ts';
import type { StateSql } from '../state/sql/connect.ts';
import type { LatestSamples } from './latest.ts';
import { pageCount, paginate, type PageOf } from './paging.ts';

/** An agency counts as reporting when one of its agents was heard from within this window. */
export const REPORTING_WINDOW_MS = 15 * 60_000;

export type AgencyState = 'ok' | 'silent' | 'none';

export interface AgencyStatus {
  agency: AgencyRow;
  agents: number;
  lastSeen?: number;
  state: AgencyState;
}

export async function agencyStatuses(state: StateSql, now: number, scope?: string): Promise<AgencyStatus[]> {
  const agents = (await listAgents(state, { agency: scope })).filter((a) => a.revokedAt === undefined);
  const byAgency = new Map<string, AgentRow[]>();
  for (const a of agents) byAgency.set(a.agency, [...(byAgency.get(a.agency) ?? []), a]);
  return (await listAgencies(state))
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

// One collator each, instead of one per comparison: a board may sort 100,000 tiles.
const collateIds = new Intl.Collator().compare;
const collateNames = new Intl.Collator('vi').compare;

/** Every tile in scope, by agency then endpoint name (pages show a part: tilePreview, tilePage). */
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
    .sort((a, b) => collateIds(a.agency, b.agency) || collateNames(a.endpoint, b.endpoint));
}

/** Tiles to show, with counts over all of them. */
export interface TileView {
  shown: VideoTile[];
  total: number;
  ready: number;
}

/** A board shows this many tiles per page. */
export const TILES_PER_PAGE = 200;
/** The overview and an agency page show at most this many tiles, and link to the board for the rest. */
export const PREVIEW_TILES = 60;

function countReady(tiles: VideoTile[]): number {
  let n = 0;
  for (const t of tiles) if (t.ready) n++;
  return n;
}

/** At most `limit` tiles for a glance: all of them when they fit, else the endpoints that are not ready first. */
export function tilePreview(tiles: VideoTile[], limit = PREVIEW_TILES): TileView {
  const ready = countReady(tiles);
  if (tiles.length <= limit) return { shown: tiles, total: tiles.length, ready };
  const down = tiles.filter((t) => !t.ready);
  const shown = down.length >= limit ? down.slice(0, limit) : [...down, ...tiles.filter((t) => t.ready).slice(0, limit - down.length)];
  return { shown, total: tiles.length, ready };
}

/** Page `page` (1-based, clamped) of the board. */
export function tilePage(tiles: VideoTile[], page: number, size = TILES_PER_PAGE): TileView & { page: number; pages: number } {
  const p = paginate(tiles, page, size);
  return { shown: p.rows, total: p.total, ready: countReady(tiles), page: p.page, pages: p.pages };
}

/** Active (firing) alerts in scope: the overview lists only the newest, and says how many there are. */
export async function activeAlertCount(state: StateSql, scope?: string): Promise<number> {
  const inScope = scope ? sql` AND agency = ${scope}` : sql``;
  const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM alerts WHERE state = 'firing'${inScope}`.execute(state.db);
  return Number(rows[0]?.n ?? 0);
}

export interface CertView {
  agency: string;
  kind: 'endpoint' | 'file';
  where: string;
  subject?: string;
  issuer?: string;
  daysLeft?: number;
  notAfter?: number;
  expired: boolean;
  problems: string[];
  error?: string;
  lastSeen: number;
}

export const EXPIRING_DAYS = CERT_EXPIRING_DAYS;

/** Rows of a long list on one console page (certificates, agents). */
export const ROWS_PER_PAGE = 500;
/** An agency page shows this many rows of each list, and links to the full list. */
export const PREVIEW_ROWS = 100;

/** A page of the certificate inventory (collector/state/certificates.ts), soonest expiry first, with the counts of all. */
export async function certificates(
  state: StateSql,
  scope: string | undefined,
  opts: { page?: number; size?: number } = {},
): Promise<PageOf<CertView> & { expired: number; expiring: number }> {
  const size = opts.size ?? ROWS_PER_PAGE;
  const counts = await countCertificates(state, { agency: scope, expiringDays: CERT_EXPIRING_DAYS });
  const pages = pageCount(counts.total, size);
  const page = Math.min(Math.max(1, opts.page ?? 1), pages);
  const rows = (await listCertificates(state, { agency: scope, limit: size, offset: (page - 1) * size })).map((c) => ({
    agency: c.agency,
    kind: c.kind,
    where: c.location,
    subject: c.subject,
    issuer: c.issuer,
    daysLeft: c.daysLeft,
    notAfter: c.earliestNotAfter ? Date.parse(c.earliestNotAfter) : undefined,
    expired: c.daysLeft !== undefined && c.daysLeft < 0,
    problems: c.problems.filter((p) => p !== 'expired' && p !== 'expiring'),
    error: c.error,
    lastSeen: Date.parse(c.lastSeen),
  }));
  return { rows, total: counts.total, page, pages, expired: counts.expired, expiring: counts.expiring };
}

/** Security checks from the compliance store (collector/state/compliance.ts): score per agent, failures with remediation, waivers. */
export async function compliance(state: StateSql, agency: string): Promise<ComplianceAgent[]> {
  return (await complianceReport(state, await listAgencies(state), { agency })).agencies.find((a) => a.id === agency)?.agents ?? [];
}
