/**
 * The device inventory of each agency, learnt from the discovery check's `lan_device` and
 * `lan_exposure` samples. A device is its MAC (or `ip:<address>` when the agent could not learn the
 * MAC). The first report of a subnet is its baseline; after that, a MAC the agency has never had is
 * a new device and leaves a `new_device` event (state/events.ts) with its address and vendor.
 */
import type { WireSample } from '../../protocol/index.ts';
import { sql } from 'kysely';
import { appendEvent } from './events.ts';
import type { StateSql } from './sql/connect.ts';
import { changes, textOrder, type Q } from './sql/query.ts';

export const DEFAULT_STALE_AFTER_MS = 7 * 86_400_000;
export const DEFAULT_NEW_FOR_MS = 7 * 86_400_000;
export const DEVICE_FILTERS = ['new', 'stale', 'exposed'] as const;
export type DeviceFilter = (typeof DEVICE_FILTERS)[number];

export interface DeviceView {
  mac: string;
  subnet: string;
  ip: string;
  vendor?: string;
  hostname?: string;
  firstSeen: string;
  lastSeen: string;
  new: boolean;
  stale: boolean;
  ips: { ip: string; firstSeen: string; lastSeen: string }[];
  exposures: { port: string; service: string; risk: number; lastSeen: string }[];
}

interface DeviceRow {
  mac: string;
  subnet: string;
  ip: string;
  vendor: string | null;
  hostname: string | null;
  first_seen: number;
  last_seen: number;
  is_new: number;
}

interface DeviceReport {
  agency: string;
  mac: string;
  subnet: string;
  ip: string;
  vendor: string | null;
  hostname: string | null;
  at: number;
}

/**
 * Fold one accepted batch into the inventory of `agency`. One transaction; nothing to do (and no
 * promise kept waiting on the database) when the batch has no LAN samples.
 */
export async function recordLanSamples(state: StateSql, agencyId: string, agentId: string, samples: readonly WireSample[], now = Date.now()): Promise<{ newDevices: number }> {
  const devices = samples.filter((s) => s.measurement === 'lan_device' && s.fields.up === 1).map((s) => deviceReport(agencyId, s));
  const exposures = samples.filter((s) => s.measurement === 'lan_exposure');
  if (devices.length === 0 && exposures.length === 0) return { newDevices: 0 };
  return state.db.transaction().execute(async (trx) => {
    // A subnet never reported before is a baseline: its devices are inventoried, not announced.
    const baseline = new Set<string>();
    for (const d of devices) {
      if (baseline.has(d.subnet)) continue;
      const known = await sql`SELECT 1 AS one FROM device_subnets WHERE agency = ${agencyId} AND subnet = ${d.subnet}`.execute(trx);
      if (known.rows.length === 0) baseline.add(d.subnet);
    }
    for (const subnet of baseline) {
      await sql`INSERT INTO device_subnets (agency, subnet, first_seen) VALUES (${agencyId}, ${subnet}, ${now}) ON CONFLICT DO NOTHING`.execute(trx);
    }
    let newDevices = 0;
    for (const d of devices) {
      if (await recordDevice(trx, d, baseline.has(d.subnet) ? 0 : 1)) {
        newDevices++;
        await announce(trx, agentId, d, now);
      }
      await sql`INSERT INTO device_ips (agency, mac, ip, first_seen, last_seen) VALUES (${agencyId}, ${d.mac}, ${d.ip}, ${d.at}, ${d.at})
        ON CONFLICT (agency, mac, ip) DO UPDATE SET last_seen = ${later('device_ips.last_seen', 'excluded.last_seen')}`.execute(trx);
    }
    for (const s of exposures) {
      const at = Date.parse(s.time);
      await sql`INSERT INTO device_exposures (agency, ip, port, service, risk, open, first_seen, last_seen)
        VALUES (${agencyId}, ${s.tags.ip}, ${s.tags.port}, ${s.tags.service}, ${Number(s.fields.risk)}, ${s.fields.open === 1 ? 1 : 0}, ${at}, ${at})
        ON CONFLICT (agency, ip, port) DO UPDATE SET service = excluded.service, risk = excluded.risk,
          open = CASE WHEN excluded.last_seen >= device_exposures.last_seen THEN excluded.open ELSE device_exposures.open END,
          last_seen = ${later('device_exposures.last_seen', 'excluded.last_seen')}`.execute(trx);
    }
    return { newDevices };
  });
}

/** The later of two times (SQLite's two-argument max() is GREATEST() on PostgreSQL; CASE is both). */
function later(a: string, b: string) {
  return sql.raw(`CASE WHEN ${a} >= ${b} THEN ${a} ELSE ${b} END`);
}

function deviceReport(agency: string, s: WireSample): DeviceReport {
  return {
    agency,
    mac: s.tags.mac,
    subnet: s.tags.subnet,
    ip: String(s.fields.ip),
    vendor: typeof s.fields.vendor === 'string' ? s.fields.vendor : null,
    hostname: typeof s.fields.hostname === 'string' ? s.fields.hostname : null,
    at: Date.parse(s.time),
  };
}

