// Signing in to a real collector's console as a browser would (form post from the same origin), and
// posting its forms with the session's CSRF token: for the tests that drive the console over HTTP.
import { expect } from 'vitest';

export interface ConsoleSession {
  cookie: string;
  csrf: string;
}

const FORM = 'application/x-www-form-urlencoded';

/** Logs in (expects the 303 of a good login) and reads the CSRF token from `page`. */
export async function consoleLogin(baseUrl: string, username: string, password: string, page = '/console/'): Promise<ConsoleSession> {
  const res = await fetch(`${baseUrl}/console/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': FORM, origin: baseUrl }, body: new URLSearchParams({ username, password }).toString() });
  expect(res.status, `login of ${username}`).toBe(303);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const html = await (await fetch(`${baseUrl}${page}`, { headers: { cookie } })).text();
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(html)?.[1];
  expect(csrf, `no CSRF token on ${page}: ${html.slice(0, 300)}`).toBeDefined();
  return { cookie, csrf: csrf! };
}

/** Posts a console form with the session and its CSRF token; `fields` may repeat a name (checkboxes). */
export function postConsoleForm(baseUrl: string, s: ConsoleSession, path: string, fields: Record<string, string> | URLSearchParams = {}): Promise<Response> {
  const body = new URLSearchParams(fields);
  body.set('_csrf', s.csrf);
  return fetch(`${baseUrl}/console${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': FORM, origin: baseUrl, cookie: s.cookie }, body: body.toString() });
}
