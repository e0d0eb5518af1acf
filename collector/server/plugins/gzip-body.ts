import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createGunzip } from 'node:zlib';

/**
 * Agents send gzip bodies. Fastify counts its bodyLimit on the stream a preParsing hook returns, so
 * the limit applies to the decompressed size too (no gzip bombs). Broken gzip is a 400.
 */
export default fp(async function gzipBody(app: FastifyInstance) {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = request.headers['content-encoding'];
    if (!encoding || encoding === 'identity') return payload;
    if (encoding !== 'gzip') {
      throw Object.assign(new Error(`unsupported content-encoding "${encoding}" (use gzip or none)`), { statusCode: 415 });
    }
    const gunzip = createGunzip();
    payload.on('error', (err) => gunzip.destroy(err));
    gunzip.on('error', (err) => {
      Object.assign(err, { statusCode: 400, message: `body is not valid gzip: ${err.message}` });
    });
    delete request.headers['content-length'];
    return payload.pipe(gunzip);
  });
});
