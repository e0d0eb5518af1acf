// The videoconf check's light half: config schema (endpoints, thresholds), defaults, measurements and
// validation, loaded to check a config without loading the probes (SIP, SNMP, ICMP, HTTPS).
import { Type } from 'typebox';
import { durationIssue, joinPath, parseDuration, type ConfigIssue } from '../../../protocol/index.ts';
import { isHostOrIp, urlTargetProblem } from '../common/probe.ts';
import { defineSpec } from '../lazy.ts';
import type { CheckConfig } from '../types.ts';

const Port = Type.Integer({ minimum: 1, maximum: 65535, expected: 'a port from 1 to 65535' });
const StatusCode = Type.Integer({ minimum: 100, maximum: 599 });

const SipTarget = Type.Object(
  {
    transport: Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls')], { default: 'udp' }),
    port: Type.Optional(Port),
  },
  { additionalProperties: false },
);

const Https = Type.Object(
  {
    url: Type.Optional(Type.String({ minLength: 1, expected: 'an https:// URL of the management interface' })),
    ca: Type.Optional(Type.String({ minLength: 1, expected: 'a path to a PEM file with the CA (or the self-signed certificate) of the unit' })),
    expectStatus: Type.Optional(Type.Union([StatusCode, Type.Array(StatusCode, { minItems: 1 })], { expected: 'a status code from 100 to 599 or a list of them' })),
  },
  { additionalProperties: false },
);

const Endpoint = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128, expected: 'the endpoint name (the `endpoint` tag), such as ubnd-tinh' }),
    address: Type.String({ minLength: 1, expected: 'a host name or an IP address' }),
    sip: Type.Optional(Type.Array(SipTarget, { minItems: 1, expected: 'a list of SIP transports such as [{transport: udp}, {transport: tls, port: 5061}]' })),
    h323: Type.Optional(Type.Union([Type.Boolean(), Type.Object({ port: Port }, { additionalProperties: false })], { expected: 'true or a mapping with a port' })),
    https: Type.Optional(Type.Union([Type.Boolean(), Https], { expected: 'true or a mapping with url, ca and expectStatus' })),
    snmp: Type.Optional(
      Type.Object(
        {
          community: Type.String({ minLength: 1, maxLength: 64, default: 'public' }),
          port: Type.Integer({ minimum: 1, maximum: 65535, default: 161 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const Thresholds = Type.Object(
  {
    maxLossPercent: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: 1, expected: 'a percentage above 0' }),
    maxJitterMs: Type.Number({ exclusiveMinimum: 0, default: 30, expected: 'milliseconds above 0' }),
    maxRttMs: Type.Number({ exclusiveMinimum: 0, default: 150, expected: 'milliseconds above 0' }),
    minMos: Type.Number({ minimum: 1, maximum: 4.5, default: 3.6, expected: 'a MOS from 1 to 4.5' }),
  },
  { additionalProperties: false },
);

const schema = Type.Object({
  endpoints: Type.Array(Endpoint, { minItems: 1, maxItems: 500, expected: 'a list of endpoints, each with name and address' }),
  count: Type.Integer({ minimum: 2, maximum: 1000, default: 50, expected: 'echo requests per burst, from 2 to 1000' }),
  packetInterval: Type.String({ default: '20ms', expected: 'a duration such as 20ms' }),
  thresholds: Type.Optional(Thresholds),
});

export type VideoconfConfig = CheckConfig<typeof schema>;
export type EndpointConfig = VideoconfConfig['endpoints'][number];

export const videoconfSpec = defineSpec({
  type: 'videoconf',
  summary: 'Video-conference endpoints: ICMP burst quality (loss, jitter, MOS), SIP, H.323, HTTPS, SNMP, and readiness',
  schema,
  defaults: { interval: '60s', timeout: '3s' },
  measurements: ['videoconf', 'sip'],
  validate: validateVideoconf,
});

function validateVideoconf(config: VideoconfConfig, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  config.endpoints.forEach((ep, i) => {
    const at = joinPath(joinPath(path, 'endpoints'), i);
    if (seen.has(ep.name)) issues.push({ path: joinPath(at, 'name'), message: `expected a unique name, "${ep.name}" is used twice` });
    seen.add(ep.name);
    if (!isHostOrIp(ep.address)) issues.push({ path: joinPath(at, 'address'), message: `expected a host name or an IP address, got ${JSON.stringify(ep.address)}` });
    if (typeof ep.https === 'object' && ep.https.url !== undefined) {
      // The http check's own URL rules, reported at this key.
      const message = urlTargetProblem(ep.https.url);
      if (message) issues.push({ path: joinPath(joinPath(at, 'https'), 'url'), message });
    }
  });
  const piPath = joinPath(path, 'packetInterval');
  const piIssue = durationIssue(config.packetInterval, piPath, { minMs: 2, maxMs: 1000 });
  if (piIssue) return [...issues, piIssue];
  const burstMs = (config.count - 1) * parseDuration(config.packetInterval)! + waitMs(config.timeoutMs);
  if (burstMs > config.intervalMs) {
    issues.push({
      path: joinPath(path, 'count'),
      message: `a burst of ${config.count} packets every ${config.packetInterval} plus the wait for the last reply lasts longer than the interval (${config.interval})`,
    });
  }
  return issues;
}

/** The system ping waits whole seconds for the last reply (fping waits the timeout itself). */
export const waitMs = (timeoutMs: number) => Math.max(1, Math.ceil(timeoutMs / 1000)) * 1000;
