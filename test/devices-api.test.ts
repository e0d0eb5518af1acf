import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken } from '../collector/state/admin-tokens.ts';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';

// The device inventory API with a real collector and influxd; the LAN itself is in discovery-lan.test.ts.
const skip = missing({ commands: ['influxd'] });

describe.skipIf(skip)('GET /api/v1/agencies/:id/devices', () => {
  let influx: Influxd;
  let tc: TestCollector;
  let admin: string;
  beforeAll(async () => {
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url, { extra: { devices: { staleAfter: '1h' } } });
    admin = await createAdminToken(tc.collector.state, 'admin', 'admin');
    const { token } = await tc.enrolAgent('so-y-te', 'pc');
    const time = new Date().toISOString();
    const post = await fetch(`${tc.url}/api/v1/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        samples: [
          { measurement: 'lan_device', tags: { subnet: '192.0.2.0/24', mac: '00:00:0c:9f:f0:01' }, fields: { up: 1, ip: '192.0.2.1', vendor: 'Cisco Systems' }, time },
          { measurement: 'lan_device', tags: { subnet: '192.0.2.0/24', mac: '02:00:00:00:00:07' }, fields: { up: 1, ip: '192.0.2.7' }, time },
          { measurement: 'lan_exposure', tags: { ip: '192.0.2.7', port: '3389', service: 'rdp' }, fields: { open: 1, risk: 3 }, time },
        ],
      }),
    });
    expect(post.status).toBe(200);
  });
  afterAll(async () => {
    await tc?.close();
    await influx?.stop();
  });

  const get = (path: string, token?: string) => fetch(`${tc.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('lists the inventory with the configured staleAfter, and filters it', async () => {
    const res = await get('/api/v1/agencies/so-y-te/devices', admin);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { agencyName: string; staleAfterSeconds: number; devices: { mac: string; vendor?: string; new: boolean; stale: boolean }[] };
    expect(body).toMatchObject({ agencyName: 'Sở Y tế', staleAfterSeconds: 3600 });
    expect(body.devices.map((d) => [d.mac, d.vendor, d.new, d.stale])).toEqual([
      ['00:00:0c:9f:f0:01', 'Cisco Systems', false, false],
      ['02:00:00:00:00:07', undefined, false, false],
    ]);
    const exposed = (await (await get('/api/v1/agencies/so-y-te/devices?filter=exposed', admin)).json()) as { devices: { mac: string; exposures: unknown[] }[] };
    expect(exposed.devices.map((d) => [d.mac, d.exposures])).toEqual([['02:00:00:00:00:07', [expect.objectContaining({ port: '3389', service: 'rdp', risk: 3 })]]]);
  });

  it('answers 401, 403, 404 and 400 with a reason, never a 5xx', async () => {
    expect((await get('/api/v1/agencies/so-y-te/devices')).status).toBe(401);
    const other = await createAdminToken(tc.collector.state, 'tu-phap', 'viewer', 'so-tu-phap');
    const forbidden = await get('/api/v1/agencies/so-y-te/devices', other);
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { message: string }).message).toMatch(/so-tu-phap/);
    expect((await get('/api/v1/agencies/so-tu-phap/devices', other)).status).toBe(200);
    expect((await get('/api/v1/agencies/no-such-agency/devices', admin)).status).toBe(404);
    const badFilter = await get('/api/v1/agencies/so-y-te/devices?filter=old', admin);
    expect(badFilter.status).toBe(400);
    const badStale = await get('/api/v1/agencies/so-y-te/devices?staleAfter=soon', admin);
    expect(badStale.status).toBe(400);
    expect(((await badStale.json()) as { message: string }).message).toMatch(/staleAfter: expected a duration/);
  });
});
