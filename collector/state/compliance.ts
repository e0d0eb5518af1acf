// The compliance store: the latest security result per agent and check, fed by ingest, and the
// per-agency report the API and the console read from it.
import { securityCheckSpec, SEVERITY_WEIGHTS, type ComplianceAgent, type ComplianceReport, type WireSample } from '../../protocol/index.ts';
import type { AgencyRow } from './agencies.ts';
import { sql } from 'kysely';
import type { StateSql } from './sql/connect.ts';
import { textOrder } from './sql/query.ts';

/**
 * The compliance view: the latest `security` result of each agent per check and its latest
 * `security_score`, kept from the ingest stream. Only the newest measurement wins (a replayed
 * outbox never overwrites a fresher result); a score removes the results its run did not report
 * (a check since disabled, or of another platform), so the view is always one run per agent.
 */
export async function recordSecuritySamples(state: StateSql, agency: string, agent: string, samples: readonly WireSample[], now: number): Promise<void> {
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  // Taken from the batch before the first await (the batch is let go once the observers return).
  const results = samples
    .filter((s) => s.measurement === 'security')
    .map((s) => ({
      check_id: s.tags.check_id,
      severity: s.tags.severity,
      status: s.tags.status ?? (s.fields.pass === 1 ? 'pass' : 'fail'),
      detail: str(s.fields.detail),
      waiver_by: str(s.fields.waiver_by),
      waiver_reason: str(s.fields.waiver_reason),
      waiver_until: str(s.fields.waiver_until),
      measured_at: Date.parse(s.time),
    }));
  const scores = samples
    .filter((s) => s.measurement === 'security_score')
    .map(({ fields: f, time }) => ({
      at: Date.parse(time),
      score: num(f.score_percent),
      passed: num(f.passed),
      failed: num(f.failed),
      errors: num(f.errors),
      waived: num(f.waived),
      na: num(f.not_applicable),
    }));
  if (results.length === 0 && scores.length === 0) return;
  await state.db.transaction().execute(async (trx) => {
    for (const r of results) {
      await sql`INSERT INTO security_results (agent, agency, check_id, severity, status, detail, waiver_by, waiver_reason, waiver_until, measured_at, received_at)
        VALUES (${agent}, ${agency}, ${r.check_id}, ${r.severity}, ${r.status}, ${r.detail}, ${r.waiver_by}, ${r.waiver_reason}, ${r.waiver_until}, ${r.measured_at}, ${now})
        ON CONFLICT (agent, check_id) DO UPDATE SET agency = excluded.agency, severity = excluded.severity, status = excluded.status,
          detail = excluded.detail, waiver_by = excluded.waiver_by, waiver_reason = excluded.waiver_reason, waiver_until = excluded.waiver_until,
          measured_at = excluded.measured_at, received_at = excluded.received_at
        WHERE excluded.measured_at >= security_results.measured_at`.execute(trx);
    }
    for (const c of scores) {
      // RETURNING says whether this score was taken (an older one is not, and prunes nothing).
      const taken = await sql`INSERT INTO security_scores (agent, agency, score_percent, passed, failed, errors, waived, not_applicable, measured_at, received_at)
        VALUES (${agent}, ${agency}, ${c.score}, ${c.passed}, ${c.failed}, ${c.errors}, ${c.waived}, ${c.na}, ${c.at}, ${now})
        ON CONFLICT (agent) DO UPDATE SET agency = excluded.agency, score_percent = excluded.score_percent, passed = excluded.passed,
          failed = excluded.failed, errors = excluded.errors, waived = excluded.waived, not_applicable = excluded.not_applicable,
          measured_at = excluded.measured_at, received_at = excluded.received_at
        WHERE excluded.measured_at >= security_scores.measured_at
        RETURNING agent`.execute(trx);
      if (taken.rows.length > 0) await sql`DELETE FROM security_results WHERE agent = ${agent} AND measured_at < ${c.at}`.execute(trx);
    }
  });
}

interface ResultRow {
  agent: string;
  check_id: string;
  severity: string;
  status: string;
  detail: string | null;
  waiver_by: string | null;
  waiver_reason: string | null;
  waiver_until: string | null;
  measured_at: number;
}

interface AgentRow {
  id: string;
  agency: string;
  hostname: string;
  score_percent: number | null;
  passed: number | null;
  failed: number | null;
  errors: number | null;
  waived: number | null;
  not_applicable: number | null;
  measured_at: number | null;
}

