// The HTTP contract between agent, collector and operators: paths, headers and TypeBox request and
// response schemas (enrolment, sample batches, certificates, command channel, meeting check).
import { Type, type Static } from 'typebox';
import { LIMITS } from './validate.ts';

/** Every HTTP path between agent, collector and operators. */
export const PATHS = {
  enroll: '/api/v1/enroll',
  samples: '/api/v1/samples',
  healthz: '/healthz',
  readyz: '/readyz',
  /** Operators: latest security score per agency and agent, failing checks with remediation, waivers (`?agency=`). */
  compliance: '/api/v1/compliance',
  /** Operators: alerts (`?state=active|resolved|all&agency=`), acknowledgement, silences, notification history. */
  alerts: '/api/v1/alerts',
  alertAck: '/api/v1/alerts/:id/ack',
  silences: '/api/v1/silences',
  silence: '/api/v1/silences/:id',
  notifications: '/api/v1/notifications',
  /** Operators: the device inventory of one agency (`?filter=new|stale|exposed`). */
  agencyDevices: '/api/v1/agencies/:id/devices',
  /** Operators: the certificate inventory (`?agency=&expiring=30d&limit=`), soonest expiry first. */
  certificates: '/api/v1/certificates',
  /** Agents long-poll here for commands (GET, agent token). */
  agentCommands: '/api/v1/agent/commands',
  /** Agents post the outcome of one command here (`:id` is the command id). */
  agentCommandResult: '/api/v1/agent/commands/:id/result',
  /** Operators: run the videoconf check on every agent that has it, now, and wait for the results. */
  videoconfCheck: '/api/v1/videoconf/check',
  /** Operators: the web integrity inventory, watched sites and findings (`?agency=&present=true&limit=`). */
  webFindings: '/api/v1/web-findings',
} as const;

/** Header an agent sends so the collector can record what runs where. */
export const AGENT_VERSION_HEADER = 'x-canhgac-agent-version';
/** Header carrying a replacement token after `agent rotate` (read by the agent on its next contact). */
export const ROTATED_TOKEN_HEADER = 'x-canhgac-new-token';

/**
 * Text an agent writes that people later read in a terminal or a page: no control or line-separator
 * character (an escape sequence in a hostname could retitle an operator's terminal or forge table rows).
 */
export const NO_CONTROL_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$';
const Text = (opts: { minLength?: number; maxLength: number }) => Type.String({ ...opts, pattern: NO_CONTROL_PATTERN });

