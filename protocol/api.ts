import { Type, type Static } from 'typebox';
import { LIMITS } from './validate.ts';

/** Every HTTP path between agent, collector and operators. */
export const PATHS = {
  enroll: '/api/v1/enroll',
  samples: '/api/v1/samples',
  healthz: '/healthz',
  readyz: '/readyz',
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
} as const;

/** Header an agent sends so the collector can record what runs where. */
export const AGENT_VERSION_HEADER = 'x-canhgac-agent-version';
/** Header carrying a replacement token after `agent rotate` (read by the agent on its next contact). */
export const ROTATED_TOKEN_HEADER = 'x-canhgac-new-token';

export const EnrollRequest = Type.Object(
  {
    code: Type.String({ minLength: 4, maxLength: 64 }),
    hostname: Type.String({ minLength: 1, maxLength: 253 }),
    version: Type.String({ maxLength: 64 }),
    os: Type.Optional(Type.String({ maxLength: 128 })),
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

/** 200 when all were accepted; 400 with the same shape when some were refused (the rest are stored). */
export const IngestResponse = Type.Object({
  accepted: Type.Integer(),
  rejected: Type.Array(Rejection),
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
