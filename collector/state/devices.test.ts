import { describe, expect, it } from 'vitest';
import type { WireSample } from '../../protocol/index.ts';
import { syncAgencies } from './agencies.ts';
import { sqliteStateSql } from './sql/connect.ts';
import { openDb } from './db.ts';
import { listDevices, recordLanSamples } from './devices.ts';
import { listEvents } from './events.ts';

const SUBNET = '192.0.2.0/24';
const T0 = Date.parse('2026-11-20T08:00:00Z');
const at = (ms: number) => new Date(ms).toISOString();
const device = (mac: string, ip: string, time: number, extra: Record<string, string> = {}): WireSample => ({
  measurement: 'lan_device',
  tags: { subnet: SUBNET, mac },
  fields: { up: 1, ip, ...extra },
  time: at(time),
});

async function fresh() {
  const db = openDb(':memory:');
  // The config schema's types are loose here (a mapped union); these rows are what the YAML would give.
  await syncAgencies(sqliteStateSql(db), [
    { id: 'so-y-te', name: 'Sở Y tế', level: 'department', contacts: [], locale: 'vi' },
    { id: 'so-tu-phap', name: 'Sở Tư pháp', level: 'department', contacts: [], locale: 'vi' },
  ] as unknown as Parameters<typeof syncAgencies>[1]);
  return db;
}

describe('device inventory', () => {
  it('takes the first report of a subnet as its baseline, then announces a MAC never seen in the agency', async () => {
    const db = await fresh();
    expect(recordLanSamples(db, 'so-y-te', 'a1', [device('00:00:0c:00:00:01', '192.0.2.10', T0), device('02:00:00:00:00:02', '192.0.2.11', T0)], T0)).toEqual({ newDevices: 0 });
    expect(listEvents(db)).toEqual([]);
    const later = T0 + 900_000;
    const r = recordLanSamples(db, 'so-y-te', 'a1', [device('00:00:0c:00:00:01', '192.0.2.10', later), device('00:00:0c:00:00:03', '192.0.2.12', later, { vendor: 'Cisco Systems' })], later);
    expect(r).toEqual({ newDevices: 1 });
    const [ev] = listEvents(db, { kind: 'new_device' });
    expect(ev).toMatchObject({ agency: 'so-y-te', kind: 'new_device', payload: { mac: '00:00:0c:00:00:03', ip: '192.0.2.12', vendor: 'Cisco Systems', subnet: SUBNET, agent: 'a1' } });
    expect((ev.payload.summary as { vi: string }).vi).toBe('Thiết bị mới trong mạng LAN của Sở Y tế: 00:00:0c:00:00:03 (Cisco Systems) IP 192.0.2.12');
    const all = listDevices(db, 'so-y-te', { now: later });
    expect(all.map((d) => [d.mac, d.new])).toEqual([
      ['00:00:0c:00:00:01', false],
      ['02:00:00:00:00:02', false],
      ['00:00:0c:00:00:03', true],
    ]);
    expect(listDevices(db, 'so-y-te', { now: later, filter: 'new' }).map((d) => d.mac)).toEqual(['00:00:0c:00:00:03']);
    // Another agency has its own inventory: the same MAC there is its own baseline.
    expect(recordLanSamples(db, 'so-tu-phap', 'a2', [device('00:00:0c:00:00:03', '192.0.2.12', later)], later)).toEqual({ newDevices: 0 });
  });

  it('keeps the IP history and marks a device unseen for staleAfter as stale; up=0 samples do not refresh it', async () => {
    const db = await fresh();
    recordLanSamples(db, 'so-y-te', 'a1', [device('02:00:00:00:00:01', '192.0.2.10', T0), device('02:00:00:00:00:02', '192.0.2.20', T0)], T0);
    const t1 = T0 + 3 * 86_400_000;
    recordLanSamples(db, 'so-y-te', 'a1', [device('02:00:00:00:00:01', '192.0.2.15', t1), { ...device('02:00:00:00:00:02', '192.0.2.20', t1), fields: { up: 0, ip: '192.0.2.20' } }], t1);
    const [moved] = listDevices(db, 'so-y-te', { now: t1 });
    expect(moved.ip).toBe('192.0.2.15');
    expect(moved.ips.map((i) => i.ip).sort()).toEqual(['192.0.2.10', '192.0.2.15']);
    const now = T0 + 8 * 86_400_000;
    expect(listDevices(db, 'so-y-te', { now, filter: 'stale' }).map((d) => d.mac)).toEqual(['02:00:00:00:00:02']);
    expect(listDevices(db, 'so-y-te', { now, filter: 'stale', staleAfterMs: 2 * 86_400_000 }).map((d) => d.mac).sort()).toEqual(['02:00:00:00:00:01', '02:00:00:00:00:02']);
  });

  it('lists a device as exposed while a risky service is open on its address, and not after the agent saw it close', async () => {
    const db = await fresh();
    const exposure = (open: number, time: number): WireSample => ({ measurement: 'lan_exposure', tags: { ip: '192.0.2.10', port: '23', service: 'telnet' }, fields: { open, risk: 4 }, time: at(time) });
    recordLanSamples(db, 'so-y-te', 'a1', [device('02:00:00:00:00:01', '192.0.2.10', T0), device('02:00:00:00:00:02', '192.0.2.11', T0), exposure(1, T0)], T0);
    expect(listDevices(db, 'so-y-te', { now: T0, filter: 'exposed' }).map((d) => [d.mac, d.exposures])).toEqual([
      ['02:00:00:00:00:01', [{ port: '23', service: 'telnet', risk: 4, lastSeen: at(T0) }]],
    ]);
    recordLanSamples(db, 'so-y-te', 'a1', [exposure(0, T0 + 1000)], T0 + 1000);
    expect(listDevices(db, 'so-y-te', { now: T0, filter: 'exposed' })).toEqual([]);
    // A late, older sample does not reopen it.
    recordLanSamples(db, 'so-y-te', 'a1', [exposure(1, T0 + 500)], T0 + 2000);
    expect(listDevices(db, 'so-y-te', { now: T0, filter: 'exposed' })).toEqual([]);
  });
});
