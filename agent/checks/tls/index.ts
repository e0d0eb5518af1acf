// The tls check: the certificate each TLS endpoint presents (directly or after STARTTLS), its expiry,
// chain, name match and weaknesses, and whether the server still speaks legacy TLS.
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import type { X509Certificate } from 'node:crypto';
import { Type } from 'typebox';
import { joinPath, resultOfError, type ConfigIssue, type FieldsOf, type TagsOf } from '../../../protocol/index.ts';
import { defineCheck, type CheckConfig, type CheckContext } from '../types.ts';
import { DEFAULT_CONCURRENCY, forEachLimited, hostPortTargetIssues, isHostOrIp, parseHostPort, resolveHost } from '../common/probe.ts';
import { daysUntil, describeCertificate } from '../common/certificate.ts';
import { handshake } from '../common/tls-handshake.ts';
import { loadTrustStore, type TrustStore } from './trust.ts';

const schema = Type.Object({
  targets: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, expected: 'a list of "host:port" targets' }),
  sni: Type.Optional(Type.String({ minLength: 1, maxLength: 253, expected: 'a host name to send as SNI and to match the certificate against' })),
  starttls: Type.Optional(Type.Union([Type.Literal('smtp'), Type.Literal('imap'), Type.Literal('pop3'), Type.Literal('ftp')])),
  ca: Type.Optional(Type.String({ minLength: 1, expected: 'a path to a PEM file with extra trusted CA certificates' })),
  legacyCheck: Type.Boolean({ default: true }),
  concurrency: Type.Integer({ minimum: 1, maximum: 256, default: DEFAULT_CONCURRENCY, expected: 'a whole number of targets probed at once, from 1 to 256' }),
});

type TlsConfig = CheckConfig<typeof schema>;

export const tlsCheck = defineCheck({
  type: 'tls',
  summary: 'Certificates of TLS endpoints (also STARTTLS): expiry, chain, host name, weak keys and old protocols',
  schema,
  defaults: { interval: '1h', timeout: '10s' },
  measurements: ['tls_cert'],
  validate: validateTls,
  run: runTls,
});

function validateTls(config: TlsConfig, path: string): ConfigIssue[] {
  const issues = hostPortTargetIssues(config.targets, path);
  if (config.sni !== undefined && (!isHostOrIp(config.sni) || isIP(config.sni) !== 0)) {
    issues.push({ path: joinPath(path, 'sni'), message: `expected a host name (not an IP address), got ${JSON.stringify(config.sni)}` });
  }
  return issues;
}

async function runTls(config: TlsConfig, ctx: CheckContext): Promise<void> {
  let trust: TrustStore | undefined;
  try {
    trust = await loadTrustStore(config.ca);
  } catch (err) {
    // The certificates are still worth reading; only chain_valid cannot be judged.
    ctx.log.error('cannot read the ca file; chain_valid is left out for this check', { ca: config.ca, error: (err as NodeJS.ErrnoException).code ?? String(err) });
  }
  let aborted = 0;
  const notStarted = await forEachLimited(config.targets, config.concurrency, ctx.signal, async (target) => {
    const done = await probeTarget(target, config, trust, ctx);
    if (!done) aborted++;
  });
  if (notStarted + aborted > 0) ctx.log.warn('tls run stopped before every target was probed', { unprobed: notStarted + aborted });
}

/** Records one tls_cert sample; false when the run signal cut it short. */
async function probeTarget(target: string, config: TlsConfig, trust: TrustStore | undefined, ctx: CheckContext): Promise<boolean> {
  const { host, port } = parseHostPort(target)!;
  const tags: TagsOf<'tls_cert'> = { target, name: config.name, group: config.group, sni: config.sni, starttls: config.starttls, result: 'ok' };
  let address: string;
  try {
    address = (await resolveHost(host)).address;
  } catch (err) {
    if (ctx.signal.aborted) return false;
    ctx.recorder.record('tls_cert', { ...tags, result: resultOfError(err) }, { up: 0, error: `cannot resolve ${host}` });
    return true;
  }
  const servername = config.sni ?? (isIP(host) === 0 ? domainToASCII(host) || host : undefined);
  const base = { address, port, servername, starttls: config.starttls, timeoutMs: config.timeoutMs, signal: ctx.signal };
  // Any version the server offers: a TLS 1.0-only server still has a certificate worth reading.
  const main = await handshake({ ...base, minVersion: 'TLSv1', maxVersion: 'TLSv1.3' });
  if (!main) return false;
  if (!main.ok) {
    ctx.recorder.record('tls_cert', { ...tags, result: main.result }, { up: 0, error: main.error });
    return true;
  }
  let legacy: number | undefined;
  if (main.protocol === 'TLSv1' || main.protocol === 'TLSv1.1') legacy = 1;
  else if (config.legacyCheck) {
    // A second handshake offering only 1.0 and 1.1: the server picks one of them or refuses.
    const old = await handshake({ ...base, minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
    if (!old) return false;
    if (old.ok) legacy = 1;
    else if (old.result !== 'timeout') legacy = 0;
  }
  const now = Date.now();
  const fields = certificateFields(main.chain, servername ?? host, trust, now);
  const leaf = describeCertificate(main.chain[0]);
  ctx.recorder.record(
    'tls_cert',
    { ...tags, subject_cn: leaf.subjectCn, issuer_cn: leaf.issuerCn },
    { ...fields, legacy_tls: legacy, handshake_ms: main.handshakeMs, tls_version: main.protocol },
    new Date(now),
  );
  return true;
}

/** Everything about the chain sent that does not depend on the connection. */
export function certificateFields(chain: readonly X509Certificate[], name: string, trust: TrustStore | undefined, now: number): FieldsOf<'tls_cert'> {
  const facts = chain.map(describeCertificate);
  const leaf = facts[0];
  const earliest = Math.min(...facts.map((f) => f.notAfterMs));
  return {
    up: 1,
    days_left: daysUntil(leaf.notAfterMs, now),
    not_after_seconds: Math.floor(earliest / 1000),
    leaf_not_after_seconds: Math.floor(leaf.notAfterMs / 1000),
    earliest_days_left: daysUntil(earliest, now),
    expired: facts.some((f) => f.notAfterMs <= now) ? 1 : 0,
    chain_valid: trust ? (trust.verifies(chain) ? 1 : 0) : undefined,
    hostname_match: matchesName(chain[0], name) ? 1 : 0,
    self_signed: leaf.selfSigned ? 1 : 0,
    weak_key: facts.some((f) => f.weakKey) ? 1 : 0,
    weak_signature: facts.some((f) => f.weakSignature) ? 1 : 0,
    key_bits: leaf.keyBits,
    key_type: leaf.keyType,
    signature_algorithm: leaf.signatureAlgorithm,
    serial: leaf.serial,
    sans: leaf.sans || undefined,
    chain_certs: chain.length,
  };
}

function matchesName(cert: X509Certificate, name: string): boolean {
  const bare = name.startsWith('[') ? name.slice(1, -1) : name;
  if (isIP(bare) !== 0) return cert.checkIP(bare) !== undefined;
  return cert.checkHost(domainToASCII(bare) || bare) !== undefined;
}
