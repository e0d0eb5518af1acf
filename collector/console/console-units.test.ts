import { describe, expect, it } from 'vitest';
import { openDb } from '../state/db.ts';
import { sqliteStateSql } from '../state/sql/connect.ts';
import { createSession, csrfTokenOf, sessionById, SESSION_IDLE_MS } from '../state/sessions.ts';
import { checkLogin, createUser, hashPassword, setPassword, verifyPassword } from '../state/users.ts';
import { html, path, raw } from './html.ts';
import { formatTime, parseLocalDateTime } from './i18n.ts';

describe('html templates', () => {
  it('escapes every interpolated value, including attribute breakers', () => {
    const evil = `"><script>alert('x')</script>&`;
    expect(html`<a title="${evil}">${evil}</a>`.value).toBe('<a title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</a>');
    expect(html`<p>${[html`<b>${'<i>'}</b>`, raw('<br>')]}</p>`.value).toBe('<p><b>&lt;i&gt;</b><br></p>');
    expect(path`/agencies/${'../x?y#z'}`).toBe('/agencies/..%2Fx%3Fy%23z');
  });
});

describe('Vietnam time', () => {
  it('formats in Asia/Ho_Chi_Minh and reads datetime-local input as UTC+7', () => {
    expect(formatTime('en', Date.parse('2026-11-27T17:30:00Z'))).toBe('28/11/2026, 00:30');
    expect(parseLocalDateTime('2026-11-28T00:30')).toBe(Date.parse('2026-11-27T17:30:00Z'));
    expect(parseLocalDateTime('2026-11-28 00:30')).toBeUndefined();
  });
});

describe('users and sessions', () => {
  it('stores scrypt hashes with a salt, checks logins, and ends sessions on a password change', async () => {
    const a = await hashPassword('một mật khẩu dài');
    const b = await hashPassword('một mật khẩu dài');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('một mật khẩu dài', a)).toBe(true);
    expect(await verifyPassword('một mật khẩu dai', a)).toBe(false);

    const db = openDb(':memory:');
    db.prepare("INSERT INTO agencies (id, name, level) VALUES ('so-y-te', 'Sở Y tế', 'department')").run();
    const state = sqliteStateSql(db);
    const u = await createUser(state, { name: 'lan', password: 'password-one', role: 'operator', agency: 'so-y-te' });
    expect(await checkLogin(state, 'lan', 'password-two')).toBeUndefined();
    expect(await checkLogin(state, 'nobody', 'password-one')).toBeUndefined();
    expect((await checkLogin(state, 'LAN', 'password-one'))?.agency).toBe('so-y-te');
    const id = await createSession(state, u.id, '127.0.0.1', 1000);
    const s = (await sessionById(state, id, 2000))!;
    expect(s.user.name).toBe('lan');
    expect(s.csrf).toBe(csrfTokenOf(id));
    expect(db.prepare('SELECT id_hash FROM user_sessions').pluck().get()).not.toBe(id);
    expect(await sessionById(state, id, 1000 + SESSION_IDLE_MS + 1)).toBeUndefined();
    await setPassword(state, 'lan', 'password-three');
    expect(await sessionById(state, id, 2000)).toBeUndefined();
    db.close();
  });
});
