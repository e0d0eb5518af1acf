// Runs the selected security checks with a time bound each, applies waivers and severities, and
// records the results and the score.
import { setMaxListeners } from 'node:events';
import { securityScore, type CheckStatus, type Score, type Severity } from '../../../protocol/index.ts';
import type { Recorder } from '../types.ts';
import { HOST_CHECKS } from './catalogue-map.ts';
import type { HostEnv } from './env.ts';
import type { Finding, Thresholds } from './finding.ts';
import { activeWaiver, applyWaiver, selectChecks, severityOf, type Policy, type Waiver } from './policy.ts';

export interface CheckResult {
  id: string;
  severity: Severity;
  status: CheckStatus;
  detail: string;
  waiver?: Waiver;
}

/** A check that throws or hangs becomes `error` with the reason; the suite always finishes. */
async function guarded(id: string, run: () => Promise<Finding>, timeoutMs: number, signal: AbortSignal): Promise<Finding> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort = () => {};
  const limit = new Promise<Finding>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'error', detail: `${id} did not finish within ${timeoutMs} ms` }), timeoutMs);
    onAbort = () => resolve({ status: 'error', detail: `${id} stopped: the run was cancelled` });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([
      run().catch((err: unknown) => ({ status: 'error' as const, detail: (err instanceof Error ? err.message : String(err)) || 'failed without a reason' })),
      limit,
    ]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

/** Runs every selected check against `env` and applies severity overrides and waivers. */
export async function runSuite(env: HostEnv, policy: Policy, limits: Thresholds, timeoutMs: number): Promise<CheckResult[]> {
  const specs = selectChecks(env.platform, policy);
  const now = env.now();
  // Each check, and each command it runs, listens on the run's signal: more than Node's default 10.
  setMaxListeners(100, env.signal);
  return Promise.all(
    specs.map(async (spec) => {
      const finding = await guarded(spec.id, () => HOST_CHECKS[spec.id as keyof typeof HOST_CHECKS](env, limits), timeoutMs, env.signal);
      const waiver = activeWaiver(spec.id, policy, now);
      const status = applyWaiver(finding.status, waiver);
      return { id: spec.id, severity: severityOf(spec, policy), status, detail: finding.detail || '(no detail)', waiver: status === 'waived' ? waiver : undefined };
    }),
  );
}

/** One `security` sample per result and one `security_score`; returns the score. */
export function recordResults(recorder: Recorder, results: readonly CheckResult[], at: Date = new Date()): Score {
  for (const r of results) {
    recorder.record(
      'security',
      { check_id: r.id, severity: r.severity, status: r.status },
      {
        pass: r.status === 'pass' ? 1 : 0,
        detail: r.detail.slice(0, 1000),
        waiver_by: r.waiver?.by,
        waiver_reason: r.waiver?.reason,
        waiver_until: r.waiver?.until,
      },
      at,
    );
  }
  const score = securityScore(results);
  recorder.record(
    'security_score',
    {},
    { score_percent: score.scorePercent, passed: score.passed, failed: score.failed, errors: score.errors, waived: score.waived, not_applicable: score.notApplicable },
    at,
  );
  return score;
}
