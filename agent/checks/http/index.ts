// The http check: one request to each URL; up, status code (against expectStatus), response time
// and size.
import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { defineCheck, type CheckContext } from '../types.ts';
import { DEFAULT_CONCURRENCY, forEachLimited } from '../common/probe.ts';
import { fetchProbe } from '../common/fetch.ts';
import { httpSpec, type HttpConfig } from './spec.ts';

export const httpCheck = defineCheck({ ...httpSpec, run: runHttp });

async function runHttp(config: HttpConfig, ctx: CheckContext): Promise<void> {
  let ca: string[] | undefined;
  let caError: string | undefined;
  if (config.ca) {
    try {
      // Added to, not instead of, the public roots: an agency may mix its own CA and public sites.
      ca = [...rootCertificates, await readFile(config.ca, 'utf8')];
    } catch (err) {
      caError = (err as NodeJS.ErrnoException).code ?? String(err);
      ctx.log.error('cannot read the ca file; every https target of this check is reported as error', { ca: config.ca, error: caError });
    }
  }
  const expected = config.expectStatus === undefined ? undefined : ([] as number[]).concat(config.expectStatus);
  let aborted = 0;
  const notStarted = await forEachLimited(config.targets, DEFAULT_CONCURRENCY, ctx.signal, async (url) => {
    const tags = { url, name: config.name, group: config.group };
    if (caError && url.startsWith('https:')) {
      ctx.recorder.record('http', { ...tags, result: 'error' }, { up: 0 });
      return;
    }
    const outcome = await fetchProbe(url, { method: config.method, ca, followRedirects: config.followRedirects, timeoutMs: config.timeoutMs, signal: ctx.signal });
    if (!outcome) {
      aborted++;
      return;
    }
    let { result } = outcome;
    const { fields } = outcome;
    if (result === 'ok' && !statusExpected(fields.status_code!, expected)) {
      result = 'error';
      fields.up = 0;
    }
    ctx.recorder.record('http', { ...tags, result }, fields);
  });
  if (notStarted + aborted > 0) ctx.log.warn('http run stopped before every target was probed', { unprobed: notStarted + aborted });
}

function statusExpected(code: number, expected: number[] | undefined): boolean {
  return expected ? expected.includes(code) : code >= 200 && code < 400;
}
