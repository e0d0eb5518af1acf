// The response schema of GET /api/v1/compliance (per agency and agent: security score, failing checks
// with remediation, waivers), part of the operator API; the console's agency page shows the same rows.
import { Type, type Static } from 'typebox';

/** `GET /api/v1/compliance`: the latest security result of every agent, per agency. */
export const ComplianceQuery = Type.Object(
  {
    agency: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type ComplianceQuery = Static<typeof ComplianceQuery>;

const Texts = Type.Object({ vi: Type.String(), en: Type.String() });

export const ComplianceFinding = Type.Object({
  checkId: Type.String(),
  severity: Type.String(),
  /** `fail` or `error` (failing), `waived` in the waivers list. */
  status: Type.String(),
  detail: Type.Union([Type.String(), Type.Null()]),
  title: Texts,
  remediation: Texts,
  measuredAt: Type.String(),
});

export const ComplianceWaiver = Type.Object({
  checkId: Type.String(),
  severity: Type.String(),
  by: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  until: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Union([Type.String(), Type.Null()]),
  title: Texts,
});

export const ComplianceAgent = Type.Object({
  id: Type.String(),
  hostname: Type.String(),
  scorePercent: Type.Union([Type.Number(), Type.Null()]),
  passed: Type.Integer(),
  failed: Type.Integer(),
  errors: Type.Integer(),
  waived: Type.Integer(),
  notApplicable: Type.Integer(),
  measuredAt: Type.Union([Type.String(), Type.Null()]),
  failing: Type.Array(ComplianceFinding),
  waivers: Type.Array(ComplianceWaiver),
});

export const ComplianceAgency = Type.Object({
  id: Type.String(),
  name: Type.String(),
  /** Mean of its agents' latest scores; null when no agent has reported one. */
  scorePercent: Type.Union([Type.Number(), Type.Null()]),
  agents: Type.Array(ComplianceAgent),
});

export const ComplianceReport = Type.Object({
  generatedAt: Type.String(),
  weights: Type.Record(Type.String(), Type.Integer()),
  agencies: Type.Array(ComplianceAgency),
});
export type ComplianceReport = Static<typeof ComplianceReport>;
export type ComplianceAgent = Static<typeof ComplianceAgent>;
