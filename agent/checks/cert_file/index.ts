// The cert_file check: expiry and weaknesses of certificates kept in files (PEM, DER, PKCS#12) and,
// on Windows, in the certificate stores.
import { X509Certificate } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { FieldsOf } from '../../../protocol/index.ts';
import { defineCheck, type CheckContext } from '../types.ts';
import { certificatesFromPem, daysUntil, describeCertificate, looksLikePkcs12, type CertFacts } from '../common/certificate.ts';
import { expandPaths } from './paths.ts';
import { Pkcs12Error, readPkcs12, type PasswordSource } from './pkcs12.ts';
import { certFileSpec, type CertFileConfig } from './spec.ts';
import { readStores, type StoreEntry } from './windows-store.ts';

/** Larger than any certificate bundle; a mistaken glob over a disk image stops here. */
const MAX_FILE_BYTES = 10 * 1024 * 1024;

export const certFileCheck = defineCheck({ ...certFileSpec, run: runCertFile });

async function runCertFile(config: CertFileConfig, ctx: CheckContext): Promise<void> {
  // One time for the whole run: the collector's inventory replaces a file's certificates run by run.
  const now = Date.now();
  const at = new Date(now);
  const password: PasswordSource = config.passwordEnv ? { env: config.passwordEnv } : config.passwordFile ? { file: config.passwordFile } : undefined;
  const fail = (path: string, error: string) => {
    ctx.log.warn('cannot read certificates', { path, error });
    ctx.recorder.record('cert_file', { path, result: 'error' }, { error }, at);
  };
  const report = (path: string, cert: X509Certificate) => {
    const f = describeCertificate(cert);
    ctx.recorder.record('cert_file', { path, subject_cn: f.subjectCn, issuer_cn: f.issuerCn, serial: f.serial, result: 'ok' }, certFields(f, now), at);
  };

  if (config.paths) {
    const expanded = await expandPaths(config.paths);
    for (const item of expanded) {
      if (ctx.signal.aborted) return;
      if ('error' in item) {
        fail(item.pattern, item.error);
        continue;
      }
      const read = await readCertificates(item.file, password);
      if ('error' in read) fail(item.file, read.error);
      else if ('skip' in read) ctx.log.debug('no certificate in file, skipped', { path: item.file, reason: read.skip });
      else for (const cert of read.certs) report(item.file, cert);
    }
  }
  if (config.stores) {
    try {
      for (const e of await readStores(config.stores)) report(storePath(e), e.cert);
    } catch (err) {
      for (const s of config.stores) fail(`Cert:\\${s}`, `cannot read the store: ${(err as Error).message.slice(0, 200)}`);
    }
  }
}

/** The `path` tag of a certificate from the Windows store: the store as PowerShell names it. */
export function storePath(e: StoreEntry): string {
  return `Cert:\\${e.store}`;
}

export function certFields(f: CertFacts, now: number): FieldsOf<'cert_file'> {
  return {
    days_left: daysUntil(f.notAfterMs, now),
    not_after_seconds: Math.floor(f.notAfterMs / 1000),
    expired: f.notAfterMs <= now ? 1 : 0,
    self_signed: f.selfSigned ? 1 : 0,
    weak_key: f.weakKey ? 1 : 0,
    weak_signature: f.weakSignature ? 1 : 0,
    key_bits: f.keyBits,
    key_type: f.keyType,
    signature_algorithm: f.signatureAlgorithm,
    sans: f.sans || undefined,
  };
}

type ReadResult = { certs: X509Certificate[] } | { error: string } | { skip: string };

/** PEM (any number of certificates), DER or PKCS#12, told apart by content, not by file name. */
export async function readCertificates(file: string, password: PasswordSource): Promise<ReadResult> {
  let bytes: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      const st = await handle.stat();
      if (!st.isFile()) return { error: 'not a regular file' };
      if (st.size > MAX_FILE_BYTES) return { error: `larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB, not read` };
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { error: code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : `cannot read (${code ?? String(err)})` };
  }
  const head = bytes.subarray(0, 4096).toString('latin1');
  if (head.includes('-----BEGIN') || bytes.includes('-----BEGIN ')) {
    const { certs, bad } = certificatesFromPem(bytes.toString('latin1'));
    if (certs.length > 0) return { certs };
    if (bad > 0) return { error: 'a CERTIFICATE block in this PEM file cannot be parsed' };
    if (/-----BEGIN PKCS7-----/.test(bytes.toString('latin1'))) return { error: 'PKCS#7 bundles (.p7b) are not read; convert with: openssl pkcs7 -print_certs' };
    // A key, CSR or parameters file that a glob or directory happened to catch.
    return { skip: 'PEM file without a certificate' };
  }
  if (looksLikePkcs12(bytes)) {
    try {
      return { certs: await readPkcs12(file, password) };
    } catch (err) {
      return { error: err instanceof Pkcs12Error ? err.message : `cannot read PKCS#12: ${String(err).slice(0, 200)}` };
    }
  }
  try {
    return { certs: [new X509Certificate(bytes)] };
  } catch {
    return { error: 'not a certificate (PEM, DER or PKCS#12)' };
  }
}
