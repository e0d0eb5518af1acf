// The LAN device inventory and its events on both engines: baselines, new devices, IP history, exposures.
import { expect, it } from 'vitest';
import type { WireSample } from '../../protocol/index.ts';
import { describeEachStateDriver, type OpenState } from '../../test/support/state-drivers.ts';
import { syncAgencies } from './agencies.ts';
import { listDevices, recordLanSamples } from './devices.ts';
import { appendEvent, listEvents } from './events.ts';

const SUBNET = '192.0.2.0/24';
const T0 = Date.parse('2026-11-20T08:00:00Z');
const at = (ms: number) => new Date(ms).toISOString();
const device = (mac: string, ip: string, time: number, extra: Record<string, string> = {}): WireSample => ({
  measurement: 'lan_device',
  tags: { subnet: SUBNET, mac },
  fields: { up: 1, ip, ...extra },
  time: at(time),
});

async function fresh(open: OpenState) {
  const db = await open();
  // The config schema's types are loose here (a mapped union); these rows are what the YAML would give.
  await syncAgencies(db, [
    { id: 'so-y-te', name: 'Sở Y tế', level: 'department', contacts: [], locale: 'vi' },
    { id: 'so-tu-phap', name: 'Sở Tư pháp', level: 'department', contacts: [], locale: 'vi' },
  ] as unknown as Parameters<typeof syncAgencies>[1]);
  return db;
}

