// The tcp check: a timed connect to each host:port target; up and connect time.
import { defineCheck, type CheckContext } from '../types.ts';
import { DEFAULT_CONCURRENCY, forEachLimited, parseHostPort } from '../common/probe.ts';
import { connectProbe } from '../common/connect.ts';
import { tcpSpec, type TcpConfig } from './spec.ts';

export const tcpCheck = defineCheck({ ...tcpSpec, run: runTcp });

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
