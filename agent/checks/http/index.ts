// The http check: one request to each URL; up, status code (against expectStatus), response time
// and size.
import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { Type } from 'typebox';
import { joinPath, type ConfigIssue } from '../../../protocol/index.ts';
import { defineCheck, type CheckConfig, type CheckContext } from '../types.ts';
import { DEFAULT_CONCURRENCY, forEachLimited } from '../common/probe.ts';
import { fetchProbe, urlTargetProblem } from '../common/fetch.ts';

const StatusCode = Type.Integer({ minimum: 100, maximum: 599 });

const schema = Type.Object({
  targets: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, expected: 'a list of http:// or https:// URLs' }),
  method: Type.Union([Type.Literal('GET'), Type.Literal('HEAD')], { default: 'GET' }),
  expectStatus: Type.Optional(
    Type.Union([StatusCode, Type.Array(StatusCode, { minItems: 1 })], { expected: 'a status code from 100 to 599 or a list of them' }),
  ),
  ca: Type.Optional(Type.String({ minLength: 1, expected: 'a path to a PEM file with extra trusted CA certificates' })),
  followRedirects: Type.Boolean({ default: false }),
});

type HttpConfig = CheckConfig<typeof schema>;

export const httpCheck = defineCheck({
  type: 'http',
  summary: 'HTTP(S) request to URLs: up, status code, response time and size',
  schema,
  defaults: { interval: '60s', timeout: '10s' },
  measurements: ['http'],
  validate: validateHttp,
  run: runHttp,
});

function validateHttp(config: HttpConfig, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  config.targets.forEach((t, i) => {
    const message = urlTargetProblem(t);
    if (message) issues.push({ path: joinPath(joinPath(path, 'targets'), i), message });
  });
  return issues;
}

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
