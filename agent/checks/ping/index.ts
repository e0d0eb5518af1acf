// The ping check: ICMP echo bursts to each target (one fping for all, or the system ping per target);
// loss, round trip and jitter.
import { parseDuration } from '../../../protocol/index.ts';
import { defineCheck, type CheckContext } from '../types.ts';
import { DEFAULT_CONCURRENCY } from '../common/probe.ts';
import { icmpBursts } from '../common/icmp-bursts.ts';
import { missingPingMessage } from '../common/ping.ts';
import { summarize } from '../common/ping-parse.ts';
import { MIN_PACKET_INTERVAL_MS, pingSpec, type PingConfig } from './spec.ts';

export const pingCheck = defineCheck({ ...pingSpec, run: runPing });

async function runPing(config: PingConfig, ctx: CheckContext): Promise<void> {
  const packetIntervalMs = parseDuration(config.packetInterval) ?? MIN_PACKET_INTERVAL_MS;
  const bursts = icmpBursts(config.targets, { count: config.count, packetIntervalMs, timeoutMs: config.timeoutMs, signal: ctx.signal, concurrency: DEFAULT_CONCURRENCY });
  let missingBinaryLogged = false;
  let unprobed = 0;
  const tools = new Set<string>();
  for (const target of config.targets) {
    const outcome = await bursts.get(target)!;
    if (outcome.kind === 'aborted') {
      unprobed++;
      continue;
    }
    if (outcome.tool) tools.add(outcome.tool);
    if (outcome.kind === 'missing' && !missingBinaryLogged) {
      missingBinaryLogged = true;
      ctx.log.error(missingPingMessage(process.platform));
    }
    if (outcome.kind === 'failed' && outcome.message) ctx.log.warn('ping failed', { target, error: outcome.message });
    const stats = outcome.stats ?? summarize(config.count, []);
    ctx.recorder.record(
      'ping',
      { target, name: config.name, group: config.group, result: outcome.result },
      { up: stats.received > 0 ? 1 : 0, ...stats },
    );
  }
  ctx.log.debug('ping bursts done', { targets: config.targets.length, tools: [...tools].join(',') });
  if (unprobed > 0) ctx.log.warn('ping run stopped before every target was probed', { unprobed });
}
