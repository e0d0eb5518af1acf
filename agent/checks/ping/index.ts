// The ping check: ICMP echo bursts to each target with the system ping; loss, round trip and jitter.
import { Type } from 'typebox';
import { durationIssue, joinPath, parseDuration, type ConfigIssue } from '../../../protocol/index.ts';
import { defineCheck, type CheckConfig, type CheckContext } from '../types.ts';
import { DEFAULT_CONCURRENCY, forEachLimited, isHostOrIp } from '../common/probe.ts';
import { missingPingMessage, pingBurst } from '../common/ping.ts';
import { summarize } from '../common/ping-parse.ts';

const schema = Type.Object({
  targets: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, expected: 'a list of host names or IP addresses' }),
  count: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
  packetInterval: Type.String({ default: '200ms', expected: 'a duration such as 200ms or 1s' }),
});

type PingConfig = CheckConfig<typeof schema>;

/** iputils refuses shorter intervals to unprivileged users; the agent should not need root for ping. */
const MIN_PACKET_INTERVAL_MS = 200;

export const pingCheck = defineCheck({
  type: 'ping',
  summary: 'ICMP echo bursts with the system ping: loss, round trip and jitter per target',
  schema,
  defaults: { interval: '60s', timeout: '2s' },
  measurements: ['ping'],
  validate: validatePing,
  run: runPing,
});

function validatePing(config: PingConfig, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  config.targets.forEach((t, i) => {
    if (!isHostOrIp(t)) {
      issues.push({ path: joinPath(joinPath(path, 'targets'), i), message: `expected a host name or an IP address, got ${JSON.stringify(t)}` });
    }
  });
  const piPath = joinPath(path, 'packetInterval');
  const piIssue = durationIssue(config.packetInterval, piPath, { minMs: MIN_PACKET_INTERVAL_MS, maxMs: 10_000 });
  if (piIssue) return [...issues, piIssue];
  const burstMs = (config.count - 1) * parseDuration(config.packetInterval)! + config.timeoutMs;
  if (burstMs > config.intervalMs) {
    issues.push({
      path: joinPath(path, 'count'),
      message: `a burst of ${config.count} packets every ${config.packetInterval} plus the ${config.timeout} timeout lasts longer than the interval (${config.interval})`,
    });
  }
  return issues;
}

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
