// Every route of the collector (walked at test time, so new endpoints are covered without editing this
// file) × every kind of caller. Agent routes take agent tokens only; every other route needs an operator
// principal; nothing answers 5xx.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSilence, getSilence } from '../collector/alerts/silence-store.ts';
import { AlertStore } from '../collector/alerts/store.ts';
import { revokeAgent } from '../collector/state/agents.ts';
import { createAdminToken } from '../collector/state/admin-tokens.ts';
import { createCommand } from '../collector/state/commands.ts';
import { createUser } from '../collector/state/users.ts';
import { rows, startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';
import { consoleLogin } from './support/console-session.ts';

/** Reachable without credentials on purpose (probes, enrolment by one-time code, the console's sign-in). */
const PUBLIC: RegExp[] = [/^GET \/healthz$/, /^GET \/readyz$/, /^POST \/api\/v1\/enroll$/, /^GET \/status(\.json|\/status\.css)?$/, /^(GET|POST) \/console\/(login|logout|static\/.*|assets\/.*)$/];

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
    // The public status page is on, so its routes are walked too.
    tc = await startTestCollector(influx.url, { extra: { status: { enabled: true } } });
    const a = await tc.enrolAgent('so-y-te', 'pc-a');
    const b = await tc.enrolAgent('so-tu-phap', 'pc-b');
    const revoked = await tc.enrolAgent('so-y-te', 'pc-old');
    await revokeAgent(tc.collector.state, revoked.agentId);
    agentA = a.agentId;
    agentB = b.agentId;
    callers['no token'] = undefined;
    callers['agent token'] = a.token;
    callers["other agent's token"] = b.token;
    callers['revoked agent token'] = revoked.token;
    callers['admin token'] = await createAdminToken(tc.collector.state, 'matrix-admin', 'admin');
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

  it("an agency-scoped principal gets for another agency's id exactly what it gets for an id that does not exist (status and body)", async () => {
    const db = tc.collector.db!;
    const store = new AlertStore(tc.collector.state);
    const now = Date.now();
    const other = 'so-tu-phap';
    // Ids long enough to be told apart from any other number in a page, as a real store would reach.
    const alertId = 555_000_111;
    const silenceId = 555_000_222;
    const firstAlert = (await store.openAlert({ fingerprint: 'matrix-other-agency', rule: 'target_down', severity: 'critical', agency: other, labels: { target: '127.0.0.1', port: '9' }, activeSince: now })).row.id;
    db.prepare('UPDATE alerts SET id = ?, state = ?, fired_at = ? WHERE id = ?').run(alertId, 'firing', now, firstAlert);
    const firstSilence = (await addSilence(tc.collector.state.db, { matchers: { agency: other }, startsAt: now, endsAt: now + 3_600_000, reason: 'của cơ quan khác', author: 'matrix' }, now)).id;
    db.prepare('UPDATE alert_silences SET id = ? WHERE id = ?').run(silenceId, firstSilence);
    const commandId = await createCommand(tc.collector.state, agentB, 'run-check', { type: 'videoconf', deadlineMs: 1000 }, 60_000, now);
    const scopedToken = await createAdminToken(tc.collector.state, 'matrix-scoped-admin', 'admin', 'so-y-te');
    const agentToken = callers['agent token']!;
    const result = { status: 'done', startedAt: new Date(now).toISOString(), finishedAt: new Date(now).toISOString(), samples: [] };
    // A profile of the other agency, put by a province-wide admin.
    const otherProfile = 'tu-phap-rieng';
    const otherYaml = 'agencies: [so-tu-phap]\nchecks:\n  - { type: host, name: may-chu }\n';
    const put = await fetch(`${tc.url}/api/v1/fleet/profiles/${otherProfile}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${callers['admin token']}` },
      body: JSON.stringify({ yaml: otherYaml }),
    });
    expect(put.status).toBe(200);

    // [what, method, path with {id}, the other agency's id, an id nobody has, body, token]
    const api: [string, string, string, string, string, unknown, string][] = [
      ['ack an alert', 'POST', '/api/v1/alerts/{id}/ack', String(alertId), '987654321', {}, scopedToken],
      ['remove a silence', 'DELETE', '/api/v1/silences/{id}', String(silenceId), '987654321', undefined, scopedToken],
      ['list alerts', 'GET', '/api/v1/alerts?agency={id}', other, 'no-such-agency', undefined, scopedToken],
      ['notifications', 'GET', '/api/v1/notifications?agency={id}', other, 'no-such-agency', undefined, scopedToken],
      ['certificates', 'GET', '/api/v1/certificates?agency={id}', other, 'no-such-agency', undefined, scopedToken],
      ['compliance', 'GET', '/api/v1/compliance?agency={id}', other, 'no-such-agency', undefined, scopedToken],
      ['devices', 'GET', '/api/v1/agencies/{id}/devices', other, 'no-such-agency', undefined, scopedToken],
      ['silence another agency', 'POST', '/api/v1/silences', other, 'no-such-agency', { matchers: { agency: '{id}' }, duration: '1h', reason: 'thử' }, scopedToken],
      ['meeting check', 'POST', '/api/v1/videoconf/check', other, 'no-such-agency', { agency: '{id}', wait: 1 }, scopedToken],
      ["another agent's command result", 'POST', '/api/v1/agent/commands/{id}/result', commandId, 'cmd-nosuch-000000000000', result, agentToken],
      ["another agency's profile", 'GET', '/api/v1/fleet/profiles/{id}', otherProfile, 'no-such-profile', undefined, scopedToken],
      ["change another agency's profile", 'PUT', '/api/v1/fleet/profiles/{id}', otherProfile, 'no-such-profile', { yaml: 'agencies: [so-y-te]\nchecks: []\n' }, scopedToken],
      ["delete another agency's profile", 'DELETE', '/api/v1/fleet/profiles/{id}', otherProfile, 'no-such-profile', undefined, scopedToken],
      ["another agency's fleet state", 'GET', '/api/v1/fleet/agents?agency={id}', other, 'no-such-agency', undefined, scopedToken],
      ["another agency's update state", 'GET', '/api/v1/releases/agents?agency={id}', other, 'no-such-agency', undefined, scopedToken],
      ['roll a release out to another agency', 'POST', '/api/v1/releases/rollout', other, 'no-such-agency', { version: '9.9.9', agencies: ['{id}'] }, scopedToken],
    ];
    const fill = (v: unknown, id: string): unknown => JSON.parse(JSON.stringify(v ?? null).replaceAll('{id}', id));
    const answer = async (method: string, path: string, id: string, body: unknown, token: string, extra: Record<string, string> = {}) => {
      const res = await fetch(tc.url + path.replace('{id}', encodeURIComponent(id)), {
        method,
        redirect: 'manual',
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...extra },
        body: body !== undefined ? JSON.stringify(fill(body, id)) : undefined,
      });
      return `${res.status} ${(await res.text()).replaceAll(id, '{id}').replaceAll(encodeURIComponent(id), '{id}')}`;
    };
    const differences: string[] = [];
    for (const [what, method, path, theirs, nobodys, body, token] of api) {
      const [a, b] = [await answer(method, path, theirs, body, token), await answer(method, path, nobodys, body, token)];
      if (a !== b) differences.push(`${what}: another agency's id -> ${a.slice(0, 160)} | no such id -> ${b.slice(0, 160)}`);
    }

    // The console, as a user scoped to so-y-te (an admin: every action is open to them in their own agency).
    await createUser(tc.collector.state, { name: 'qt.matrix', password: 'qt-matrix-password-1', role: 'admin', agency: 'so-y-te' });
    const { cookie, csrf } = await consoleLogin(tc.url, 'qt.matrix', 'qt-matrix-password-1', '/console/alerts');
    const form = { 'content-type': 'application/x-www-form-urlencoded', origin: tc.url, cookie };
    const consoleAnswer = async (method: string, path: string, id: string) => {
      const res = await fetch(tc.url + path.replace('{id}', encodeURIComponent(id)), { method, redirect: 'manual', headers: method === 'GET' ? { cookie } : form, body: method === 'GET' ? undefined : new URLSearchParams({ _csrf: csrf }).toString() });
      return `${res.status} ${(await res.text()).replaceAll(encodeURIComponent(id), '{id}').replaceAll(id, '{id}')}`;
    };
    const pages: [string, string, string, string, string][] = [
      ['alert page', 'GET', '/console/alerts/{id}', String(alertId), '987654321'],
      ['ack from the console', 'POST', '/console/alerts/{id}/ack', String(alertId), '987654321'],
      ['remove a silence from the console', 'POST', '/console/silences/{id}/remove', String(silenceId), '987654321'],
      ['agency page', 'GET', '/console/agencies/{id}', other, 'no-such-agency'],
      ['revoke an agent', 'POST', '/console/agents/{id}/revoke', agentB, 'no-such-agent'],
      ['rotate an agent', 'POST', '/console/agents/{id}/rotate', agentB, 'no-such-agent'],
    ];
    for (const [what, method, path, theirs, nobodys] of pages) {
      const [a, b] = [await consoleAnswer(method, path, theirs), await consoleAnswer(method, path, nobodys)];
      if (a !== b) differences.push(`console ${what}: another agency's id -> ${a.slice(0, 160)} | no such id -> ${b.slice(0, 160)}`);
    }
    expect(differences).toEqual([]);
    // And nothing of the other agency was touched: its profile is as the province-wide admin put it.
    const profiles = (await (await fetch(`${tc.url}/api/v1/fleet/profiles`, { headers: { authorization: `Bearer ${scopedToken}` } })).json()) as { profiles: { name: string }[] };
    expect(profiles.profiles.map((p) => p.name)).not.toContain(otherProfile);
    const detail = (await (await fetch(`${tc.url}/api/v1/fleet/profiles/${otherProfile}`, { headers: { authorization: `Bearer ${callers['admin token']}` } })).json()) as { yaml: string; profile: { version: number } };
    expect([detail.yaml, detail.profile.version]).toEqual([otherYaml, 1]);
    expect((await store.get(alertId))?.ackedAt).toBeNull();
    expect((await getSilence(tc.collector.state, silenceId))?.removedAt).toBeNull();
  });

  it('an agency-scoped admin cannot push a release, not even to its own agency; a viewer neither', async () => {
    const db = tc.collector.db!;
    const callersOf = [await createAdminToken(tc.collector.state, 'matrix-scoped-release', 'admin', 'so-y-te'), await createAdminToken(tc.collector.state, 'matrix-viewer-release', 'viewer')];
    for (const token of callersOf) {
      const res = await fetch(`${tc.url}/api/v1/releases/rollout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ version: '0.1.0', agencies: ['so-y-te'] }),
      });
      expect(res.status).toBe(403);
    }
    expect(db.prepare('SELECT COUNT(*) AS n FROM release_rollouts').get()).toEqual({ n: 0 });
  });
});
