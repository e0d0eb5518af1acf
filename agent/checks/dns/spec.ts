// The dns check's light half: config schema, defaults, measurements and validation, loaded to check a
// config without loading the code that sends queries.
import { isIP } from 'node:net';
import { Type } from 'typebox';
import { joinPath, type ConfigIssue } from '../../../protocol/index.ts';
import { isHostOrIp, parseHostPort } from '../common/probe.ts';
import { defineSpec } from '../lazy.ts';
import type { CheckConfig } from '../types.ts';

/** Query types the check asks; kept literal here so validation loads no wire code. */
export const QUERY_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'TXT', 'SOA', 'PTR'] as const;

const Query = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 253, expected: 'a DNS name such as portal.example.vn (an IP address for PTR)' }),
    type: Type.Union(QUERY_TYPES.map((t) => Type.Literal(t)), { default: 'A' }),
    expect: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { minItems: 1, maxItems: 100, expected: 'a list of the answers expected, such as ["203.0.113.10"]' })),
  },
  { additionalProperties: false },
);

const schema = Type.Object({
  server: Type.Optional(Type.String({ minLength: 1, expected: 'a DNS server as host or host:port ([IPv6]:port); default the system resolver' })),
  transport: Type.Union([Type.Literal('udp'), Type.Literal('tcp')], { default: 'udp' }),
  queries: Type.Array(Query, { minItems: 1, maxItems: 1000, expected: 'a list of queries, each with a name' }),
});

export type DnsConfig = CheckConfig<typeof schema>;
export type DnsQueryConfig = DnsConfig['queries'][number];

export const dnsSpec = defineSpec({
  type: 'dns',
  summary: 'DNS queries (A, AAAA, CNAME, MX, NS, TXT, SOA, PTR) to a server: rcode, answers, time, expected answers',
  schema,
  defaults: { interval: '60s', timeout: '5s' },
  measurements: ['dns'],
  validate: validateDns,
});

/** `host`, `host:port` or `[IPv6]:port` → host and port; undefined when it is none of them. */
export function parseServer(text: string): { host: string; port: number } | undefined {
  return isHostOrIp(text) ? { host: text, port: 53 } : parseHostPort(text);
}

/** Letters, digits, '-' and '_' per label (service labels such as _dmarc), 1 to 63 characters, at most 253 in all. */
export function isQueryName(name: string): boolean {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n.length === 0 || n.length > 253) return false;
  return n.split('.').every((l) => /^[\p{L}\p{N}_-]{1,63}$/u.test(l));
}

function expectProblem(type: string, answer: string): string | undefined {
  if (type === 'A' && isIP(answer) !== 4) return `expected an IPv4 address for an A record, got ${JSON.stringify(answer)}`;
  if (type === 'AAAA' && isIP(answer) !== 6) return `expected an IPv6 address for an AAAA record, got ${JSON.stringify(answer)}`;
  if (type === 'MX' && !/^\d{1,5} \S+$/.test(answer.trim())) return `expected "preference host" for an MX record, such as "10 mail.example.vn", got ${JSON.stringify(answer)}`;
  if ((type === 'CNAME' || type === 'NS' || type === 'PTR') && !isQueryName(answer)) return `expected a host name for a ${type} record, got ${JSON.stringify(answer)}`;
  return undefined;
}

function validateDns(config: DnsConfig, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (config.server !== undefined && !parseServer(config.server)) {
    issues.push({ path: joinPath(path, 'server'), message: `expected a DNS server as host, host:port or [IPv6]:port with a port from 1 to 65535, got ${JSON.stringify(config.server)}` });
  }
  config.queries.forEach((q, i) => {
    const at = joinPath(joinPath(path, 'queries'), i);
    const type = q.type ?? 'A';
    const nameOk = type === 'PTR' ? isIP(q.name) !== 0 || isQueryName(q.name) : isQueryName(q.name);
    if (!nameOk) issues.push({ path: joinPath(at, 'name'), message: `expected a DNS name such as portal.example.vn${type === 'PTR' ? ' or an IP address' : ''}, got ${JSON.stringify(q.name)}` });
    (q.expect ?? []).forEach((answer, j) => {
      const problem = expectProblem(type, answer);
      if (problem) issues.push({ path: joinPath(joinPath(at, 'expect'), j), message: problem });
    });
  });
  return issues;
}
