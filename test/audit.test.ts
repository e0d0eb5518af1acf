// The audit log and API token oversight against a real collector: what people do in the console and the
// CLI is recorded with who and from where; disabling an account revokes the API tokens named after it;
// province-wide admins list and revoke tokens in the console; nobody else sees either page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken, listAdminTokens } from '../collector/state/admin-tokens.ts';
import { listAudit } from '../collector/state/audit.ts';
import { createUser, userByName } from '../collector/state/users.ts';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { COLLECTOR_BIN, runCli } from './support/agent.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';
import { consoleLogin, postConsoleForm, type ConsoleSession } from './support/console-session.ts';

type Session = ConsoleSession;

describe.skipIf(missing({ commands: ['influxd'] }))('audit log and API tokens (real collector)', () => {
  let influx: Influxd;
  let tc: TestCollector;
  let admin: Session;

  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const login = (username: string, password: string) => consoleLogin(tc.url, username, password);
  const postForm = (sess: Session, path: string, fields: Record<string, string> = {}) => postConsoleForm(tc.url, sess, path, fields);
  const apiWith = (token: string) => fetch(`${tc.url}/api/v1/alerts`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url);
    await createUser(tc.collector.state, { name: 'quantri', password: 'quantri-password-1', role: 'admin' });
    await createUser(tc.collector.state, { name: 'qt.soyte', password: 'qt-soyte-password-1', role: 'admin', agency: 'so-y-te' });
    await createUser(tc.collector.state, { name: 'nv.ops', password: 'nv-ops-password-1', role: 'operator' });
    admin = await login('quantri', 'quantri-password-1');
  }, 60_000);
  afterAll(async () => {
    await tc?.close();
    await influx?.stop();
  });

  it('disabling an account revokes the API tokens named after it (and only those), with an audit entry', async () => {
    const own = await createAdminToken(tc.collector.state, 'nv.ops', 'operator');
    const other = await createAdminToken(tc.collector.state, 'backup-script', 'viewer');
    expect((await apiWith(own)).status).toBe(200);
    const id = (await userByName(tc.collector.state, 'nv.ops'))!.id;
    expect((await postForm(admin, `/users/${id}/disable`)).status).toBe(303);
    expect((await apiWith(own)).status).toBe(401);
    expect((await apiWith(other)).status).toBe(200);
    expect((await listAudit(tc.collector.state, { action: 'user_disable' }))[0]).toMatchObject({ actor: 'quantri', actorKind: 'user', target: 'nv.ops', address: '127.0.0.1', detail: '1 API token(s) named after the account revoked' });
  });

  it('the console lists API tokens (never a secret) and revokes one; the token stops working at once', async () => {
    const token = await createAdminToken(tc.collector.state, 'grafana-export', 'viewer', 'so-y-te');
    const page = await (await fetch(`${tc.url}/console/tokens`, { headers: { cookie: admin.cookie } })).text();
    expect(page).toContain('grafana-export');
    expect(page).not.toContain(token);
    const row = (await listAdminTokens(tc.collector.state)).find((t) => t.name === 'grafana-export')!;
    const res = await postForm(admin, `/tokens/${row.id}/revoke`);
    expect(res.status).toBe(303);
    expect((await apiWith(token)).status).toBe(401);
    expect((await listAudit(tc.collector.state, { action: 'token_revoke' }))[0]).toMatchObject({ actor: 'quantri', target: 'grafana-export', agency: 'so-y-te' });
    expect((await postForm(admin, `/tokens/${row.id}/revoke`)).status).toBe(404);
  });

  it('logins (good and bad), logouts and CLI token changes are recorded with who and from where', async () => {
    await fetch(`${tc.url}/console/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: tc.url }, body: form({ username: 'quantri', password: 'wrong-password-1' }) });
    const s = await login('qt.soyte', 'qt-soyte-password-1');
    expect((await postForm(s, '/logout')).status).toBe(303);
    const cli = await runCli(COLLECTOR_BIN, ['token', 'create', '--name', 'nightly-report', '--role', 'viewer', '--config', tc.configFile], { env: { SUDO_USER: 'tuan' } });
    expect(cli.code).toBe(0);

    const rows = await listAudit(tc.collector.state);
    expect(rows.find((r) => r.action === 'login_failed')).toMatchObject({ actor: '-', actorKind: 'anonymous', target: 'quantri', address: '127.0.0.1' });
    expect(rows.find((r) => r.action === 'login' && r.actor === 'qt.soyte')).toMatchObject({ agency: 'so-y-te', address: '127.0.0.1' });
    expect(rows.find((r) => r.action === 'logout')).toMatchObject({ actor: 'qt.soyte' });
    expect(rows.find((r) => r.action === 'token_create')).toMatchObject({ actor: 'tuan', actorKind: 'cli', target: 'nightly-report', detail: 'viewer' });
    expect(JSON.stringify(rows)).not.toMatch(/password-1|cg[a-z]*_[A-Za-z0-9]{20,}/);
  });

  it('silences added and removed through the API, the console and the CLI are recorded with their matchers', async () => {
    const token = await createAdminToken(tc.collector.state, 'ops-script', 'operator', 'so-y-te');
    const added = await fetch(`${tc.url}/api/v1/silences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ matchers: { rule: 'target_down' }, duration: '2h', reason: 'bảo trì máy chủ' }),
    });
    expect(added.status).toBe(200);
    const id = ((await added.json()) as { silence: { id: number } }).silence.id;
    expect((await fetch(`${tc.url}/api/v1/silences/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const cli = await runCli(COLLECTOR_BIN, ['silence', 'add', '--match', 'agency=so-tu-phap', '--duration', '1h', '--reason', 'nâng cấp', '--by', 'an', '--config', tc.configFile], { env: { SUDO_USER: 'tuan' } });
    expect(cli.code, cli.stderr).toBe(0);

    const rows = await listAudit(tc.collector.state);
    expect(rows.find((r) => r.action === 'silence_add' && r.actorKind === 'token')).toMatchObject({ actor: 'ops-script', target: String(id), agency: 'so-y-te', address: '127.0.0.1', detail: 'rule=target_down, agency=so-y-te' });
    expect(rows.find((r) => r.action === 'silence_remove')).toMatchObject({ actor: 'ops-script', target: String(id) });
    expect(rows.find((r) => r.action === 'silence_add' && r.actorKind === 'cli')).toMatchObject({ actor: 'tuan', agency: 'so-tu-phap', detail: 'agency=so-tu-phap, recorded as an' });
  });

  it('the audit and token pages are for province-wide admins only: an agency admin is refused (403)', async () => {
    const page = await fetch(`${tc.url}/console/audit`, { headers: { cookie: admin.cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('token_revoke');
    const scoped = await login('qt.soyte', 'qt-soyte-password-1');
    for (const path of ['/audit', '/tokens']) {
      const res = await fetch(`${tc.url}/console${path}`, { headers: { cookie: scoped.cookie } });
      expect(res.status, path).toBe(403);
    }
  });
});
