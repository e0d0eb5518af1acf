import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSample, type WireSample } from '../../../protocol/index.ts';
import { createLogger } from '../../log.ts';
import { SampleRecorder } from '../../recorder.ts';
import { makePki, type Pki } from '../../../test/support/pki.ts';
import { describeCertificate } from '../common/certificate.ts';
import { certFields, certFileCheck, storePath } from './index.ts';
import { parseCertificateJson, storeScript } from './windows-store.ts';

const DAY = 86_400_000;
// Vietnamese and a space: the password must reach openssl intact and never appear anywhere.
const PASSWORD = 'Mật-khẩu Sở Y tế 2026';
const ENV = 'CANHGAC_TEST_P12_PASSWORD';

let pki: Pki;
let dir: string;
const logLines: string[] = [];

type Extra = { passwordEnv?: string; passwordFile?: string };

async function run(paths: string[], extra: Extra = {}): Promise<WireSample[]> {
  const recorder = new SampleRecorder();
  const config = { type: 'cert_file', interval: '6h', timeout: '60s', intervalMs: 21_600_000, timeoutMs: 60_000, paths, ...extra };
  expect(certFileCheck.validate!(config, 'checks[0]')).toEqual([]);
  await certFileCheck.run(config, { recorder, signal: new AbortController().signal, log: createLogger({ level: 'debug', json: true, write: (l) => logLines.push(l) }) });
  for (const s of recorder.samples) expect(validateSample(s)).toMatchObject({ ok: true });
  return recorder.samples;
}

