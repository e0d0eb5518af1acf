// Logging in to the console against a real collector: where a successful login leads, whatever `next`
// an attacker or a mangled link put in the form.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../collector/state/users.ts';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';

const skip = missing({ commands: ['influxd'] });

describe.skipIf(skip)('console login', () => {
  let influx: Influxd;
  let tc: TestCollector;

  const login = (next: string) =>
    fetch(`${tc.url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: tc.url },
      body: new URLSearchParams({ username: 'quantri', password: 'quantri-password-1', next }).toString(),
    });

  beforeAll(async () => {
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url);
    await createUser(tc.collector.state, { name: 'quantri', password: 'quantri-password-1', role: 'admin' });
  }, 60_000);
  afterAll(async () => {
    await tc?.close();
    await influx?.stop();
  });

  it('a next with a non-Latin-1 character (or any character a Location cannot carry) still logs in, to the overview', async () => {
    for (const next of ['/console/agencies/sở-y-tế', '/console/alerts?q=Cảnh báo', '/console/\u2028', '/console/ok\u0000']) {
      const res = await login(next);
      expect(res.status, next).toBe(303);
      expect(res.headers.get('location'), next).toBe('/console/');
      expect(res.headers.getSetCookie().length, next).toBeGreaterThan(0);
    }
  });

  it('a console path in ASCII is kept; anything off the console is not', async () => {
    expect((await login('/console/alerts?ok=1')).headers.get('location')).toBe('/console/alerts?ok=1');
    expect((await login('/console/agencies/s%E1%BB%9F-y-te')).headers.get('location')).toBe('/console/agencies/s%E1%BB%9F-y-te');
    for (const next of ['//evil.example/console/', 'https://evil.example/', '/console/\\evil', '/api/v1/alerts']) {
      expect((await login(next)).headers.get('location'), next).toBe('/console/');
    }
  });
});
