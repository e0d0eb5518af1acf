// The tcp check: a timed connect to each host:port target; up and connect time.
import { Type } from 'typebox';
import type { ConfigIssue } from '../../../protocol/index.ts';
import { defineCheck, type CheckConfig, type CheckContext } from '../types.ts';
import { DEFAULT_CONCURRENCY, forEachLimited, hostPortTargetIssues, parseHostPort } from '../common/probe.ts';
import { connectProbe } from '../common/connect.ts';

const schema = Type.Object({
  targets: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, expected: 'a list of "host:port" targets' }),
});

type TcpConfig = CheckConfig<typeof schema>;

export const tcpCheck = defineCheck({
  type: 'tcp',
  summary: 'TCP connect to host:port targets: up and connect time',
  schema,
  defaults: { interval: '60s', timeout: '5s' },
  measurements: ['tcp'],
  validate: validateTcp,
  run: runTcp,
});

function validateTcp(config: TcpConfig, path: string): ConfigIssue[] {
  const issues = hostPortTargetIssues(config.targets, path);
  return issues;
}

async function runTcp(config: TcpConfig, ctx: CheckContext): Promise<void> {
  let aborted = 0;
  const notStarted = await forEachLimited(config.targets, DEFAULT_CONCURRENCY, ctx.signal, async (text) => {
    const { host, port } = parseHostPort(text)!;
    const outcome = await connectProbe(host, port, config.timeoutMs, ctx.signal);
    if (outcome === undefined) {
      aborted++;
      return;
    }
    ctx.recorder.record(
      'tcp',
      { target: host, port: String(port), name: config.name, group: config.group, result: outcome.result },
      outcome.result === 'ok' ? { up: 1, connect_ms: outcome.connectMs } : { up: 0 },
    );
  });
  if (notStarted + aborted > 0) ctx.log.warn('tcp run stopped before every target was probed', { unprobed: notStarted + aborted });
}
