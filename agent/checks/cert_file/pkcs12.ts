// Reads the certificates of a PKCS#12 file (.p12/.pfx) for the cert_file check through the system's
// openssl or PowerShell, the password passed by environment or file, never on a command line.
import { execFile } from 'node:child_process';
import type { X509Certificate } from 'node:crypto';
import { certificatesFromPem } from '../common/certificate.ts';
import { powershellJson, parseCertificateJson } from './windows-store.ts';

/**
 * PKCS#12 (.p12/.pfx). Node cannot open them, and the JavaScript readers at hand (pkijs, which
 * selfsigned brings) only know PBES2, while the files agencies hold are often the older
 * RC2/3DES kind. So the system does it: `openssl pkcs12 -nokeys` where OpenSSL is (every Linux),
 * retried with `-legacy` for RC2-40; .NET's X509Certificate2Collection through PowerShell on Windows.
 *
 * The password goes from the agent's environment or a file straight to the tool: `-passin env:NAME`
 * or `-passin file:PATH`, an environment variable for PowerShell. Never a command-line argument,
 * never a log line. Private keys are never asked for.
 */

export type PasswordSource = { env: string } | { file: string } | undefined;

export class Pkcs12Error extends Error {}

const TIMEOUT_MS = 15_000;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string; missing?: boolean }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, windowsHide: true }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout: String(stdout), stderr: String(stderr), missing: e?.code === 'ENOENT' });
    });
  });
}

/** Certificates of a PKCS#12 file; throws Pkcs12Error with words a person can act on. */
export async function readPkcs12(file: string, password: PasswordSource): Promise<X509Certificate[]> {
  if (password && 'env' in password && process.env[password.env] === undefined) {
    throw new Pkcs12Error(`the environment variable ${password.env} (passwordEnv) is not set`);
  }
  return process.platform === 'win32' ? readWithPowerShell(file, password) : readWithOpenSsl(file, password);
}

async function readWithOpenSsl(file: string, password: PasswordSource): Promise<X509Certificate[]> {
  // An empty password is what `openssl pkcs12 -export -passout pass:` and Windows "no password" write.
  const passin = !password ? 'pass:' : 'env' in password ? `env:${password.env}` : `file:${password.file}`;
  const args = ['pkcs12', '-in', file, '-nokeys', '-passin', passin];
  let r = await run('openssl', args, process.env);
  if (r.missing) throw new Pkcs12Error('reading PKCS#12 needs the openssl command, which was not found');
  if (r.code !== 0 && /unsupported|RC2|inner_evp_generic_fetch/i.test(r.stderr)) {
    // OpenSSL 3 keeps RC2-40 and friends in its legacy provider.
    r = await run('openssl', ['pkcs12', '-legacy', ...args.slice(1)], process.env);
  }
  if (r.code !== 0) throw new Pkcs12Error(opensslReason(r.stderr, password));
  const { certs } = certificatesFromPem(r.stdout);
  if (certs.length === 0) throw new Pkcs12Error('the PKCS#12 file holds no certificate');
  return certs;
}

function opensslReason(stderr: string, password: PasswordSource): string {
  if (/mac verify|invalid password/i.test(stderr)) {
    return password ? 'wrong password (PKCS#12 integrity check failed)' : 'the file needs a password: set passwordEnv or passwordFile';
  }
  if (/Can't open|No such file/i.test(stderr) && password && 'file' in password) return `cannot read the password file ${password.file}`;
  if (/not enough data|asn1|header too long|wrong tag/i.test(stderr)) return 'not a valid PKCS#12 file';
  const line = stderr.split('\n').find((l) => l.trim() !== '') ?? 'unknown error';
  return `openssl pkcs12 failed: ${line.slice(0, 200)}`;
}

// The password reaches PowerShell in the environment of that one process, not on its command line.
const PFX_SCRIPT = `
$ErrorActionPreference = 'Stop'
$pw = $env:CANHGAC_PFX_PASSWORD
if ($null -eq $pw) { $pw = '' }
$col = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2Collection
$col.Import($env:CANHGAC_PFX_PATH, $pw, [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::DefaultKeySet)
$out = @($col | ForEach-Object { [pscustomobject]@{ store = 'file'; thumbprint = $_.Thumbprint; raw = [Convert]::ToBase64String($_.RawData) } })
ConvertTo-Json -InputObject $out -Compress
`;

async function readWithPowerShell(file: string, password: PasswordSource): Promise<X509Certificate[]> {
  let secret = '';
  if (password && 'env' in password) secret = process.env[password.env] ?? '';
  else if (password && 'file' in password) {
    const { readFile } = await import('node:fs/promises');
    try {
      secret = (await readFile(password.file, 'utf8')).split(/\r?\n/)[0];
    } catch {
      throw new Pkcs12Error(`cannot read the password file ${password.file}`);
    }
  }
  let text: string;
  try {
    text = await powershellJson(PFX_SCRIPT, { CANHGAC_PFX_PATH: file, CANHGAC_PFX_PASSWORD: secret });
  } catch (err) {
    const msg = (err as Error).message;
    throw new Pkcs12Error(/password/i.test(msg) ? 'wrong password (PKCS#12 integrity check failed)' : `cannot read the PKCS#12 file: ${msg.slice(0, 200)}`);
  }
  return parseCertificateJson(text).map((c) => c.cert);
}
