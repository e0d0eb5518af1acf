// The console's cookies and the request checks behind them: session id, language, constant-time
// token comparison and the same-origin test for browser POSTs.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** `__Host-` pins the cookie to this origin and path / (browsers accept it only with Secure). */
export const SESSION_COOKIE_HTTPS = '__Host-canhgac_session';
export const SESSION_COOKIE_HTTP = 'canhgac_session';
export const LANG_COOKIE = 'canhgac_lang';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header || header.length > 8192) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    try {
      if (!(k in out)) out[k] = decodeURIComponent(v);
    } catch {
      // a malformed cookie is ignored, not an error page
    }
  }
  return out;
}

export function isHttps(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}

export function sessionIdOf(request: FastifyRequest): string | undefined {
  const cookies = parseCookies(request.headers.cookie);
  return isHttps(request) ? cookies[SESSION_COOKIE_HTTPS] : cookies[SESSION_COOKIE_HTTP];
}

function cookie(name: string, value: string, opts: { secure: boolean; maxAgeS?: number; httpOnly?: boolean }): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'SameSite=Strict'];
  if (opts.httpOnly !== false) parts.push('HttpOnly');
  if (opts.secure) parts.push('Secure');
  if (opts.maxAgeS !== undefined) parts.push(`Max-Age=${opts.maxAgeS}`);
  return parts.join('; ');
}

function addCookie(reply: FastifyReply, c: string): void {
  const prev = reply.getHeader('set-cookie');
  reply.header('set-cookie', prev === undefined ? [c] : [...(Array.isArray(prev) ? prev : [String(prev)]), c]);
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, id: string, maxAgeS: number): void {
  const secure = isHttps(request);
  addCookie(reply, cookie(secure ? SESSION_COOKIE_HTTPS : SESSION_COOKIE_HTTP, id, { secure, maxAgeS }));
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  const secure = isHttps(request);
  addCookie(reply, cookie(secure ? SESSION_COOKIE_HTTPS : SESSION_COOKIE_HTTP, '', { secure, maxAgeS: 0 }));
}

export function setLangCookie(request: FastifyRequest, reply: FastifyReply, lang: string): void {
  addCookie(reply, cookie(LANG_COOKIE, lang, { secure: isHttps(request), maxAgeS: 365 * 86_400 }));
}

export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A browser POST must come from this origin (a second line behind SameSite and the CSRF token). */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (!origin || origin === 'null') return origin === undefined;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
