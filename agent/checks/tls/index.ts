// The tls check: the certificate each TLS endpoint presents (directly or after STARTTLS), its expiry,
// chain, name match and weaknesses, and whether the server still speaks legacy TLS.
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import type { X509Certificate } from 'node:crypto';
import { parseDuration, resultOfError, type FieldsOf, type TagsOf } from '../../../protocol/index.ts';
import { defineCheck, type CheckContext } from '../types.ts';
import { forEachLimited, parseHostPort, resolveHost } from '../common/probe.ts';
import { daysUntil, describeCertificate } from '../common/certificate.ts';
import { handshake } from '../common/tls-handshake.ts';
import { DEFAULT_LEGACY_INTERVAL, tlsSpec, type TlsConfig } from './spec.ts';
import { loadTrustStore, type TrustStore } from './trust.ts';

export const tlsCheck = defineCheck({ ...tlsSpec, run: runTls });

/*
 * Whether a server still accepts TLS 1.0/1.1 changes when someone reconfigures it, rarely; the
 * certificate is what a cycle must not miss. So the second handshake is made at most once per
 * legacyInterval (default 24h) per endpoint and the answer is repeated in between, which makes the
 * usual cycle one handshake per endpoint. Kept per check entry (its config object) in memory: after a
 * restart the first run asks every endpoint again.
 */
const legacyAnswers = new WeakMap<object, Map<string, { at: number; legacy: number }>>();

function legacyMemory(config: TlsConfig): Map<string, { at: number; legacy: number }> {
  let m = legacyAnswers.get(config);
  if (!m) legacyAnswers.set(config, (m = new Map()));
  return m;
}

const legacyIntervalMs = (config: TlsConfig) => parseDuration(config.legacyInterval ?? DEFAULT_LEGACY_INTERVAL) ?? 0;

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
    const known = legacyMemory(config).get(target);
    if (known && Date.now() - known.at < legacyIntervalMs(config)) legacy = known.legacy;
    else {
      // A second handshake offering only 1.0 and 1.1: the server picks one of them or refuses.
      const old = await handshake({ ...base, minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
      if (!old) return false;
      if (old.ok) legacy = 1;
      else if (old.result !== 'timeout') legacy = 0;
      // A timeout tells nothing: asked again at the next run.
      if (legacy !== undefined) legacyMemory(config).set(target, { at: Date.now(), legacy });
    }
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
