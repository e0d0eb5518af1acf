// GET /status, /status.json and /status/status.css: public, no login, served from the cache with strict
// security headers, on the collector's port or on a listener of the status page's own.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Body, StatusCache } from './cache.ts';
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

/** The gzip form when the client takes it (the body was compressed once, at the cache's refresh). */
function sendBody(request: FastifyRequest, reply: FastifyReply, b: Body): FastifyReply {
  reply.header('vary', 'accept-encoding');
  const accepts = request.headers['accept-encoding'];
  if (typeof accepts === 'string' && /\bgzip\b/.test(accepts)) return reply.header('content-encoding', 'gzip').send(b.gzip);
  return reply.send(b.plain);
}

export default async function statusRoutes(app: FastifyInstance, opts: { cache: StatusCache }) {
  const css = STATUS_CSS.value;
  app.get('/status', async (request, reply) => {
    const r = opts.cache.rendered;
    const lang = (request.query as Record<string, unknown> | undefined)?.lang === 'en' ? 'en' : 'vi';
    const etag = `${r.etag.slice(0, -1)}-${lang}"`;
    secure(reply).header('cache-control', 'public, max-age=30').header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return sendBody(request, reply.type('text/html; charset=utf-8'), r.html[lang]);
  });
  app.get('/status.json', async (request, reply) => {
    const r = opts.cache.rendered;
    return sendBody(request, secure(reply).header('cache-control', 'public, max-age=30').header('access-control-allow-origin', '*').type('application/json; charset=utf-8'), r.json);
  });
  app.get('/status/status.css', async (_request, reply) => secure(reply).header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(css));
}
