// Console forms against a real collector: a role is only ever one of the three (inherited names such as
// `constructor` used to pass `role in ROLE_RANK`), and a refused form says why on the console's own page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, listUsers, userByName } from '../collector/state/users.ts';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';
import { consoleLogin, type ConsoleSession } from './support/console-session.ts';

const skip = missing({ commands: ['influxd'] });

type Session = ConsoleSession;

describe.skipIf(skip)('console forms: roles, schemas and messages', () => {
  let influx: Influxd;
  let tc: TestCollector;
  let admin: Session;

  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const headers = (s?: Session, type = 'application/x-www-form-urlencoded') => ({ 'content-type': type, origin: tc.url, ...(s ? { cookie: s.cookie } : {}) });

  const login = (username: string, password: string): Promise<Session> => consoleLogin(tc.url, username, password);

  const addUser = (s: Session, fields: Record<string, string>, extraCookie = '') =>
    fetch(`${tc.url}/console/users`, { method: 'POST', redirect: 'manual', headers: { ...headers(s), cookie: s.cookie + extraCookie }, body: form({ _csrf: s.csrf, ...fields }) });

  beforeAll(async () => {
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url);
    await createUser(tc.collector.state, { name: 'quantri', password: 'quantri-password-1', role: 'admin' });
    await createUser(tc.collector.state, { name: 'qt.soyte', password: 'qt-soyte-password-1', role: 'admin', agency: 'so-y-te' });
    admin = await login('quantri', 'quantri-password-1');
  }, 60_000);
  afterAll(async () => {
    await tc?.close();
    await influx?.stop();
  });

  it('refuses a role that is only an inherited property name, and stores no user', async () => {
    const before = (await listUsers(tc.collector.state)).length;
    for (const role of ['constructor', '__proto__', 'toString', 'hasOwnProperty', '']) {
      const res = await addUser(admin, { name: `nv.${role.replace(/_/g, '') || 'empty'}`, role });
      expect(res.status, role).toBe(400);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toContain(`role: cần viewer, operator hoặc admin, nhận được &quot;${role}&quot;`);
    }
    for (const name of ['nv.constructor', 'nv.proto', 'nv.toString', 'nv.hasOwnProperty', 'nv.empty']) expect((await userByName(tc.collector.state, name)), name).toBeUndefined();
    expect((await listUsers(tc.collector.state)).length).toBe(before);

    // The same form with a real role works, so the refusals above are the role's and nothing else's.
    const ok = await addUser(admin, { name: 'nv.operator', role: 'operator', agency: 'so-y-te' });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('id="new-password"');
    expect((await userByName(tc.collector.state, 'nv.operator'))).toMatchObject({ role: 'operator', agency: 'so-y-te' });
  });

  it('says the same in English when the user chose English', async () => {
    const res = await addUser(admin, { name: 'nv.en', role: 'constructor' }, '; canhgac_lang=en');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('role: expected viewer, operator or admin, got &quot;constructor&quot;');
    expect((await userByName(tc.collector.state, 'nv.en'))).toBeUndefined();
  });

  it('an agency-scoped admin may not post the users form at all', async () => {
    const scoped = await login('qt.soyte', 'qt-soyte-password-1');
    const res = await addUser(scoped, { name: 'nv.scoped', role: 'admin' });
    expect(res.status).toBe(403);
    expect((await userByName(tc.collector.state, 'nv.scoped'))).toBeUndefined();
  });

  it('a form the schema refuses gets the console page, in Vietnamese, not JSON', async () => {
    const long = await addUser(admin, { name: 'x'.repeat(300), role: 'viewer' });
    expect(long.status).toBe(400);
    expect(long.headers.get('content-type')).toContain('text/html');
    const page = await long.text();
    expect(page).toContain('<h1>Yêu cầu không hợp lệ</h1>');
    expect(page).toContain('name: dài quá 256 ký tự');

    const extra = await addUser(admin, { name: 'nv.extra', role: 'viewer', isAdmin: '1' });
    expect(extra.status).toBe(400);
    expect(await extra.text()).toContain('isAdmin: biểu mẫu này không có trường này');

    // A JSON body is parsed too, and a field that is not text is refused by the same schema.
    const json = await fetch(`${tc.url}/console/users`, { method: 'POST', headers: headers(admin, 'application/json'), body: JSON.stringify({ _csrf: admin.csrf, name: 'nv.json', role: ['admin'] }) });
    expect(json.status).toBe(400);
    expect(json.headers.get('content-type')).toContain('text/html');
    expect(await json.text()).toContain('role: cần một chuỗi ký tự');
    for (const name of ['nv.extra', 'nv.json']) expect((await userByName(tc.collector.state, name))).toBeUndefined();
  });

  it('checks the session before the schema: without one, a malformed form is refused, not explained', async () => {
    const res = await fetch(`${tc.url}/console/users`, { method: 'POST', redirect: 'manual', headers: headers(), body: form({ name: 'x'.repeat(300), bogus: '1' }) });
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain('dài quá');
  });

  it('other refusals are in the page language and name their field', async () => {
    const post = (path: string, fields: Record<string, string>) =>
      fetch(`${tc.url}/console${path}`, { method: 'POST', redirect: 'manual', headers: headers(admin), body: form({ _csrf: admin.csrf, ...fields }) });
    const ttl = await post('/enroll-codes', { agency: 'so-y-te', ttl: 'soon' });
    expect(ttl.status).toBe(400);
    expect(await ttl.text()).toContain('ttl: cần một khoảng thời gian từ 1m đến 30d, nhận được &quot;soon&quot;');
    const agency = await post('/enroll-codes', { agency: 'so-khong-co', ttl: '24h' });
    expect(await agency.text()).toContain('agency: không có cơ quan &quot;so-khong-co&quot;');
    const everything = await post('/silences', { reason: 'bảo trì', endsAt: '2099-01-01T00:00' });
    expect(everything.status).toBe(400);
    expect(await everything.text()).toContain('không được tạm im lặng tất cả');
    const labels = await post('/silences', { labels: 'port', reason: 'bảo trì', endsAt: '2099-01-01T00:00' });
    expect(await labels.text()).toContain('labels: cần các cặp nhãn=giá trị');
    const month = await fetch(`${tc.url}/console/report/view?month=11-2026&format=html`, { headers: { cookie: admin.cookie } });
    expect(month.status).toBe(400);
    expect(await month.text()).toContain('month: cần dạng YYYY-MM, ví dụ 2026-11, nhận được &quot;11-2026&quot;');
  });
});
