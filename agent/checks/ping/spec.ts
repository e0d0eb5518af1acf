// The ping check's light half: config schema, defaults, measurements and validation, loaded to check
// a config without loading the code that spawns fping or ping.
import { Type } from 'typebox';
import { durationIssue, joinPath, parseDuration, type ConfigIssue } from '../../../protocol/index.ts';
import { isHostOrIp } from '../common/probe.ts';
import { defineSpec } from '../lazy.ts';
import type { CheckConfig } from '../types.ts';

const schema = Type.Object({
  targets: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, expected: 'a list of host names or IP addresses' }),
  count: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
  packetInterval: Type.String({ default: '200ms', expected: 'a duration such as 200ms or 1s' }),
});

export type PingConfig = CheckConfig<typeof schema>;

/** iputils refuses shorter intervals to unprivileged users; the agent should not need root for ping. */
export const MIN_PACKET_INTERVAL_MS = 200;

export const pingSpec = defineSpec({
  type: 'ping',
  summary: 'ICMP echo bursts (one fping for all targets, or the system ping): loss, round trip and jitter per target',
  schema,
  defaults: { interval: '60s', timeout: '2s' },
  measurements: ['ping'],
  validate: validatePing,
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