// The order localeCompare gives, with one collator instead of one per comparison.
const collate = new Intl.Collator().compare;

const SEVERITY_ORDER: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };

function texts(id: string) {
  const spec = securityCheckSpec(id);
  // A check id the collector does not know (a newer agent): show the id rather than nothing.
  return { title: spec?.title ?? { vi: id, en: id }, remediation: spec?.remediation ?? { vi: '', en: '' } };
}

/** Every active agency in scope with its reporting agents: score, failing checks (worst first), waivers. */
export async function complianceReport(state: StateSql, activeAgencies: readonly AgencyRow[], opts: { agency?: string; now?: number } = {}): Promise<ComplianceReport> {
  const agencies = activeAgencies.filter((a) => !opts.agency || a.id === opts.agency);
  const inAgency = opts.agency ? sql`AND a.agency = ${opts.agency}` : sql``;
  const agents = (
    await sql<AgentRow>`SELECT a.id, a.agency, a.hostname, s.score_percent, s.passed, s.failed, s.errors, s.waived, s.not_applicable, s.measured_at
      FROM agents a LEFT JOIN security_scores s ON s.agent = a.id
      WHERE a.revoked_at IS NULL ${inAgency}
        AND (s.agent IS NOT NULL OR EXISTS (SELECT 1 FROM security_results r WHERE r.agent = a.id))
      ORDER BY ${textOrder(state.driver, 'a.hostname')}`.execute(state.db)
  ).rows;
  const resultsIn = opts.agency ? sql`WHERE agency = ${opts.agency}` : sql``;
  const results = (
    await sql<ResultRow>`SELECT agent, check_id, severity, status, detail, waiver_by, waiver_reason, waiver_until, measured_at FROM security_results ${resultsIn}`.execute(state.db)
  ).rows;
  // Linear: one list per agent, appended to (copying it per row made 40,000 rows take seconds).
  const byAgent = new Map<string, ResultRow[]>();
  for (const r of results) {
    const list = byAgent.get(r.agent);
    if (list) list.push(r);
    else byAgent.set(r.agent, [r]);
  }
  const agentsByAgency = new Map<string, AgentRow[]>();
  for (const a of agents) {
    const list = agentsByAgency.get(a.agency);
    if (list) list.push(a);
    else agentsByAgency.set(a.agency, [a]);
  }

  const agentView = (a: AgentRow): ComplianceAgent => {
    const rows = (byAgent.get(a.id) ?? []).sort((x, y) => (SEVERITY_ORDER[x.severity] ?? 9) - (SEVERITY_ORDER[y.severity] ?? 9) || collate(x.check_id, y.check_id));
    return {
      id: a.id,
      hostname: a.hostname,
      scorePercent: a.score_percent,
      passed: a.passed ?? 0,
      failed: a.failed ?? 0,
      errors: a.errors ?? 0,
      waived: a.waived ?? 0,
      notApplicable: a.not_applicable ?? 0,
      measuredAt: a.measured_at === null ? null : new Date(a.measured_at).toISOString(),
      failing: rows
        .filter((r) => r.status === 'fail' || r.status === 'error')
        .map((r) => ({ checkId: r.check_id, severity: r.severity, status: r.status, detail: r.detail, ...texts(r.check_id), measuredAt: new Date(r.measured_at).toISOString() })),
      waivers: rows
        .filter((r) => r.status === 'waived')
        .map((r) => ({ checkId: r.check_id, severity: r.severity, by: r.waiver_by, reason: r.waiver_reason, until: r.waiver_until, detail: r.detail, title: texts(r.check_id).title })),
    };
  };

  return {
    generatedAt: new Date(opts.now ?? Date.now()).toISOString(),
    weights: { ...SEVERITY_WEIGHTS },
    agencies: agencies.map((ag) => {
      const list = (agentsByAgency.get(ag.id) ?? []).map(agentView);
      const scored = list.filter((a) => a.scorePercent !== null).map((a) => a.scorePercent as number);
      const mean = scored.length ? Math.round((scored.reduce((x, y) => x + y, 0) / scored.length) * 100) / 100 : null;
      return { id: ag.id, name: ag.name, scorePercent: mean, agents: list };
    }),
  };
}
