// The ping check: ICMP echo bursts to each target with the system ping; loss, round trip and jitter.
import { parseDuration } from '../../../protocol/index.ts';
import { defineCheck, type CheckContext } from '../types.ts';
import { DEFAULT_CONCURRENCY, forEachLimited } from '../common/probe.ts';
import { missingPingMessage, pingBurst } from '../common/ping.ts';
import { summarize } from '../common/ping-parse.ts';
import { MIN_PACKET_INTERVAL_MS, pingSpec, type PingConfig } from './spec.ts';

export const pingCheck = defineCheck({ ...pingSpec, run: runPing });

async function runPing(config: PingConfig, ctx: CheckContext): Promise<void> {
  const packetIntervalMs = parseDuration(config.packetInterval) ?? MIN_PACKET_INTERVAL_MS;
  let missingBinaryLogged = false;
  let aborted = 0;
  const notStarted = await forEachLimited(config.targets, DEFAULT_CONCURRENCY, ctx.signal, async (target) => {
    const outcome = await pingBurst(target, config.count, packetIntervalMs, config.timeoutMs, ctx.signal);
    if (outcome.kind === 'aborted') {
      aborted++;
      return;
    }
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
  });
  if (notStarted + aborted > 0) ctx.log.warn('ping run stopped before every target was probed', { unprobed: notStarted + aborted });
}
