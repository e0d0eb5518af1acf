// Accepts the gzip bodies agents send, with the route's body limit applied before and after
// inflating, so a gzip bomb is refused without being inflated in full.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PassThrough, type Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';

const gunzip = promisify(gunzipCallback);

const httpError = (statusCode: number, code: string, message: string) => Object.assign(new Error(message), { statusCode, code });

/** The whole (compressed) body, refused with 413 as soon as it passes `limit`. */
function readAll(payload: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    payload.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        payload.destroy();
        reject(httpError(413, 'FST_ERR_CTP_BODY_TOO_LARGE', `request body is larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    payload.on('end', () => resolve(Buffer.concat(chunks, size)));
    payload.on('error', reject);
  });
}

/**
 * Agents send gzip bodies. A body is inflated in one go on the thread pool (not chunk by chunk
 * through a stream: a batch is small, and the ingest path runs this hundreds of times a second),
 * with the route's bodyLimit as the ceiling for the compressed and the inflated size alike, so a gzip
 * bomb is a 413 without ever being inflated in full. Broken gzip is a 400.
 */
export default fp(async function gzipBody(app: FastifyInstance) {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = request.headers['content-encoding'];
    if (!encoding || encoding === 'identity') return payload;
    if (encoding !== 'gzip') {
      throw httpError(415, 'unsupported_encoding', `unsupported content-encoding "${encoding}" (use gzip or none)`);
    }
    const limit = request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? 1024 * 1024;
    const compressed = await readAll(payload, limit);
    let body: Buffer;
    try {
      body = await gunzip(compressed, { maxOutputLength: limit });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw httpError(413, 'FST_ERR_CTP_BODY_TOO_LARGE', `request body is larger than ${limit} bytes once decompressed`);
      }
      throw httpError(400, 'bad_gzip', `body is not valid gzip: ${(err as Error).message}`);
    }
    delete request.headers['content-length'];
    const out = new PassThrough();
    out.end(body);
    return out;
  });
});
