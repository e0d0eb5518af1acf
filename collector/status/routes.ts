// GET /status, /status.json and /status/status.css: public, no login, served from the cache with strict
// security headers, on the collector's port or on a listener of the status page's own.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { StatusCache } from './cache.ts';
import { STATUS_CSS } from './page.ts';

const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-resource-policy', 'same-origin');
}

export default async function statusRoutes(app: FastifyInstance, opts: { cache: StatusCache }) {
  const css = STATUS_CSS.value;
  app.get('/status', async (request, reply) => {
    const r = opts.cache.rendered;
    const lang = (request.query as Record<string, unknown> | undefined)?.lang === 'en' ? 'en' : 'vi';
    secure(reply).header('cache-control', 'public, max-age=30').header('etag', `${r.etag.slice(0, -1)}-${lang}"`).header('vary', 'accept-encoding');
    if (request.headers['if-none-match'] === `${r.etag.slice(0, -1)}-${lang}"`) return reply.code(304).send();
    return reply.type('text/html; charset=utf-8').send(r.html[lang]);
  });
  app.get('/status.json', async (_request, reply) => {
    const r = opts.cache.rendered;
    return secure(reply).header('cache-control', 'public, max-age=30').header('access-control-allow-origin', '*').type('application/json; charset=utf-8').send(r.json);
  });
  app.get('/status/status.css', async (_request, reply) => secure(reply).header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(css));
}