function openssl(args: string[], env: NodeJS.ProcessEnv = {}) {
  execFileSync('openssl', args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
}

beforeAll(async () => {
  pki = await makePki();
  dir = join(pki.dir, 'files');
  const L = pki.leaves;
  mkdirSync(join(dir, 'certs'), { recursive: true });
  mkdirSync(join(dir, 'nested', 'a', 'b'), { recursive: true });
  writeFileSync(join(dir, 'bundle.pem'), L.good.cert + pki.intermediatePem + pki.rootPem);
  openssl(['x509', '-in', L.d29.certFile, '-outform', 'DER', '-out', join(dir, 'leaf.der')]);
  const p12env = { [ENV]: PASSWORD };
  openssl(['pkcs12', '-export', '-in', L.good.certFile, '-inkey', L.good.keyFile, '-certfile', join(pki.dir, 'int', 'cert.pem'), '-passout', `env:${ENV}`, '-out', join(dir, 'agency.p12')], p12env);
  openssl(['pkcs12', '-export', '-legacy', '-in', L.sni.certFile, '-inkey', L.sni.keyFile, '-passout', `env:${ENV}`, '-out', join(dir, 'old-rc2.pfx')], p12env);
  openssl(['pkcs12', '-export', '-in', L.mail.certFile, '-inkey', L.mail.keyFile, '-passout', 'pass:', '-out', join(dir, 'no-password.p12')]);
  writeFileSync(join(dir, 'p12-password.txt'), `${PASSWORD}\n`);
  writeFileSync(join(dir, 'wrong-password.txt'), 'not it\n');
  writeFileSync(join(dir, 'certs', 'd6.crt'), L.d6.cert);
  writeFileSync(join(dir, 'certs', 'expired.pem'), L.expired.cert);
  writeFileSync(join(dir, 'certs', 'weak.cer'), L.rsa1024.cert + L.sha1.cert);
  writeFileSync(join(dir, 'certs', 'privkey.pem'), L.d6.key);
  writeFileSync(join(dir, 'certs', 'notes.txt'), 'not a certificate');
  writeFileSync(join(dir, 'nested', 'a', 'b', 'deep.pem'), L.selfSigned.cert);
  writeFileSync(join(dir, 'junk.der'), Buffer.from('0123456789abcdef'.repeat(8)));
  process.env[ENV] = PASSWORD;
}, 60_000);

afterAll(() => {
  delete process.env[ENV];
  pki?.cleanup();
  // The password never reached a log line.
  expect(logLines.join('\n')).not.toContain(PASSWORD);
});

const daysAt = (notAfter: Date, s: WireSample) => (notAfter.getTime() - Date.parse(s.time)) / DAY;
const daysBetween = (iso: string, now: number) => (Date.parse(iso) - now) / DAY;

describe('cert_file check: formats', () => {
  it('reads every certificate of a PEM bundle, one sample each, tagged by path, subject, issuer and serial', async () => {
    const file = join(dir, 'bundle.pem');
    const samples = await run([file]);
    expect(samples.map((s) => s.tags)).toEqual([
      { path: file, subject_cn: 'localhost', issuer_cn: 'Canh Gac Test Intermediate CA', serial: pki.leaves.good.serial, result: 'ok' },
      { path: file, subject_cn: 'Canh Gac Test Intermediate CA', issuer_cn: 'Canh Gac Test Root CA', serial: expect.any(String), result: 'ok' },
      { path: file, subject_cn: 'Canh Gac Test Root CA', issuer_cn: 'Canh Gac Test Root CA', serial: expect.any(String), result: 'ok' },
    ]);
    const [leaf, , root] = samples;
    expect(leaf.fields).toMatchObject({ expired: 0, self_signed: 0, weak_key: 0, weak_signature: 0, key_bits: 2048, key_type: 'rsa', signature_algorithm: 'sha256WithRSAEncryption' });
    expect(leaf.fields.not_after_seconds).toBe(pki.leaves.good.notAfter.getTime() / 1000);
    expect(leaf.fields.days_left).toBeCloseTo(daysAt(pki.leaves.good.notAfter, leaf), 4);
    expect(leaf.fields.sans).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(root.fields).toMatchObject({ self_signed: 1, key_type: 'ec', key_bits: 256 });
    // One run, one time: the collector's inventory relies on it.
    expect(new Set(samples.map((s) => s.time)).size).toBe(1);
  });

  it('reads a DER certificate', async () => {
    const [s] = await run([join(dir, 'leaf.der')]);
    expect(s.tags).toMatchObject({ subject_cn: 'localhost', serial: pki.leaves.d29.serial, result: 'ok' });
    expect(s.fields.days_left).toBeCloseTo(daysAt(pki.leaves.d29.notAfter, s), 4);
    expect(s.fields.days_left).toBeGreaterThan(28.99);
  });

  it('reads a PKCS#12 file with the password from an environment variable (leaf and chain)', async () => {
    const samples = await run([join(dir, 'agency.p12')], { passwordEnv: ENV });
    expect(samples.map((s) => s.tags.subject_cn).sort()).toEqual(['Canh Gac Test Intermediate CA', 'localhost']);
    const leaf = samples.find((s) => s.tags.subject_cn === 'localhost')!;
    expect(leaf.tags.serial).toBe(pki.leaves.good.serial);
    expect(leaf.fields.not_after_seconds).toBe(pki.leaves.good.notAfter.getTime() / 1000);
  });

  it('reads a PKCS#12 file with the password from a file, and an old RC2 one (openssl -legacy)', async () => {
    const samples = await run([join(dir, 'agency.p12'), join(dir, 'old-rc2.pfx')], { passwordFile: join(dir, 'p12-password.txt') });
    expect(samples.map((s) => [s.tags.path.endsWith('.pfx'), s.tags.subject_cn, s.tags.result])).toEqual([
      [false, 'localhost', 'ok'],
      [false, 'Canh Gac Test Intermediate CA', 'ok'],
      [true, 'portal.canhgac.invalid', 'ok'],
    ]);
  });

  it('reads a PKCS#12 file without a password when none is configured', async () => {
    const [s] = await run([join(dir, 'no-password.p12')]);
    expect(s.tags).toMatchObject({ subject_cn: 'mail.canhgac.invalid', result: 'ok' });
  });

  it('a wrong password is a clear error for that file only; the other files are still read', async () => {
    const p12 = join(dir, 'agency.p12');
    const samples = await run([p12, join(dir, 'leaf.der')], { passwordFile: join(dir, 'wrong-password.txt') });
    expect(samples[0]).toMatchObject({ tags: { path: p12, result: 'error' }, fields: { error: 'wrong password (PKCS#12 integrity check failed)' } });
    expect(samples[1].tags).toMatchObject({ result: 'ok', serial: pki.leaves.d29.serial });
    expect(logLines.some((l) => l.includes('cannot read certificates') && l.includes('wrong password'))).toBe(true);

    const [noPw] = await run([p12]);
    expect(noPw.fields.error).toBe('the file needs a password: set passwordEnv or passwordFile');
    const [unset] = await run([p12], { passwordEnv: 'CANHGAC_NO_SUCH_VARIABLE' });
    expect(unset.fields.error).toBe('the environment variable CANHGAC_NO_SUCH_VARIABLE (passwordEnv) is not set');
  });

  it('flags weak keys and SHA-1 signatures in files', async () => {
    const samples = await run([join(dir, 'certs', 'weak.cer')]);
    expect(samples.map((s) => [s.tags.serial, s.fields.weak_key, s.fields.weak_signature, s.fields.key_bits, s.fields.signature_algorithm])).toEqual([
      [pki.leaves.rsa1024.serial, 1, 0, 1024, 'sha256WithRSAEncryption'],
      [pki.leaves.sha1.serial, 0, 1, 256, 'sha1WithRSAEncryption'],
    ]);
  });
});

describe('cert_file check: directories and globs', () => {
  it('reads the certificate files of a directory: expired ones too; skips a key file and other extensions', async () => {
    const samples = await run([join(dir, 'certs')]);
    const byName = Object.fromEntries(samples.map((s) => [s.tags.path.split(/[\\/]/).pop()!, s]));
    expect(Object.keys(byName).sort()).toEqual(['d6.crt', 'expired.pem', 'weak.cer']);
    expect(byName['expired.pem'].fields.expired).toBe(1);
    expect(byName['expired.pem'].fields.days_left).toBeCloseTo(daysAt(pki.leaves.expired.notAfter, byName['expired.pem']), 4);
    expect(byName['expired.pem'].fields.days_left).toBeLessThan(-2.99);
    expect(byName['d6.crt'].fields).toMatchObject({ expired: 0 });
    expect(byName['d6.crt'].fields.days_left).toBeCloseTo(daysAt(pki.leaves.d6.notAfter, byName['d6.crt']), 4);
    expect(samples.every((s) => s.tags.result === 'ok')).toBe(true);
  });

  it('expands globs, `**` at any depth; a pattern matching nothing and a missing file are error samples', async () => {
    const samples = await run([join(dir, 'certs', '*.pem'), join(dir, 'nested', '**', '*.pem'), join(dir, 'nothing-*.pem'), join(dir, 'missing.crt'), join(dir, 'junk.der')]);
    const summary = samples.map((s) => [s.tags.path.slice(dir.length + 1), s.tags.result, s.fields.error ?? s.tags.subject_cn]);
    expect(summary).toEqual([
      ['certs/expired.pem', 'ok', 'localhost'],
      ['nested/a/b/deep.pem', 'ok', 'localhost'],
      ['nothing-*.pem', 'error', 'no file matches this pattern'],
      ['missing.crt', 'error', 'file not found'],
      ['junk.der', 'error', 'not a certificate (PEM, DER or PKCS#12)'],
    ]);
  });
});

describe('cert_file check: configuration', () => {
  const base = { type: 'cert_file', interval: '6h', timeout: '60s', intervalMs: 21_600_000, timeoutMs: 60_000 };
  it('refuses a password written in the YAML, and says what to use instead', () => {
    const issues = certFileCheck.validate!({ ...base, paths: ['/etc/canhgac/agency.p12'], password: 'secret' }, 'checks[2]');
    expect(issues).toEqual([{ path: 'checks[2].password', message: 'a password is never written in the YAML; use passwordEnv (the name of an environment variable) or passwordFile' }]);
    expect(JSON.stringify(issues)).not.toContain('secret');
  });
  it('needs paths or stores; one password source; stores only on Windows and by name', () => {
    expect(certFileCheck.validate!({ ...base }, 'checks[2]')).toEqual([{ path: 'checks[2]', message: 'expected `paths`, `stores` or both' }]);
    expect(certFileCheck.validate!({ ...base, paths: ['a.p12'], passwordEnv: 'A', passwordFile: 'b' }, 'c')[0].message).toBe('use passwordEnv or passwordFile, not both');
    const stores = certFileCheck.validate!({ ...base, stores: ['LocalMachine\\My', 'My; rm -rf /'] }, 'c');
    expect(stores.map((i) => i.path)).toEqual(process.platform === 'win32' ? ['c.stores[1]'] : ['c.stores[0]', 'c.stores[1]']);
    expect(stores.at(-1)!.message).toBe('expected a store such as LocalMachine\\My or LocalMachine\\Root, got "My; rm -rf /"');
  });
});

describe('cert_file check: Windows certificate store (PowerShell JSON)', () => {
  const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
  it('parses the array PowerShell prints for several certificates, whatever the Windows language', () => {
    const entries = parseCertificateJson(fixture('powershell-stores.json'));
    expect(entries.map((e) => [e.store, e.thumbprint, e.cert.subject.split('\n').find((l) => l.startsWith('CN='))])).toEqual([
      ['LocalMachine\\My', '9ED71168CAA48417AC42753470446FAA67EF3E05', 'CN=dichvucong.example.vn'],
      ['LocalMachine\\My', '25ACF90FF0A16536CB9AE21A5301785828EBD28E', 'CN=old.example.vn'],
      ['LocalMachine\\Root', '664AE164C985845D445549692DB3BAC78FE1AC7E', 'CN=Canh Gac Fixture Root CA'],
    ]);
    // The thumbprint Windows shows is the SHA-1 of the DER.
    for (const e of entries) expect(e.cert.fingerprint.replace(/:/g, '')).toBe(e.thumbprint);
  });
  it('turns each store entry into the same fields as a file (path Cert:\\<store>)', () => {
    const now = Date.parse('2026-11-27T00:00:00Z');
    const out = parseCertificateJson(fixture('powershell-stores.json')).map((e) => ({ path: storePath(e), ...certFields(describeCertificate(e.cert), now) }));
    expect(out.map((o) => [o.path, o.expired, o.self_signed, o.days_left])).toEqual([
      ['Cert:\\LocalMachine\\My', 0, 0, daysBetween('2030-01-01T00:00:00Z', now)],
      ['Cert:\\LocalMachine\\My', 1, 0, daysBetween('2025-01-01T00:00:00Z', now)],
      ['Cert:\\LocalMachine\\Root', 0, 1, expect.any(Number)],
    ]);
    expect(out[0]).toMatchObject({ key_type: 'ec', key_bits: 256, signature_algorithm: 'ecdsa-with-SHA256', sans: 'DNS:dichvucong.example.vn' });
  });

  it('parses a single object (with BOM and CRLF) and an empty store', () => {
    const [one] = parseCertificateJson(fixture('powershell-one.json'));
    expect(one.cert.subject).toContain('CN=dichvucong.example.vn');
    expect(parseCertificateJson('')).toEqual([]);
    expect(parseCertificateJson('\r\n')).toEqual([]);
    expect(parseCertificateJson('[]')).toEqual([]);
  });
  it('builds a script that reads only the validated stores and prints JSON', () => {
    const script = storeScript(['LocalMachine\\My', 'LocalMachine\\Root']);
    expect(script).toContain("@('LocalMachine\\My', 'LocalMachine\\Root')");
    expect(script).toContain('ConvertTo-Json -InputObject $out -Compress');
  });
});