/** Updates a known device or inserts a new one; true when the device was new to the agency and not a baseline. */
async function recordDevice(q: Q, d: DeviceReport, isNew: 0 | 1): Promise<boolean> {
  const updated = await sql`UPDATE devices SET subnet = ${d.subnet}, ip = ${d.ip}, vendor = COALESCE(${d.vendor}, vendor), hostname = COALESCE(${d.hostname}, hostname),
      last_seen = CASE WHEN last_seen >= ${d.at} THEN last_seen ELSE ${d.at} END WHERE agency = ${d.agency} AND mac = ${d.mac}`.execute(q);
  if (changes(updated) > 0) return false;
  await sql`INSERT INTO devices (agency, mac, subnet, ip, vendor, hostname, first_seen, last_seen, is_new)
    VALUES (${d.agency}, ${d.mac}, ${d.subnet}, ${d.ip}, ${d.vendor}, ${d.hostname}, ${d.at}, ${d.at}, ${isNew})`.execute(q);
  return isNew === 1;
}

/** The `new_device` event, with a summary in both languages. */
async function announce(q: Q, agentId: string, d: DeviceReport, now: number): Promise<void> {
  const name = (await sql<{ name: string }>`SELECT name FROM agencies WHERE id = ${d.agency}`.execute(q)).rows[0]?.name ?? d.agency;
  const what = [d.mac, d.vendor ? `(${d.vendor})` : '', `IP ${d.ip}`, d.hostname ? `, ${d.hostname}` : ''].filter(Boolean).join(' ');
  await appendEvent(
    q,
    d.agency,
    'new_device',
    {
      agent: agentId,
      subnet: d.subnet,
      mac: d.mac,
      ip: d.ip,
      vendor: d.vendor ?? undefined,
      hostname: d.hostname ?? undefined,
      firstSeen: new Date(d.at).toISOString(),
      summary: { vi: `Thiết bị mới trong mạng LAN của ${name}: ${what}`, en: `New device on the LAN of ${name}: ${what}` },
    },
    now,
  );
}

export interface ListOptions {
  filter?: DeviceFilter;
  now?: number;
  staleAfterMs?: number;
  newForMs?: number;
}

/** The inventory of one agency, newest first seen first within each subnet order. */
export async function listDevices(state: StateSql, agency: string, opts: ListOptions = {}): Promise<DeviceView[]> {
  const now = opts.now ?? Date.now();
  const staleBefore = now - (opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS);
  const newSince = now - (opts.newForMs ?? DEFAULT_NEW_FOR_MS);
  const by = (c: string) => textOrder(state.driver, c);
  const rows = (
    await sql<DeviceRow>`SELECT mac, subnet, ip, vendor, hostname, first_seen, last_seen, is_new FROM devices WHERE agency = ${agency}
      ORDER BY ${by('subnet')}, ${by('ip')}, ${by('mac')}`.execute(state.db)
  ).rows;
  // The agency's addresses and open ports in two queries, grouped here (not two queries per device).
  const ips = groupBy(
    (await sql<{ mac: string; ip: string; first_seen: number; last_seen: number }>`SELECT mac, ip, first_seen, last_seen FROM device_ips WHERE agency = ${agency}
      ORDER BY last_seen DESC, ${by('ip')}`.execute(state.db)).rows,
    (x) => x.mac,
  );
  const exposures = groupBy(
    (await sql<{ ip: string; port: string; service: string; risk: number; last_seen: number }>`SELECT ip, port, service, risk, last_seen FROM device_exposures
      WHERE agency = ${agency} AND open = 1 ORDER BY ${by('port')}`.execute(state.db)).rows,
    (x) => x.ip,
  );
  const iso = (ms: number) => new Date(ms).toISOString();
  const out: DeviceView[] = [];
  for (const r of rows) {
    const view: DeviceView = {
      mac: r.mac,
      subnet: r.subnet,
      ip: r.ip,
      vendor: r.vendor ?? undefined,
      hostname: r.hostname ?? undefined,
      firstSeen: iso(r.first_seen),
      lastSeen: iso(r.last_seen),
      new: r.is_new === 1 && r.first_seen >= newSince,
      stale: r.last_seen < staleBefore,
      ips: (ips.get(r.mac) ?? []).map((x) => ({ ip: x.ip, firstSeen: iso(x.first_seen), lastSeen: iso(x.last_seen) })),
      exposures: (exposures.get(r.ip) ?? []).map((x) => ({ port: x.port, service: x.service, risk: x.risk, lastSeen: iso(x.last_seen) })),
    };
    if (opts.filter === 'new' && !view.new) continue;
    if (opts.filter === 'stale' && !view.stale) continue;
    if (opts.filter === 'exposed' && view.exposures.length === 0) continue;
    out.push(view);
  }
  return out;
}

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}