export const EnrollRequest = Type.Object(
  {
    code: Text({ minLength: 4, maxLength: 64 }),
    hostname: Text({ minLength: 1, maxLength: 253 }),
    version: Text({ maxLength: 64 }),
    os: Type.Optional(Text({ maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type EnrollRequest = Static<typeof EnrollRequest>;

export const EnrollResponse = Type.Object({
  agentId: Type.String(),
  agency: Type.String(),
  agencyName: Type.String(),
  token: Type.String(),
});
export type EnrollResponse = Static<typeof EnrollResponse>;

/** One sample on the wire. The batch schema keeps items loose so each sample gets its own reason. */
export const WireSampleSchema = Type.Object({
  measurement: Type.String(),
  tags: Type.Record(Type.String(), Type.String()),
  fields: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()])),
  time: Type.String({ format: 'date-time' }),
});

export const SampleBatch = Type.Object({
  samples: Type.Array(Type.Unknown(), { maxItems: LIMITS.samplesPerBatch }),
});
export type SampleBatch = Static<typeof SampleBatch>;

export const Rejection = Type.Object({ index: Type.Integer(), reason: Type.String() });
export type Rejection = Static<typeof Rejection>;

/**
 * 200 when all were stored; 400 with the same shape when some were refused (the rest are stored); 207 when
 * InfluxDB itself refused some after the collector took them (`refusedByStore`: kept in the collector's
 * dead letter, counted and alerted on there; sending them again would be refused again).
 */
export const IngestResponse = Type.Object({
  accepted: Type.Integer(),
  rejected: Type.Array(Rejection),
  refusedByStore: Type.Optional(Type.Object({ samples: Type.Integer(), reason: Type.String() })),
});
export type IngestResponse = Static<typeof IngestResponse>;

export const ErrorResponse = Type.Object({
  error: Type.String(),
  message: Type.String(),
});

// ---- certificate inventory ------------------------------------------------------------------------

export const CertificateQuery = Type.Object(
  {
    agency: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** Only those expiring within this duration (`30d`, `2w`); expired ones included. */
    expiring: Type.Optional(Type.String({ minLength: 2, maxLength: 16 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  },
  { additionalProperties: false },
);
export type CertificateQuery = Static<typeof CertificateQuery>;

export const CertificateEntry = Type.Object({
  agency: Type.String(),
  agencyName: Type.String(),
  agent: Type.String(),
  agentHostname: Type.Optional(Type.String()),
  /** `endpoint` (tls check) or `file` (cert_file check). */
  kind: Type.String(),
  /** Where it was seen: `host:port` (with SNI) or a file path / Windows store. */
  location: Type.String(),
  subject: Type.Optional(Type.String()),
  issuer: Type.Optional(Type.String()),
  serial: Type.Optional(Type.String()),
  notAfter: Type.Optional(Type.String()),
  earliestNotAfter: Type.Optional(Type.String()),
  /** Days until the earliest expiry, now; negative once expired. */
  daysLeft: Type.Optional(Type.Number()),
  /** unreachable, unreadable, expired, expiring, untrusted, hostname_mismatch, self_signed, legacy_tls, weak_key, weak_signature */
  problems: Type.Array(Type.String()),
  result: Type.String(),
  error: Type.Optional(Type.String()),
  lastSeen: Type.String(),
});
export type CertificateEntry = Static<typeof CertificateEntry>;

export const CertificateList = Type.Object({ certificates: Type.Array(CertificateEntry) });
export type CertificateList = Static<typeof CertificateList>;

// ---- command channel: collector → agent, for on-demand work --------------------------------------
// Agencies sit behind NAT, so the collector cannot call an agent: agents long-poll for commands and
// post each outcome back. A command is a kind and a payload, so any check (or other work) can use it.

/** Header of a command poll: the check types this agent runs, comma separated, so the collector knows whom to ask. */
export const AGENT_CHECKS_HEADER = 'x-canhgac-checks';
/**
 * Header of a command poll: the ids of the commands this agent received and has not answered yet
 * (a build downloading in the background), comma separated. What the collector sent and does not find
 * here nor among the results never reached the agent, so it may be sent again.
 */
export const AGENT_RUNNING_HEADER = 'x-canhgac-running';
const COMMAND_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** At most this many ids in the header: an agent runs its commands one at a time, a build beside them. */
export const RUNNING_IDS_MAX = 8;

/** The running header as the collector reads it: well-formed ids only, at most RUNNING_IDS_MAX. */
export function parseRunningHeader(header: string | string[] | undefined): string[] {
  if (typeof header !== 'string' || header.length > RUNNING_IDS_MAX * 65) return [];
  return header.split(',').map((id) => id.trim()).filter((id) => COMMAND_ID.test(id)).slice(0, RUNNING_IDS_MAX);
}

/** The running header as the agent writes it (ids it could not name safely are left out). */
export function formatRunningHeader(ids: Iterable<string>): string {
  return [...ids].filter((id) => COMMAND_ID.test(id)).slice(0, RUNNING_IDS_MAX).join(',');
}

/** The longest a poll is held open when there is nothing to do; agents poll again at once after an answer. */
export const COMMAND_POLL_MAX_WAIT_SECONDS = 25;

/** `apply-config` (protocol/fleet.ts): the agent's effective configuration from its profile; `self-update` (protocol/releases.ts): a signed build. */
export const COMMAND_KINDS = ['run-check', 'apply-config', 'self-update'] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

/** `run-check`: run every entry of this check type now and report its samples. */
export const RunCheckPayload = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 64 }),
  /** Upper bound for the run, so that an answer arrives while the operator is still waiting. */
  deadlineMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 600_000 })),
});
export type RunCheckPayload = Static<typeof RunCheckPayload>;

