// The `security` check: runs the host security checks of its platform with waivers and severity
// overrides from the config, and reports each result and a weighted score.
import { Type } from 'typebox';
import { durationIssue, joinPath, parseDuration, SEVERITIES, type ConfigIssue } from '../../../protocol/index.ts';
import { defineCheck, type CheckConfig, type CheckContext } from '../types.ts';
import { realEnv } from './env.ts';
import { DEFAULT_THRESHOLDS, type Thresholds } from './finding.ts';
import { policyIssues } from './policy.ts';
import { recordResults, runSuite } from './suite.ts';

const SeverityName = Type.Union(SEVERITIES.map((s) => Type.Literal(s)), { expected: `one of ${SEVERITIES.join(', ')}` });

const schema = Type.Object({
  disable: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { expected: 'a list of check ids' })),
  severity: Type.Optional(Type.Record(Type.String(), SeverityName, { expected: 'a mapping of check id to low, medium, high or critical' })),
  waivers: Type.Optional(
    Type.Array(
      Type.Object(
        {
          id: Type.String({ minLength: 1, expected: 'a check id' }),
          reason: Type.String({ minLength: 1, expected: 'why the failure is accepted' }),
          by: Type.String({ minLength: 1, expected: 'who accepted it' }),
          until: Type.String({ minLength: 1, expected: 'the last day of the waiver, YYYY-MM-DD' }),
        },
        { additionalProperties: false },
      ),
      { expected: 'a list of waivers with id, reason, by and until' },
    ),
  ),
  clockReference: Type.Optional(Type.String({ minLength: 1, expected: 'the URL of the collector, such as https://collector.example.vn:8443/healthz' })),
  clockReferenceCa: Type.Optional(Type.String({ minLength: 1, expected: 'a PEM file with the CA of the clock reference' })),
  maxClockOffset: Type.String({ default: '60s', expected: 'a duration such as 60s' }),
  maxSignatureAgeDays: Type.Integer({ minimum: 1, default: DEFAULT_THRESHOLDS.maxSignatureAgeDays }),
  maxUpdateAgeDays: Type.Integer({ minimum: 1, default: DEFAULT_THRESHOLDS.maxUpdateAgeDays }),
  maxLocalAdmins: Type.Integer({ minimum: 1, default: DEFAULT_THRESHOLDS.maxLocalAdmins }),
  minPasswordLength: Type.Integer({ minimum: 1, maximum: 128, default: DEFAULT_THRESHOLDS.minPasswordLength }),
  maxLockoutThreshold: Type.Integer({ minimum: 1, maximum: 999, default: DEFAULT_THRESHOLDS.maxLockoutThreshold }),
});

export type SecurityConfig = CheckConfig<typeof schema>;

export const securityCheck = defineCheck({
  type: 'security',
  summary: 'Host security posture (firewall, updates, SSH, time, EOL, risky ports; Windows Defender, SMBv1, RDP…) and a weighted score',
  schema,
  defaults: { interval: '6h', timeout: '5m' },
  measurements: ['security', 'security_score'],
  validate: validateSecurity,
  run: runSecurity,
});

function validateSecurity(config: SecurityConfig, path: string): ConfigIssue[] {
  const issues = policyIssues(config, path);
  const offset = durationIssue(config.maxClockOffset, joinPath(path, 'maxClockOffset'), { minMs: 1000 });
  if (offset) issues.push(offset);
  if (config.clockReference !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(config.clockReference);
    } catch {
      /* reported below */
    }
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) {
      issues.push({ path: joinPath(path, 'clockReference'), message: `expected an http(s) URL such as https://collector.example.vn:8443/healthz, got ${JSON.stringify(config.clockReference)}` });
    }
  }
  return issues;
}

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
