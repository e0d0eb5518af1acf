// The `security` check: runs the host security checks of its platform with waivers and severity
// overrides from the config, and reports each result and a weighted score.
import { parseDuration } from '../../../protocol/index.ts';
import { defineCheck, type CheckContext } from '../types.ts';
import { realEnv } from './env.ts';
import { DEFAULT_THRESHOLDS, type Thresholds } from './finding.ts';
import { securitySpec, type SecurityConfig } from './spec.ts';
import { recordResults, runSuite } from './suite.ts';

export type { SecurityConfig } from './spec.ts';

export const securityCheck = defineCheck({ ...securitySpec, run: runSecurity });

export function thresholdsOf(config: SecurityConfig): Thresholds {
  return {
    maxClockOffsetMs: parseDuration(config.maxClockOffset) ?? DEFAULT_THRESHOLDS.maxClockOffsetMs,
    maxSignatureAgeDays: config.maxSignatureAgeDays,
    maxUpdateAgeDays: config.maxUpdateAgeDays,
    maxLocalAdmins: config.maxLocalAdmins,
    minPasswordLength: config.minPasswordLength,
    maxLockoutThreshold: config.maxLockoutThreshold,
    clockReference: config.clockReference ? { url: config.clockReference, ca: config.clockReferenceCa } : undefined,
  };
}

async function runSecurity(config: SecurityConfig, ctx: CheckContext): Promise<void> {
  const env = realEnv({ signal: ctx.signal });
  ctx.progress?.('security: running host checks');
  const results = await runSuite(env, config, thresholdsOf(config), config.timeoutMs);
  for (const r of results) if (r.status === 'error') ctx.log.warn('security check could not run', { check_id: r.id, reason: r.detail });
  recordResults(ctx.recorder, results);
}
