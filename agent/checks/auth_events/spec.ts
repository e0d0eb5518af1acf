// The auth_events check's light half: config schema (log sources, thresholds, allow list), defaults,
// measurements and validation, loaded to check a config without loading the log readers.
import { isIP } from 'node:net';
import { Type } from 'typebox';
import { durationIssue, joinPath, type ConfigIssue } from '../../../protocol/index.ts';
import { defineSpec } from '../lazy.ts';
import type { CheckConfig } from '../types.ts';
import { DEFAULT_ADMIN_GROUPS } from './events.ts';

const Within = (def: string) => Type.String({ default: def, expected: 'a duration such as 10m' });

const schema = Type.Object({
  logFiles: Type.Optional(Type.Array(Type.String({ minLength: 1, expected: 'a path such as /var/log/auth.log' }), { minItems: 1, maxItems: 20, expected: 'a list of log files such as /var/log/auth.log' })),
  journal: Type.Optional(Type.Boolean({ expected: 'true or false' })),
  journalDirectory: Type.Optional(Type.String({ minLength: 1, expected: 'a directory of journal files' })),
  stateFile: Type.Optional(Type.String({ minLength: 1, expected: 'a path for the cursor and detection state' })),
  allowSources: Type.Array(Type.String({ minLength: 1, expected: 'an address or CIDR such as 10.0.0.5 or 10.0.0.0/24' }), { maxItems: 1000, default: [] }),
  bruteForce: Type.Object({ failures: Type.Integer({ minimum: 2, maximum: 100_000, default: 10 }), within: Within('10m') }, { additionalProperties: false, default: {} }),
  spraying: Type.Object({ users: Type.Integer({ minimum: 2, maximum: 1000, default: 5 }), within: Within('10m') }, { additionalProperties: false, default: {} }),
  successAfterFailures: Type.Object({ failures: Type.Integer({ minimum: 1, maximum: 100_000, default: 5 }), within: Within('30m') }, { additionalProperties: false, default: {} }),
  adminGroups: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50, default: DEFAULT_ADMIN_GROUPS, expected: 'a list of group names such as sudo, wheel' }),
  backfill: Type.String({ default: '1h', expected: 'a duration such as 1h' }),
  maxSources: Type.Integer({ minimum: 100, maximum: 1_000_000, default: 10_000 }),
  maxLinesPerRun: Type.Integer({ minimum: 1000, maximum: 100_000_000, default: 2_000_000 }),
  maxLineLength: Type.Integer({ minimum: 256, maximum: 65_536, default: 8192 }),
});

export type AuthConfig = CheckConfig<typeof schema>;

export const authEventsSpec = defineSpec({
  type: 'auth_events',
  summary: 'Intrusion signals from the authentication logs: brute force, password spraying, logins after failures, new administrators, cleared logs',
  schema,
  defaults: { interval: '1m', timeout: '50s' },
  measurements: ['auth_summary', 'auth_finding'],
  validate: validateAuth,
});

/** An address or CIDR as BlockList takes it; undefined when it is not one. */
export function allowEntry(s: string): { address: string; prefix?: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address, bits, extra] = s.split('/');
  const v = isIP(address);
  if (!v || extra !== undefined) return undefined;
  const family = v === 4 ? 'ipv4' : 'ipv6';
  if (bits === undefined) return { address, family };
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > (v === 4 ? 32 : 128)) return undefined;
  return { address, prefix: Number(bits), family };
}

function validateAuth(config: AuthConfig, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  config.allowSources.forEach((s, i) => {
    if (!allowEntry(s)) issues.push({ path: joinPath(joinPath(path, 'allowSources'), i), message: `expected an address or CIDR such as 10.0.0.5 or 10.0.0.0/24, got ${JSON.stringify(s)}` });
  });
  for (const key of ['bruteForce', 'spraying', 'successAfterFailures'] as const) {
    const issue = durationIssue(config[key].within, joinPath(joinPath(path, key), 'within'), { minMs: 1000, maxMs: 7 * 86_400_000 });
    if (issue) issues.push(issue);
  }
  const backfill = durationIssue(config.backfill, joinPath(path, 'backfill'), { minMs: 0, maxMs: 366 * 86_400_000 });
  if (backfill) issues.push(backfill);
  if (config.intervalMs < 5000) issues.push({ path: joinPath(path, 'interval'), message: `must be at least 5s for auth_events, got ${JSON.stringify(config.interval)}` });
  if (config.journal === false && config.journalDirectory) issues.push({ path: joinPath(path, 'journalDirectory'), message: 'is set but journal is false; remove one of them' });
  return issues;
}