describeEachStateDriver('device inventory', (open) => {
  it('takes the first report of a subnet as its baseline, then announces a MAC never seen in the agency', async () => {
    const db = await fresh(open);
    expect(await recordLanSamples(db, 'so-y-te', 'a1', [device('00:00:0c:00:00:01', '192.0.2.10', T0), device('02:00:00:00:00:02', '192.0.2.11', T0)], T0)).toEqual({ newDevices: 0 });
    expect(await listEvents(db)).toEqual([]);
    const later = T0 + 900_000;
    const r = await recordLanSamples(db, 'so-y-te', 'a1', [device('00:00:0c:00:00:01', '192.0.2.10', later), device('00:00:0c:00:00:03', '192.0.2.12', later, { vendor: 'Cisco Systems' })], later);
    expect(r).toEqual({ newDevices: 1 });
    const [ev] = await listEvents(db, { kind: 'new_device' });
    expect(ev).toMatchObject({ agency: 'so-y-te', kind: 'new_device', payload: { mac: '00:00:0c:00:00:03', ip: '192.0.2.12', vendor: 'Cisco Systems', subnet: SUBNET, agent: 'a1' } });
    expect((ev.payload.summary as { vi: string }).vi).toBe('Thiết bị mới trong mạng LAN của Sở Y tế: 00:00:0c:00:00:03 (Cisco Systems) IP 192.0.2.12');
    const all = await listDevices(db, 'so-y-te', { now: later });
    expect(all.map((d) => [d.mac, d.new])).toEqual([
      ['00:00:0c:00:00:01', false],
      ['02:00:00:00:00:02', false],
      ['00:00:0c:00:00:03', true],
    ]);
    expect((await listDevices(db, 'so-y-te', { now: later, filter: 'new' })).map((d) => d.mac)).toEqual(['00:00:0c:00:00:03']);
    // Another agency has its own inventory: the same MAC there is its own baseline.
    expect(await recordLanSamples(db, 'so-tu-phap', 'a2', [device('00:00:0c:00:00:03', '192.0.2.12', later)], later)).toEqual({ newDevices: 0 });
  });

  it('keeps the IP history and marks a device unseen for staleAfter as stale; up=0 samples do not refresh it', async () => {
    const db = await fresh(open);
    await recordLanSamples(db, 'so-y-te', 'a1', [device('02:00:00:00:00:01', '192.0.2.10', T0), device('02:00:00:00:00:02', '192.0.2.20', T0)], T0);
    const t1 = T0 + 3 * 86_400_000;
    await recordLanSamples(db, 'so-y-te', 'a1', [device('02:00:00:00:00:01', '192.0.2.15', t1), { ...device('02:00:00:00:00:02', '192.0.2.20', t1), fields: { up: 0, ip: '192.0.2.20' } }], t1);
    const [moved] = await listDevices(db, 'so-y-te', { now: t1 });
    expect(moved.ip).toBe('192.0.2.15');
    expect(moved.ips.map((i) => i.ip).sort()).toEqual(['192.0.2.10', '192.0.2.15']);
    const now = T0 + 8 * 86_400_000;
    expect((await listDevices(db, 'so-y-te', { now, filter: 'stale' })).map((d) => d.mac)).toEqual(['02:00:00:00:00:02']);
    expect((await listDevices(db, 'so-y-te', { now, filter: 'stale', staleAfterMs: 2 * 86_400_000 })).map((d) => d.mac).sort()).toEqual(['02:00:00:00:00:01', '02:00:00:00:00:02']);
  });

  it('lists a device as exposed while a risky service is open on its address, and not after the agent saw it close', async () => {
    const db = await fresh(open);
    const exposure = (open: number, time: number): WireSample => ({ measurement: 'lan_exposure', tags: { ip: '192.0.2.10', port: '23', service: 'telnet' }, fields: { open, risk: 4 }, time: at(time) });
    await recordLanSamples(db, 'so-y-te', 'a1', [device('02:00:00:00:00:01', '192.0.2.10', T0), device('02:00:00:00:00:02', '192.0.2.11', T0), exposure(1, T0)], T0);
    expect((await listDevices(db, 'so-y-te', { now: T0, filter: 'exposed' })).map((d) => [d.mac, d.exposures])).toEqual([
      ['02:00:00:00:00:01', [{ port: '23', service: 'telnet', risk: 4, lastSeen: at(T0) }]],
    ]);
    await recordLanSamples(db, 'so-y-te', 'a1', [exposure(0, T0 + 1000)], T0 + 1000);
    expect(await listDevices(db, 'so-y-te', { now: T0, filter: 'exposed' })).toEqual([]);
    // A late, older sample does not reopen it.
    await recordLanSamples(db, 'so-y-te', 'a1', [exposure(1, T0 + 500)], T0 + 2000);
    expect(await listDevices(db, 'so-y-te', { now: T0, filter: 'exposed' })).toEqual([]);
  });

  it('lists in address order with each device’s addresses, newest first; a late sample never moves last_seen back', async () => {
    const db = await fresh(open);
    await recordLanSamples(db, 'so-y-te', 'a1', [device('02:00:00:00:00:0b', '192.0.2.9', T0), device('02:00:00:00:00:0a', '192.0.2.10', T0)], T0);
    await recordLanSamples(db, 'so-y-te', 'a1', [device('02:00:00:00:00:0a', '192.0.2.11', T0 + 2000)], T0 + 2000);
    await recordLanSamples(db, 'so-y-te', 'a1', [device('02:00:00:00:00:0a', '192.0.2.10', T0 + 1000)], T0 + 3000);
    const list = await listDevices(db, 'so-y-te', { now: T0 + 3000 });
    // Text order, as SQLite compares: "192.0.2.10" before "192.0.2.9".
    expect(list.map((d) => d.mac)).toEqual(['02:00:00:00:00:0a', '02:00:00:00:00:0b']);
    expect(list[0].lastSeen).toBe(at(T0 + 2000));
    expect(list[0].ips.map((i) => [i.ip, i.lastSeen])).toEqual([['192.0.2.11', at(T0 + 2000)], ['192.0.2.10', at(T0 + 1000)]]);
  });

  it('lists events after a cursor, by kind and agency, within a limit', async () => {
    const db = await fresh(open);
    for (let i = 0; i < 4; i++) await appendEvent(db.db, i % 2 ? 'so-tu-phap' : 'so-y-te', i < 3 ? 'new_device' : 'other', { n: i }, T0 + i);
    const all = await listEvents(db);
    expect(all.map((e) => e.payload.n)).toEqual([0, 1, 2, 3]);
    expect((await listEvents(db, { afterId: all[1].id })).map((e) => e.payload.n)).toEqual([2, 3]);
    expect((await listEvents(db, { kind: 'new_device', agency: 'so-y-te' })).map((e) => e.payload.n)).toEqual([0, 2]);
    expect((await listEvents(db, { limit: 1 })).map((e) => e.createdAt)).toEqual([T0]);
  });
});
