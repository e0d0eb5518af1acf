import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { Type } from 'typebox';
import { joinPath, resultOfError, VERSION, type ConfigIssue, type FieldsOf, type Result } from '../../../protocol/index.ts';
import { defineCheck, type CheckConfig, type CheckContext } from '../types.ts';
import { DEFAULT_CONCURRENCY, elapsedMs, forEachLimited, isHostOrIp, specialUseLookup } from '../probe.ts';

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

/** Enough for http→https and a trailing-slash hop; more is a loop or a misconfigured portal. */
const MAX_REDIRECTS = 5;

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
    const problem = urlProblem(t);
    if (!problem) return;
    // Never echo a URL that carries a password: config errors end up in logs and terminals.
    const got = problem.startsWith(CREDENTIALS) ? '' : `, got ${JSON.stringify(t)}`;
    issues.push({ path: joinPath(joinPath(path, 'targets'), i), message: `${problem}${got}` });
  });
  return issues;
}

const CREDENTIALS = 'expected a URL without a user name or password (they would end up in tags and logs)';

function urlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'expected a URL such as https://example.vn/';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'expected a URL starting with http:// or https://';
  if (url.username || url.password) return CREDENTIALS;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // URL() has already punycoded IDN names, so the plain host-name rule applies.
  if (!isHostOrIp(host)) return 'expected a URL with a host name or an IP address';
  return undefined;
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

export interface FetchOptions {
  method: 'GET' | 'HEAD';
  ca?: string[];
  followRedirects: boolean;
  timeoutMs: number;
  signal: AbortSignal;
}

export interface FetchOutcome {
  result: Result;
  fields: FieldsOf<'http'>;
}

/** One request (and its redirects) within `timeoutMs`; undefined when `signal` aborted it. */
export async function fetchProbe(url: string, opts: FetchOptions): Promise<FetchOutcome | undefined> {
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const both = AbortSignal.any([opts.signal, deadline]);
  const started = performance.now();
  let current = new URL(url);
  try {
    for (let hop = 0; ; hop++) {
      const res = await requestOnce(current, opts, both);
      const location = res.location;
      if (opts.followRedirects && location && res.status >= 300 && res.status < 400 && hop < MAX_REDIRECTS) {
        current = new URL(location, current);
        if (current.protocol !== 'http:' && current.protocol !== 'https:') throw Object.assign(new Error('redirect to a non-HTTP URL'), { code: 'ERR_BAD_REDIRECT' });
        continue;
      }
      return { result: 'ok', fields: { up: 1, status_code: res.status, response_ms: elapsedMs(started), content_bytes: res.bytes } };
    }
  } catch (err) {
    if (opts.signal.aborted) return undefined;
    // Cut off in the middle of the body the error is a reset ("aborted"), but the cause is our deadline.
    return { result: deadline.aborted ? 'timeout' : resultOfError(err), fields: { up: 0 } };
  }
}

interface Response {
  status: number;
  bytes: number;
  location?: string;
}

function requestOnce(url: URL, opts: FetchOptions, signal: AbortSignal): Promise<Response> {
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method: opts.method,
        signal,
        // A fresh connection per probe: a pooled socket would hide the connect and TLS cost.
        agent: false,
        lookup: specialUseLookup,
        headers: { 'user-agent': `canhgac-agent/${VERSION}`, accept: '*/*', connection: 'close' },
        ...(url.protocol === 'https:' ? { ca: opts.ca, rejectUnauthorized: true } : {}),
      },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, location: res.headers.location }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
