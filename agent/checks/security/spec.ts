// The security check's light half: config schema (waivers, severities, thresholds), defaults,
// measurements and validation, loaded to check a config without loading the host checks.
import { Type } from 'typebox';
import { durationIssue, joinPath, SEVERITIES, type ConfigIssue } from '../../../protocol/index.ts';
import { defineSpec } from '../lazy.ts';
import type { CheckConfig } from '../types.ts';
import { DEFAULT_THRESHOLDS } from './finding.ts';
import { policyIssues } from './policy.ts';

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

export const securitySpec = defineSpec({
  type: 'security',
  summary: 'Host security posture (firewall, updates, SSH, time, EOL, risky ports; Windows Defender, SMBv1, RDP…) and a weighted score',
  schema,
  defaults: { interval: '6h', timeout: '5m' },
  measurements: ['security', 'security_score'],
  validate: validateSecurity,
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
