// The `status:` section of collector.yaml: the shared systems shown on the public status page, which
// probes make each of them up, and where the page is served (the collector's port, or a listener of
// its own that can face the internet while the console and agent API do not).
import { Type, type Static } from 'typebox';

/** Measurements a status probe may read: each has an `up` field (0/1). */
export const STATUS_MEASUREMENTS = ['http', 'tcp', 'ping', 'sip', 'dns', 'web_integrity'] as const;
export type StatusMeasurement = (typeof STATUS_MEASUREMENTS)[number];

const Texts = (what: string) =>
  Type.Object(
    { vi: Type.String({ minLength: 1, maxLength: 300, expected: `the ${what} in Vietnamese` }), en: Type.Optional(Type.String({ minLength: 1, maxLength: 300, expected: `the ${what} in English` })) },
    { additionalProperties: false },
  );

const Probe = Type.Object(
  {
    // Spelled out (not mapped from the list) so that the static type is the union of the names.
    measurement: Type.Union([Type.Literal('http'), Type.Literal('tcp'), Type.Literal('ping'), Type.Literal('sip'), Type.Literal('dns'), Type.Literal('web_integrity')], {
      expected: `one of ${STATUS_MEASUREMENTS.join(', ')}`,
    }),
    /** Exact tag values the probe's samples carry, e.g. {url: https://...}: no patterns, nothing to slow the page. */
    tags: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }), Type.String({ minLength: 1, maxLength: 500 }), { expected: 'a mapping of tag: exact value, such as {url: https://dichvucong.example.gov.vn/}' }),
    /** Only these agencies' agents count (e.g. the two agencies that probe the portal). Default: any. */
    agencies: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 })),
  },
  { additionalProperties: false },
);

const Service = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', expected: 'a lowercase id of letters, digits and dashes, such as cong-dich-vu-cong' }),
    name: Texts('service name'),
    description: Type.Optional(Texts('description')),
    probes: Type.Array(Probe, { minItems: 1, maxItems: 20 }),
  },
  { additionalProperties: false },
);

export const StatusSection = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    title: Type.Optional(Texts('page title')),
    /** A sample older than this no longer tells the state of its probe. */
    staleAfter: Type.String({ default: '10m', expected: 'a duration such as 10m' }),
    /** A listener of the status page's own (plain HTTP only on loopback, for a reverse proxy in front). */
    listen: Type.Optional(
      Type.Object(
        {
          host: Type.String({ default: '127.0.0.1', expected: 'an address to bind' }),
          port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
          plainHttp: Type.Boolean({ default: false }),
        },
        { additionalProperties: false, default: {} },
      ),
    ),
    services: Type.Array(Service, { default: [], maxItems: 50 }),
  },
  { additionalProperties: false, default: {} },
);

export type StatusConfig = Static<typeof StatusSection>;
export type StatusService = StatusConfig['services'][number];
export type StatusProbe = StatusService['probes'][number];
