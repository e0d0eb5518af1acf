/**
 * The Windows machine certificate store, read through PowerShell. Only the raw DER of each
 * certificate crosses over (base64 in JSON), and Node parses it: nothing depends on the language
 * Windows speaks (dates, "Subject" formatting), which is what breaks text-scraping readers.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';

export interface StoreEntry {
  store: string;
  thumbprint: string;
  cert: X509Certificate;
}

export function storeScript(stores: readonly string[]): string {
  // Store names are validated against STORE_PATTERN (spec.ts) before they get here.
  const list = stores.map((s) => `'${s}'`).join(', ');
  return `
$ErrorActionPreference = 'Stop'
$out = @(foreach ($s in @(${list})) {
  foreach ($c in Get-ChildItem -Path ('Cert:\\' + $s)) {
    [pscustomobject]@{ store = $s; thumbprint = $c.Thumbprint; raw = [Convert]::ToBase64String($c.RawData) }
  }
})
ConvertTo-Json -InputObject $out -Compress
`;
}

/** Runs a script with Windows PowerShell 5.1 (present on every supported Windows); resolves to stdout. */
export function powershellJson(script: string, env: Record<string, string> = {}): Promise<string> {
  const encoded = Buffer.from(script, 'utf16le').toString('base64');
  return new Promise((resolve, reject) => {
    execFile(
      'powershell.exe',
      ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', encoded],
      { env: { ...process.env, ...env }, timeout: 30_000, maxBuffer: 64 * 1024 * 1024, windowsHide: true },
      (err, stdout, stderr) => {
        if (err) reject(new Error(String(stderr).trim().split('\n')[0] || err.message));
        else resolve(String(stdout));
      },
    );
  });
}

function field(o: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(o).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : o[key];
}

/**
 * PowerShell's JSON as it really comes: maybe a BOM and CRLF, an object instead of an array when
 * there is one item (5.1 without -InputObject), nothing at all for an empty store.
 */
export function parseCertificateJson(text: string): StoreEntry[] {
  const clean = text.replace(/^\uFEFF/, '').trim();
  if (clean === '' || clean === 'null') return [];
  const parsed: unknown = JSON.parse(clean);
  const items = Array.isArray(parsed) ? parsed : [parsed];
  const out: StoreEntry[] = [];
  for (const item of items) {
    if (item === null || typeof item !== 'object') continue;
    const o = item as Record<string, unknown>;
    const raw = field(o, 'raw') ?? field(o, 'rawdata');
    if (typeof raw !== 'string') continue;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(Buffer.from(raw, 'base64'));
    } catch {
      continue;
    }
    const store = field(o, 'store');
    const thumbprint = field(o, 'thumbprint');
    out.push({ store: typeof store === 'string' ? store : 'unknown', thumbprint: typeof thumbprint === 'string' ? thumbprint : '', cert });
  }
  return out;
}

export async function readStores(stores: readonly string[]): Promise<StoreEntry[]> {
  return parseCertificateJson(await powershellJson(storeScript(stores)));
}
