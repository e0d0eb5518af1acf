/**
 * The device inventory of each agency, learnt from the discovery check's `lan_device` and
 * `lan_exposure` samples. A device is its MAC (or `ip:<address>` when the agent could not learn the
 * MAC). The first report of a subnet is its baseline; after that, a MAC the agency has never had is
 * a new device and leaves a `new_device` event (state/events.ts) with its address and vendor.
 */
import type { WireSample } from '../../protocol/index.ts';
import type { DB } from './db.ts';
import { appendEvent } from './events.ts';

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

/** Fold one accepted batch into the inventory of `agency`. One transaction; cheap when the batch has no LAN samples. */
export function recordLanSamples(db: DB, agencyId: string, agentId: string, samples: readonly WireSample[], now = Date.now()): { newDevices: number } {
  const agency = { id: agencyId };
  const devices = samples.filter((s) => s.measurement === 'lan_device' && s.fields.up === 1);
  const exposures = samples.filter((s) => s.measurement === 'lan_exposure');
  if (devices.length === 0 && exposures.length === 0) return { newDevices: 0 };
  let newDevices = 0;
  const getSubnet = db.prepare('SELECT 1 FROM device_subnets WHERE agency = ? AND subnet = ?');
  const addSubnet = db.prepare('INSERT OR IGNORE INTO device_subnets (agency, subnet, first_seen) VALUES (?, ?, ?)');
  const getDevice = db.prepare('SELECT mac FROM devices WHERE agency = ? AND mac = ?');
  const insertDevice = db.prepare(
    `INSERT INTO devices (agency, mac, subnet, ip, vendor, hostname, first_seen, last_seen, is_new)
     VALUES (@agency, @mac, @subnet, @ip, @vendor, @hostname, @at, @at, @isNew)`,
  );
  const updateDevice = db.prepare(
    `UPDATE devices SET subnet = @subnet, ip = @ip, vendor = COALESCE(@vendor, vendor), hostname = COALESCE(@hostname, hostname),
       last_seen = MAX(last_seen, @at) WHERE agency = @agency AND mac = @mac`,
  );
  const upsertIp = db.prepare(
    `INSERT INTO device_ips (agency, mac, ip, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(agency, mac, ip) DO UPDATE SET last_seen = MAX(last_seen, excluded.last_seen)`,
  );
  const upsertExposure = db.prepare(
    `INSERT INTO device_exposures (agency, ip, port, service, risk, open, first_seen, last_seen)
     VALUES (@agency, @ip, @port, @service, @risk, @open, @at, @at)
     ON CONFLICT(agency, ip, port) DO UPDATE SET service = excluded.service, risk = excluded.risk,
       open = CASE WHEN excluded.last_seen >= last_seen THEN excluded.open ELSE open END, last_seen = MAX(last_seen, excluded.last_seen)`,
  );
  db.transaction(() => {
    // A subnet never reported before is a baseline: its devices are inventoried, not announced.
    const baseline = new Set<string>();
    for (const s of devices) {
      const subnet = s.tags.subnet;
      if (!baseline.has(subnet) && !getSubnet.get(agency.id, subnet)) baseline.add(subnet);
    }
    for (const subnet of baseline) addSubnet.run(agency.id, subnet, now);
    for (const s of devices) {
      const at = Date.parse(s.time);
      const row = {
        agency: agency.id,
        mac: s.tags.mac,
        subnet: s.tags.subnet,
        ip: String(s.fields.ip),
        vendor: typeof s.fields.vendor === 'string' ? s.fields.vendor : null,
        hostname: typeof s.fields.hostname === 'string' ? s.fields.hostname : null,
        at,
      };
      if (getDevice.get(agency.id, row.mac)) updateDevice.run(row);
      else {
        const isNew = baseline.has(row.subnet) ? 0 : 1;
        insertDevice.run({ ...row, isNew });
        if (isNew) {
          newDevices++;
          const name = (db.prepare('SELECT name FROM agencies WHERE id = ?').get(agency.id) as { name: string } | undefined)?.name ?? agency.id;
          const what = [row.mac, row.vendor ? `(${row.vendor})` : '', `IP ${row.ip}`, row.hostname ? `, ${row.hostname}` : ''].filter(Boolean).join(' ');
          appendEvent(
            db,
            agency.id,
            'new_device',
            {
              agent: agentId,
              subnet: row.subnet,
              mac: row.mac,
              ip: row.ip,
              vendor: row.vendor ?? undefined,
              hostname: row.hostname ?? undefined,
              firstSeen: new Date(at).toISOString(),
              summary: { vi: `Thiết bị mới trong mạng LAN của ${name}: ${what}`, en: `New device on the LAN of ${name}: ${what}` },
            },
            now,
          );
        }
      }
      upsertIp.run(agency.id, row.mac, row.ip, at, at);
    }
    for (const s of exposures) {
      upsertExposure.run({
        agency: agency.id,
        ip: s.tags.ip,
        port: s.tags.port,
        service: s.tags.service,
        risk: Number(s.fields.risk),
        open: s.fields.open === 1 ? 1 : 0,
        at: Date.parse(s.time),
      });
    }
  })();
  return { newDevices };
}

export interface ListOptions {
  filter?: DeviceFilter;
  now?: number;
  staleAfterMs?: number;
  newForMs?: number;
}

/** The inventory of one agency, newest first seen first within each subnet order. */
export function listDevices(db: DB, agency: string, opts: ListOptions = {}): DeviceView[] {
  const now = opts.now ?? Date.now();
  const staleBefore = now - (opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS);
  const newSince = now - (opts.newForMs ?? DEFAULT_NEW_FOR_MS);
  const rows = db.prepare('SELECT mac, subnet, ip, vendor, hostname, first_seen, last_seen, is_new FROM devices WHERE agency = ? ORDER BY subnet, ip, mac').all(agency) as DeviceRow[];
  const ips = db.prepare('SELECT ip, first_seen, last_seen FROM device_ips WHERE agency = ? AND mac = ? ORDER BY last_seen DESC');
  const exposures = db.prepare('SELECT port, service, risk, last_seen FROM device_exposures WHERE agency = ? AND ip = ? AND open = 1 ORDER BY port');
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
      ips: (ips.all(agency, r.mac) as { ip: string; first_seen: number; last_seen: number }[]).map((x) => ({ ip: x.ip, firstSeen: iso(x.first_seen), lastSeen: iso(x.last_seen) })),
      exposures: (exposures.all(agency, r.ip) as { port: string; service: string; risk: number; last_seen: number }[]).map((x) => ({
        port: x.port,
        service: x.service,
        risk: x.risk,
        lastSeen: iso(x.last_seen),
      })),
    };
    if (opts.filter === 'new' && !view.new) continue;
    if (opts.filter === 'stale' && !view.stale) continue;
    if (opts.filter === 'exposed' && view.exposures.length === 0) continue;
    out.push(view);
  }
  return out;
}
