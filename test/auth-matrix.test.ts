// Every route of the collector (walked at test time, so new endpoints are covered without editing this
// file) × every kind of caller. Agent routes take agent tokens only; every other route needs an operator
// principal; nothing answers 5xx.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeAgent } from '../collector/state/agents.ts';
import { createAdminToken } from '../collector/state/admin-tokens.ts';
import { rows, startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';

/** Reachable without credentials on purpose (probes, enrolment by one-time code, the console's sign-in). */
const PUBLIC: RegExp[] = [/^GET \/healthz$/, /^GET \/readyz$/, /^POST \/api\/v1\/enroll$/, /^(GET|POST) \/console\/(login|logout|static\/.*|assets\/.*)$/];

const REFUSED = [401, 403, 302, 303];

const skip = missing({ commands: ['influxd'] });

describe.skipIf(skip)('auth matrix over every collector route', () => {
  let influx: Influxd;
  let tc: TestCollector;
  const callers: Record<string, string | undefined> = {};
  let agentA = '';
  let agentB = '';

  beforeAll(async () => {
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url);
    const a = await tc.enrolAgent('so-y-te', 'pc-a');
    const b = await tc.enrolAgent('so-tu-phap', 'pc-b');
    const revoked = await tc.enrolAgent('so-y-te', 'pc-old');
    revokeAgent(tc.collector.db, revoked.agentId);
    agentA = a.agentId;
    agentB = b.agentId;
    callers['no token'] = undefined;
    callers['agent token'] = a.token;
    callers["other agent's token"] = b.token;
    callers['revoked agent token'] = revoked.token;
    callers['admin token'] = createAdminToken(tc.collector.db, 'matrix-admin', 'admin');
    callers['garbage token'] = 'x'.repeat(500);
  });
  afterAll(async () => {
    await tc?.close();
    await influx?.stop();
  });

  function call(method: string, url: string, token?: string): Promise<Response> {
    const path = url.replace(/:[A-Za-z_]+/g, '1').replace(/\*$/, 'x');
    const hasBody = method !== 'GET' && method !== 'DELETE';
    return fetch(tc.url + path, {
      method,
      redirect: 'manual',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(hasBody ? { 'content-type': 'application/json' } : {}) },
      body: hasBody ? '{}' : undefined,
    });
  }

  it('walks the routes the app really has', () => {
    const names = tc.collector.app.routeList.map((r) => `${r.method} ${r.url}`);
    expect(names).toEqual(expect.arrayContaining(['POST /api/v1/samples', 'GET /healthz', 'POST /api/v1/enroll']));
    expect(tc.collector.app.routeList.find((r) => r.url === '/api/v1/samples')!.agent).toBe(true);
  });

  it('refuses every caller that is not entitled, and never answers 5xx', async () => {
    const failures: string[] = [];
    for (const route of tc.collector.app.routeList) {
      const name = `${route.method} ${route.url}`;
      const isPublic = PUBLIC.some((p) => p.test(name));
      for (const [caller, token] of Object.entries(callers)) {
        const res = await call(route.method, route.url, token);
        await res.arrayBuffer();
        const s = res.status;
        let entitled: boolean;
        if (isPublic) entitled = true;
        else if (route.agent) entitled = caller === 'agent token' || caller === "other agent's token";
        else entitled = caller === 'admin token';
        if (s >= 500) failures.push(`${name} as ${caller}: ${s}`);
        else if (!entitled && !REFUSED.includes(s)) failures.push(`${name} as ${caller}: expected a refusal, got ${s}`);
        // Console pages want a browser session (and a CSRF token), not a bearer token: no acceptance asked there.
        else if (entitled && !isPublic && !route.url.startsWith('/console') && (s === 401 || s === 403)) failures.push(`${name} as ${caller}: entitled but refused (${s})`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("an agent only writes as itself: another agent's id or agency in the payload is replaced", async () => {
    const res = await fetch(`${tc.url}/api/v1/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${callers['agent token']}` },
      body: JSON.stringify({
        samples: [{ measurement: 'tcp', tags: { target: 'impersonate', port: '1', result: 'ok', agent: agentB, agency: 'so-tu-phap' }, fields: { up: 1 }, time: new Date().toISOString() }],
      }),
    });
    expect(res.status).toBe(200);
    const r = rows(await influx.query(`SELECT * FROM tcp WHERE target = 'impersonate'`, tc.config.influx.database));
    expect(r.map((x) => [x.agent, x.agency])).toEqual([[agentA, 'so-y-te']]);
  });
});
