// The collector's HTTPS certificate: the configured one, or a self-signed one generated once and kept,
// so that agents can pin it and its fingerprint survives restarts.
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface ServerTls {
  cert: string;
  key: string;
  certFile: string;
  fingerprint256: string;
  generated: boolean;
}

/**
 * The configured certificate, or a self-signed one made on first start and kept in the data dir,
 * so agents can pin it (`collector.ca`) and its fingerprint stays the same across restarts.
 */
export async function serverTls(opts: { dataDir: string; cert?: string; key?: string }): Promise<ServerTls> {
  if (opts.cert && opts.key) {
    const cert = readFileSync(opts.cert, 'utf8');
    return { cert, key: readFileSync(opts.key, 'utf8'), certFile: opts.cert, fingerprint256: fingerprint(cert), generated: false };
  }
  const dir = join(opts.dataDir, 'tls');
  const certFile = join(dir, 'collector.crt');
  const keyFile = join(dir, 'collector.key');
  let generated = false;
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const host = hostname();
    const notAfter = new Date(Date.now() + 10 * 365 * 86_400_000);
    const pems = await generate([{ name: 'commonName', value: `canhgac-collector ${host}` }], {
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate: notAfter,
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: host },
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
      ],
    } as never);
    writeFileSync(keyFile, pems.private, { mode: 0o600 });
    writeFileSync(certFile, pems.cert, { mode: 0o644 });
    generated = true;
  }
  const cert = readFileSync(certFile, 'utf8');
  return { cert, key: readFileSync(keyFile, 'utf8'), certFile, fingerprint256: fingerprint(cert), generated };
}

export function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}
