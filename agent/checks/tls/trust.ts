// The trust anchors the tls check judges chain_valid against: Node's roots, the system bundle and the
// check's own ca file.
import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { certificatesFromPem, issuedBy } from '../common/certificate.ts';

/*
 * The system bundle counts so that a CA added with update-ca-certificates is trusted; the `ca` file
 * carries government CAs that no public store has.
 *
 * The chain is verified here rather than by the handshake: OpenSSL stops at the first problem, and
 * an expired leaf would hide an untrusted chain. Dates are left out on purpose (`expired` says it).
 */

const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];

export class TrustStore {
  private readonly bySubject = new Map<string, X509Certificate[]>();
  private readonly fingerprints = new Set<string>();

  constructor(anchors: Iterable<X509Certificate>) {
    for (const a of anchors) {
      if (this.fingerprints.has(a.fingerprint256)) continue;
      this.fingerprints.add(a.fingerprint256);
      const list = this.bySubject.get(a.subject) ?? [];
      list.push(a);
      this.bySubject.set(a.subject, list);
    }
  }

  get size(): number {
    return this.fingerprints.size;
  }

  /**
   * A path from `chain[0]` through CA certificates the server sent to an anchor, each signature
   * checked. A leaf that is itself an anchor (a pinned self-signed certificate) is trusted.
   */
  verifies(chain: readonly X509Certificate[]): boolean {
    if (chain.length === 0) return false;
    const walk = (cert: X509Certificate, depth: number, used: Set<string>): boolean => {
      if (this.fingerprints.has(cert.fingerprint256)) return true;
      if (depth >= 8) return false;
      for (const anchor of this.bySubject.get(cert.issuer) ?? []) {
        if (anchor.ca && issuedBy(cert, anchor)) return true;
      }
      for (const next of chain) {
        if (used.has(next.fingerprint256) || !next.ca || !issuedBy(cert, next)) continue;
        if (walk(next, depth + 1, new Set(used).add(next.fingerprint256))) return true;
      }
      return false;
    };
    return walk(chain[0], 0, new Set([chain[0].fingerprint256]));
  }
}

interface CachedFile {
  mtimeMs: number;
  size: number;
  certs: X509Certificate[];
}
const fileCache = new Map<string, CachedFile>();
let bundled: X509Certificate[] | undefined;

/** Certificates of a PEM file, parsed again only when the file changed. Throws when unreadable. */
export async function readPemFile(file: string): Promise<X509Certificate[]> {
  const st = await stat(file);
  const hit = fileCache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.certs;
  const { certs } = certificatesFromPem(await readFile(file, 'utf8'));
  fileCache.set(file, { mtimeMs: st.mtimeMs, size: st.size, certs });
  return certs;
}

async function systemAnchors(): Promise<X509Certificate[]> {
  const candidates = process.env.SSL_CERT_FILE ? [process.env.SSL_CERT_FILE, ...SYSTEM_BUNDLES] : SYSTEM_BUNDLES;
  if (process.platform === 'win32') return [];
  for (const file of candidates) {
    try {
      return await readPemFile(file);
    } catch {
      // not this one
    }
  }
  return [];
}

/** Throws only when `caFile` is set and cannot be read: the caller reports that. */
export async function loadTrustStore(caFile?: string): Promise<TrustStore> {
  bundled ??= certificatesFromPem(rootCertificates.join('\n')).certs;
  const extra = caFile ? await readPemFile(caFile) : [];
  if (caFile && extra.length === 0) throw Object.assign(new Error(`no certificate in ${caFile}`), { code: 'ENOCERT' });
  return new TrustStore([...bundled, ...(await systemAnchors()), ...extra]);
}
