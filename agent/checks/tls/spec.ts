// The tls check's light half: config schema, defaults, measurements and validation, loaded to check a
// config without loading the handshake code.
import { isIP } from 'node:net';
import { Type } from 'typebox';
import { durationIssue, joinPath, type ConfigIssue } from '../../../protocol/index.ts';
import { hostPortTargetIssues, isHostOrIp } from '../common/probe.ts';
import { defineSpec } from '../lazy.ts';
import type { CheckConfig } from '../types.ts';

export const DEFAULT_LEGACY_INTERVAL = '24h';

/**
 * Handshakes in flight at once: the most the schema allows. A handshake is mostly waiting for the server;
 * on loopback a 200-endpoint cycle took 0.81-0.90x blackbox_exporter's time with all in flight, and
 * 0.94-1.13x with 32 or 128 (the CPU idled between waves). Each holds one socket and about 50 kB while it
 * lasts: 13 MB at most.
 */
export const TLS_CONCURRENCY = 256;

const schema = Type.Object({
  targets: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, expected: 'a list of "host:port" targets' }),
  sni: Type.Optional(Type.String({ minLength: 1, maxLength: 253, expected: 'a host name to send as SNI and to match the certificate against' })),
  starttls: Type.Optional(Type.Union([Type.Literal('smtp'), Type.Literal('imap'), Type.Literal('pop3'), Type.Literal('ftp')])),
  ca: Type.Optional(Type.String({ minLength: 1, expected: 'a path to a PEM file with extra trusted CA certificates' })),
  legacyCheck: Type.Boolean({ default: true }),
  // Protocol support changes rarely: the second (TLS 1.0/1.1) handshake is made at most this often per endpoint.
  legacyInterval: Type.Optional(Type.String({ default: DEFAULT_LEGACY_INTERVAL, expected: 'a duration such as 24h or 7d (0s: at every run)' })),
  concurrency: Type.Integer({ minimum: 1, maximum: 256, default: TLS_CONCURRENCY, expected: 'a whole number of targets probed at once, from 1 to 256' }),
});

export type TlsConfig = CheckConfig<typeof schema>;

export const tlsSpec = defineSpec({
  type: 'tls',
  summary: 'Certificates of TLS endpoints (also STARTTLS): expiry, chain, host name, weak keys and old protocols',
  schema,
  defaults: { interval: '1h', timeout: '10s' },
  measurements: ['tls_cert'],
  validate: validateTls,
});

function validateTls(config: TlsConfig, path: string): ConfigIssue[] {
  const issues = hostPortTargetIssues(config.targets, path);
  if (config.sni !== undefined && (!isHostOrIp(config.sni) || isIP(config.sni) !== 0)) {
    issues.push({ path: joinPath(path, 'sni'), message: `expected a host name (not an IP address), got ${JSON.stringify(config.sni)}` });
  }
  if (config.legacyInterval !== undefined) {
    const legacy = durationIssue(config.legacyInterval, joinPath(path, 'legacyInterval'), { minMs: 0, maxMs: 366 * 86_400_000 });
    if (legacy) issues.push(legacy);
  }
  return issues;
}
