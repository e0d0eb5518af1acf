// The mail_domain check's light half: config schema, defaults, measurements and validation, loaded to
// check a config without loading the code that asks DNS and connects to mail servers.
import { Type } from 'typebox';
import { joinPath, type ConfigIssue } from '../../../protocol/index.ts';
import { isHostOrIp, parseHostPort } from '../common/probe.ts';
import { defineSpec } from '../lazy.ts';
import type { CheckConfig } from '../types.ts';

const Domain = Type.Object(
  {
    domain: Type.String({ minLength: 1, maxLength: 253, expected: 'a mail domain such as example.gov.vn' }),
    dkimSelectors: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 63 }), { maxItems: 20, expected: 'a list of DKIM selectors such as ["default", "mail2026"]' })),
    smtpPort: Type.Integer({ minimum: 1, maximum: 65535, default: 25, expected: 'a TCP port from 1 to 65535' }),
    httpsPort: Type.Integer({ minimum: 1, maximum: 65535, default: 443, expected: 'a TCP port from 1 to 65535' }),
  },
  { additionalProperties: false },
);

const schema = Type.Object({
  domains: Type.Array(Domain, { minItems: 1, maxItems: 100, expected: 'a list of mail domains, each with a domain' }),
  server: Type.Optional(Type.String({ minLength: 1, expected: 'a DNS server as host or host:port ([IPv6]:port); default the system resolver' })),
  ca: Type.Optional(Type.String({ minLength: 1, expected: 'a path to a PEM file with extra trusted CA certificates' })),
  maxMx: Type.Integer({ minimum: 1, maximum: 20, default: 5, expected: 'a whole number from 1 to 20' }),
});

export type MailDomainConfig = CheckConfig<typeof schema>;
export type DomainConfig = MailDomainConfig['domains'][number];

export const mailDomainSpec = defineSpec({
  type: 'mail_domain',
  summary: "A mail domain's security: MX with STARTTLS and certificates, SPF, DMARC, MTA-STS, TLS-RPT, DKIM; a score and the problems",
  schema,
  defaults: { interval: '1h', timeout: '30s' },
  measurements: ['mail_domain', 'mail_domain_problem'],
  validate: validateMailDomain,
});

/** A DNS name of at least two labels (letters, digits, '-', Vietnamese IDN), not an IP address, URL or address. */
export function isMailDomain(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  return isHostOrIp(name) && name.includes('.') && !/^[\d.]+$/.test(name) && !name.includes(':');
}

function validateMailDomain(config: MailDomainConfig, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (config.server !== undefined && !isHostOrIp(config.server) && !parseHostPort(config.server)) {
    issues.push({ path: joinPath(path, 'server'), message: `expected a DNS server as host, host:port or [IPv6]:port with a port from 1 to 65535, got ${JSON.stringify(config.server)}` });
  }
  const seen = new Set<string>();
  config.domains.forEach((d, i) => {
    const at = joinPath(joinPath(path, 'domains'), i);
    if (!isMailDomain(d.domain)) issues.push({ path: joinPath(at, 'domain'), message: `expected a mail domain such as example.gov.vn (no scheme, address or @), got ${JSON.stringify(d.domain)}` });
    else if (seen.has(d.domain.toLowerCase())) issues.push({ path: joinPath(at, 'domain'), message: `expected each domain once, ${JSON.stringify(d.domain)} is listed twice` });
    seen.add(d.domain.toLowerCase());
    (d.dkimSelectors ?? []).forEach((s, j) => {
      if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(s)) issues.push({ path: joinPath(joinPath(at, 'dkimSelectors'), j), message: `expected a DKIM selector (letters, digits, '-', '_', dots), got ${JSON.stringify(s)}` });
    });
  });
  return issues;
}