export const AgentCommand = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  payload: Type.Unknown(),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
});
export type AgentCommand = Static<typeof AgentCommand>;

/** `wait`: seconds to hold the poll open when there is nothing to do (0 to COMMAND_POLL_MAX_WAIT_SECONDS). */
export const CommandPollQuery = Type.Object({
  wait: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
});

export const CommandPollResponse = Type.Object({ commands: Type.Array(AgentCommand) });
export type CommandPollResponse = Static<typeof CommandPollResponse>;

export const CommandResult = Type.Object(
  {
    status: Type.Union([Type.Literal('done'), Type.Literal('failed'), Type.Literal('unsupported')]),
    message: Type.Optional(Text({ maxLength: 1000 })),
    /** Why something pushed (a configuration) was refused, one reason per item (bounds: protocol/fleet.ts). */
    reasons: Type.Optional(Type.Array(Text({ maxLength: 500 }), { maxItems: 100 })),
    startedAt: Type.String({ format: 'date-time' }),
    finishedAt: Type.String({ format: 'date-time' }),
    /** What the work measured; validated one by one like an ingest batch. */
    samples: Type.Array(Type.Unknown(), { maxItems: LIMITS.samplesPerBatch }),
  },
  { additionalProperties: false },
);
export type CommandResult = Static<typeof CommandResult>;

export const CommandResultResponse = Type.Object({ accepted: Type.Integer(), rejected: Type.Array(Rejection) });

// ---- pre-meeting readiness ----------------------------------------------------------------------

export const VideoconfCheckRequest = Type.Object(
  {
    /** How long to wait for the agents, in seconds (default 10). */
    wait: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
    /** Only this agency's agents (an agency-scoped operator always gets only its own). */
    agency: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type VideoconfCheckRequest = Static<typeof VideoconfCheckRequest>;

/** `answered`: results came back; `no_answer`: asked but silent within the wait; `offline`: not polling, not asked. */

export const MeetingAgent = Type.Object({
  agent: Type.String(),
  agency: Type.String(),
  hostname: Type.String(),
  status: Type.Union([Type.Literal('answered'), Type.Literal('failed'), Type.Literal('unsupported'), Type.Literal('no_answer'), Type.Literal('offline')]),
  message: Type.Optional(Type.String()),
  lastPollAt: Type.Optional(Type.String()),
});
export type MeetingAgent = Static<typeof MeetingAgent>;

/** One row of the board: an endpoint as measured by this request (`fresh`), or its last known state. */
export const MeetingEndpoint = Type.Object({
  agency: Type.String(),
  agent: Type.String(),
  endpoint: Type.String(),
  address: Type.Optional(Type.String()),
  /** True when measured for this request; false for the last value on record of an agent that did not answer. */
  fresh: Type.Boolean(),
  measuredAt: Type.Optional(Type.String()),
  ready: Type.Integer(),
  fields: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()])),
});
export type MeetingEndpoint = Static<typeof MeetingEndpoint>;

export const VideoconfCheckResponse = Type.Object({
  requestedAt: Type.String(),
  answeredAt: Type.String(),
  agents: Type.Array(MeetingAgent),
  endpoints: Type.Array(MeetingEndpoint),
  summary: Type.Object({ endpoints: Type.Integer(), ready: Type.Integer(), notReady: Type.Integer(), agentsAsked: Type.Integer(), agentsAnswered: Type.Integer() }),
});
export type VideoconfCheckResponse = Static<typeof VideoconfCheckResponse>;
