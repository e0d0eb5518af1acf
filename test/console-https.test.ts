import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../collector/state/users.ts';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';

const skip = missing({ commands: ['influxd'] });

function post(url: string, ca: string, body: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', ca, servername: 'localhost', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: u.origin } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Over HTTPS the session cookie is `__Host-` prefixed and Secure, and HSTS is sent. */
describe.skipIf(skip)('console over HTTPS', () => {
  let influx: Influxd;
  let tc: TestCollector;
  beforeAll(async () => {
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url, { https: true });
    await createUser(tc.collector.state, { name: 'admin', password: 'https-admin-password', role: 'admin' });
  }, 60_000);
  afterAll(async () => {
    await tc?.close();
    await influx?.stop();
  });

  it('sets a Secure __Host- cookie and HSTS', async () => {
    const ca = readFileSync(tc.caFile!, 'utf8');
    const res = await post(`${tc.url}/console/login`, ca, 'username=admin&password=https-admin-password');
    expect(res.status).toBe(303);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^__Host-canhgac_session=[\w-]{43}; Path=\/; SameSite=Strict; HttpOnly; Secure; Max-Age=43200$/);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
  });
});
