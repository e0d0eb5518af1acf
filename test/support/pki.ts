/**
 * A test PKI made by the real `openssl` (OpenSSL 3.0 has no `x509 -not_before`, so leaves go
 * through `openssl ca -startdate/-enddate`): a root, an intermediate, a short-lived intermediate,
 * and leaves for every case the certificate checks must tell apart. Names are under .invalid or
 * localhost/127.0.0.1: nothing here could ever resolve to another machine.
 */
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Leaf {
  name: string;
  key: string;
  cert: string;
  /** Leaf followed by the intermediate that issued it (empty for self-signed). */
  chainPem: string;
  /** Files on disk. */
  keyFile: string;
  certFile: string;
  notAfter: Date;
  serial: string;
}

export interface Pki {
  dir: string;
  rootPem: string;
  rootFile: string;
  intermediatePem: string;
  shortIntermediatePem: string;
  shortIntermediateNotAfter: Date;
  leaves: Record<LeafName, Leaf>;
  cleanup(): void;
}

export type LeafName = 'good' | 'd29' | 'd6' | 'expired' | 'selfSigned' | 'wrongHost' | 'rsa1024' | 'sha1' | 'shortChain' | 'sni' | 'mail';

const DAY = 86_400_000;

function openssl(args: string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const execFileAsync = promisify(execFile);
async function opensslAsync(args: string[], cwd: string): Promise<void> {
  await execFileAsync('openssl', args, { cwd });
}

/** `openssl ca` wants GeneralizedTime without fractions. */
function asn1Time(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

function caConfig(dir: string, name: string): string {
  const base = join(dir, name);
  mkdirSync(join(base, 'new'), { recursive: true });
  writeFileSync(join(base, 'index.txt'), '');
  writeFileSync(join(base, 'serial'), `${(0x100000 + Math.floor(Math.random() * 0xe00000)).toString(16)}01\n`);
  const file = join(base, 'ca.cnf');
  writeFileSync(
    file,
    `[ ca ]
default_ca = this
[ this ]
dir = ${base}
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
certificate = $dir/cert.pem
private_key = $dir/key.pem
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
organizationName = optional
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
`,
  );
  return file;
}

type KeyKind = 'ec' | 'rsa2048' | 'rsa1024';

/** Key and CSR in one go; run in parallel (RSA key generation is the slow part). */
async function newKeyAndCsr(dir: string, id: string, kind: KeyKind, cn: string): Promise<void> {
  const key = join(dir, `${id}.key`);
  if (kind === 'ec') await opensslAsync(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], dir);
  else await opensslAsync(['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${kind === 'rsa2048' ? 2048 : 1024}`, '-out', key], dir);
  await opensslAsync(['req', '-new', '-key', key, '-subj', `/O=Canh Gac Test/CN=${cn}`, '-out', join(dir, `${id}.csr`)], dir);
}

interface Issue {
  caCnf: string;
  start: Date;
  end: Date;
  ext: string;
  md?: string;
}

function issue(dir: string, id: string, o: Issue): { key: string; cert: string } {
  const key = join(dir, `${id}.key`);
  const csr = join(dir, `${id}.csr`);
  const cert = join(dir, `${id}.pem`);
  const ext = join(dir, `${id}.ext`);
  writeFileSync(ext, o.ext);
  openssl(
    ['ca', '-batch', '-notext', '-config', o.caCnf, '-in', csr, '-out', cert, '-startdate', asn1Time(o.start), '-enddate', asn1Time(o.end), '-md', o.md ?? 'sha256', '-extfile', ext],
    dir,
  );
  return { key, cert };
}

const LEAF_EXT = (san: string) => `basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = ${san}
`;
const CA_EXT = `basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
`;
export const LOCAL_SAN = 'DNS:localhost, IP:127.0.0.1';
export const SNI_NAME = 'portal.canhgac.invalid';
export const MAIL_NAME = 'mail.canhgac.invalid';

const LEAVES: { name: LeafName; cn: string; key: KeyKind; from: number; to: number; san?: string; md?: string; ca?: 'int' | 'short' }[] = [
  { name: 'good', cn: 'localhost', key: 'rsa2048', from: -1, to: 400 },
  { name: 'd29', cn: 'localhost', key: 'ec', from: -1, to: 29 },
  { name: 'd6', cn: 'localhost', key: 'ec', from: -1, to: 6 },
  { name: 'expired', cn: 'localhost', key: 'ec', from: -400, to: -3 },
  { name: 'wrongHost', cn: 'wrong-host.invalid', key: 'ec', from: -1, to: 400, san: 'DNS:wrong-host.invalid' },
  { name: 'rsa1024', cn: 'localhost', key: 'rsa1024', from: -1, to: 400 },
  // An EC key, but signed by the RSA intermediate with SHA-1: sha1WithRSAEncryption.
  { name: 'sha1', cn: 'localhost', key: 'ec', from: -1, to: 400, md: 'sha1' },
  { name: 'shortChain', cn: 'localhost', key: 'ec', from: -1, to: 400, ca: 'short' },
  { name: 'sni', cn: SNI_NAME, key: 'ec', from: -1, to: 400, san: `DNS:${SNI_NAME}` },
  { name: 'mail', cn: MAIL_NAME, key: 'ec', from: -1, to: 90, san: `DNS:${MAIL_NAME}, ${LOCAL_SAN}` },
];

export async function makePki(now = new Date()): Promise<Pki> {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-pki-'));
  const at = (days: number) => new Date(Math.floor((now.getTime() + days * DAY) / 1000) * 1000);

  // Every key and request at once; signing below goes one by one (openssl ca keeps a serial file).
  const rootKey = join(dir, 'root.key');
  await Promise.all([
    opensslAsync(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', rootKey], dir),
    newKeyAndCsr(dir, 'int-req', 'rsa2048', 'Canh Gac Test Intermediate CA'),
    newKeyAndCsr(dir, 'short-req', 'ec', 'Canh Gac Test Short Intermediate'),
    opensslAsync(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'selfSigned.key'), '-subj', '/O=Canh Gac Test/CN=localhost', '-days', '400', '-sha256', '-out', join(dir, 'selfSigned.pem'), '-addext', `subjectAltName=${LOCAL_SAN}`], dir),
    ...LEAVES.map((l) => newKeyAndCsr(dir, l.name, l.key, l.cn)),
  ]);

  const rootCnf = caConfig(dir, 'root');
  const rootCert = join(dir, 'root', 'cert.pem');
  writeFileSync(join(dir, 'root', 'key.pem'), readFileSync(rootKey));
  openssl(['req', '-x509', '-new', '-key', rootKey, '-subj', '/O=Canh Gac Test/CN=Canh Gac Test Root CA', '-days', '3650', '-sha256', '-out', rootCert, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);

  const intCnf = caConfig(dir, 'int');
  const int = issue(dir, 'int-req', { caCnf: rootCnf, start: at(-30), end: at(1825), ext: CA_EXT });
  writeFileSync(join(dir, 'int', 'key.pem'), readFileSync(int.key));
  writeFileSync(join(dir, 'int', 'cert.pem'), readFileSync(int.cert));

  const shortNotAfter = at(20);
  const shortCnf = caConfig(dir, 'short');
  const short = issue(dir, 'short-req', { caCnf: rootCnf, start: at(-30), end: shortNotAfter, ext: CA_EXT });
  writeFileSync(join(dir, 'short', 'key.pem'), readFileSync(short.key));
  writeFileSync(join(dir, 'short', 'cert.pem'), readFileSync(short.cert));

  const intPem = readFileSync(int.cert, 'utf8');
  const shortPem = readFileSync(short.cert, 'utf8');
  const leaves = {} as Record<LeafName, Leaf>;
  for (const l of LEAVES) {
    const ca = l.ca ?? 'int';
    const end = at(l.to);
    const r = issue(dir, l.name, { caCnf: ca === 'int' ? intCnf : shortCnf, start: at(l.from), end, md: l.md, ext: LEAF_EXT(l.san ?? LOCAL_SAN) });
    const cert = readFileSync(r.cert, 'utf8');
    leaves[l.name] = finish(l.name, r.key, r.cert, cert, cert + (ca === 'int' ? intPem : shortPem), end);
  }

  const ssCert = join(dir, 'selfSigned.pem');
  const ssPem = readFileSync(ssCert, 'utf8');
  leaves.selfSigned = finish('selfSigned', join(dir, 'selfSigned.key'), ssCert, ssPem, ssPem, notAfterOf(ssPem));

  return {
    dir,
    rootPem: readFileSync(rootCert, 'utf8'),
    rootFile: rootCert,
    intermediatePem: intPem,
    shortIntermediatePem: shortPem,
    shortIntermediateNotAfter: shortNotAfter,
    leaves,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function notAfterOf(pem: string): Date {
  return new Date(new X509Certificate(pem).validTo);
}

function finish(name: string, keyFile: string, certFile: string, cert: string, chainPem: string, notAfter: Date): Leaf {
  const serial = new X509Certificate(cert).serialNumber.toUpperCase();
  return { name, key: readFileSync(keyFile, 'utf8'), cert, chainPem, keyFile, certFile, notAfter, serial };
}
