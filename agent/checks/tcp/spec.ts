// The tcp check's light half: config schema, defaults, measurements and validation, loaded to check a
// config without loading the code that connects.
import { Type } from 'typebox';
import type { ConfigIssue } from '../../../protocol/index.ts';
import { hostPortTargetIssues } from '../common/probe.ts';
import { defineSpec } from '../lazy.ts';
import type { CheckConfig } from '../types.ts';

const schema = Type.Object({
  targets: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, expected: 'a list of "host:port" targets' }),
});

export type TcpConfig = CheckConfig<typeof schema>;

export const tcpSpec = defineSpec({
  type: 'tcp',
  summary: 'TCP connect to host:port targets: up and connect time',
  schema,
  defaults: { interval: '60s', timeout: '5s' },
  measurements: ['tcp'],
  validate: validateTcp,
});

function validateTcp(config: TcpConfig, path: string): ConfigIssue[] {
  return hostPortTargetIssues(config.targets, path);
}
