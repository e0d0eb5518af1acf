// The http check's light half: config schema, defaults, measurements and validation, loaded to check
// a config without loading the code that makes requests.
import { Type } from 'typebox';
import { joinPath, type ConfigIssue } from '../../../protocol/index.ts';
import { urlTargetProblem } from '../common/probe.ts';
import { defineSpec } from '../lazy.ts';
import type { CheckConfig } from '../types.ts';

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

export type HttpConfig = CheckConfig<typeof schema>;

export const httpSpec = defineSpec({
  type: 'http',
  summary: 'HTTP(S) request to URLs: up, status code, response time and size',
  schema,
  defaults: { interval: '60s', timeout: '10s' },
  measurements: ['http'],
  validate: validateHttp,
});

function validateHttp(config: HttpConfig, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  config.targets.forEach((t, i) => {
    const message = urlTargetProblem(t);
    if (message) issues.push({ path: joinPath(joinPath(path, 'targets'), i), message });
  });
  return issues;
}
