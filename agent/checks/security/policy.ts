// The security check's policy: which checks apply on this platform, severity overrides and waivers.
import { joinPath, isSecurityCheckId, SECURITY_CHECKS, type CheckStatus, type ConfigIssue, type SecurityCheckSpec, type Severity } from '../../../protocol/index.ts';
import type { Outcome } from './finding.ts';

export interface Waiver {
  id: string;
  reason: string;
  by: string;
  /** Last day the waiver holds, YYYY-MM-DD (Asia/Ho_Chi_Minh). */
  until: string;
}

export interface Policy {
  disable?: string[];
  severity?: Record<string, Severity>;
  waivers?: Waiver[];
}

const DAY_MS = 86_400_000;

/**
 * A waiver holds through the whole of its `until` day in Vietnam (UTC+7, no daylight saving), so
 * "until 2026-12-31" still covers a run on the evening of the 31st and ends at midnight.
 */
export function waiverEndsAt(until: string): number {
  return Date.parse(`${until}T00:00:00+07:00`) + DAY_MS;
}

export function isValidDay(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Checks that apply on `platform` (Node's process.platform), minus the disabled ones. */
export function selectChecks(platform: NodeJS.Platform, policy: Policy): SecurityCheckSpec[] {
  const off = new Set(policy.disable ?? []);
  const mine = platform === 'win32' ? 'windows' : platform === 'linux' ? 'linux' : undefined;
  return SECURITY_CHECKS.filter((c) => (c.platform === 'any' || c.platform === mine) && !off.has(c.id));
}

export function severityOf(spec: SecurityCheckSpec, policy: Policy): Severity {
  return policy.severity?.[spec.id] ?? spec.severity;
}

/** The unexpired waiver for a check, if any (the one that lasts longest when there are several). */
export function activeWaiver(id: string, policy: Policy, now: Date): Waiver | undefined {
  return (policy.waivers ?? [])
    .filter((w) => w.id === id && waiverEndsAt(w.until) > now.getTime())
    .sort((a, b) => b.until.localeCompare(a.until))[0];
}

/** Only a failure can be waived: a pass stays a pass, and an error is not known to be a failure. */
export function applyWaiver(outcome: Outcome, waiver: Waiver | undefined): CheckStatus {
  return outcome === 'fail' && waiver ? 'waived' : outcome;
}

export function policyIssues(policy: Policy, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const known = `known ids: ${SECURITY_CHECKS.map((c) => c.id).join(', ')}`;
  (policy.disable ?? []).forEach((id, i) => {
    if (!isSecurityCheckId(id)) issues.push({ path: joinPath(joinPath(path, 'disable'), i), message: `unknown check id ${JSON.stringify(id)} (${known})` });
  });
  for (const id of Object.keys(policy.severity ?? {})) {
    if (!isSecurityCheckId(id)) issues.push({ path: joinPath(joinPath(path, 'severity'), id), message: `unknown check id ${JSON.stringify(id)} (${known})` });
  }
  (policy.waivers ?? []).forEach((w, i) => {
    const at = joinPath(joinPath(path, 'waivers'), i);
    if (!isSecurityCheckId(w.id)) issues.push({ path: joinPath(at, 'id'), message: `unknown check id ${JSON.stringify(w.id)} (${known})` });
    if (!isValidDay(w.until)) issues.push({ path: joinPath(at, 'until'), message: `expected a date YYYY-MM-DD (last day of the waiver), got ${JSON.stringify(w.until)}` });
  });
  return issues;
}
