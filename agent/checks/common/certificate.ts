// What the tls, cert_file and videoconf checks read from one X.509 certificate, with the same words
// and the same weakness rules for all of them.
import { X509Certificate } from 'node:crypto';

// Node's X509Certificate does the parsing; the only thing it does not expose on Node 20 is the
// signature algorithm, read here from the DER with a few lines of ASN.1.

export const DAY_MS = 86_400_000;

export interface CertFacts {
  subjectCn?: string;
  issuerCn?: string;
  /** Upper-case hexadecimal, as OpenSSL and Windows print it. */
  serial: string;
  notBeforeMs: number;
  notAfterMs: number;
  keyType: string;
  keyBits?: number;
  signatureAlgorithm: string;
  selfSigned: boolean;
  weakKey: boolean;
  weakSignature: boolean;
  sans: string;
  fingerprint256: string;
}

// The same certificates come back at every run (and a wildcard or an intermediate at many endpoints);
// what is read from one never changes, so it is read once. Bounded, the oldest forgotten first.
const FACTS_MAX = 4096;
const factsByFingerprint = new Map<string, CertFacts>();

export function describeCertificate(cert: X509Certificate): CertFacts {
  const known = factsByFingerprint.get(cert.fingerprint256);
  if (known) return known;
  const facts = readFacts(cert);
  if (factsByFingerprint.size >= FACTS_MAX) factsByFingerprint.delete(factsByFingerprint.keys().next().value!);
  factsByFingerprint.set(cert.fingerprint256, Object.freeze(facts));
  return facts;
}

function readFacts(cert: X509Certificate): CertFacts {
  const { keyType, keyBits } = keyOf(cert);
  const selfSigned = isSelfSigned(cert);
  const signatureAlgorithm = signatureAlgorithmOf(cert.raw);
  return {
    subjectCn: cnOf(cert.subject),
    issuerCn: cnOf(cert.issuer),
    serial: cert.serialNumber.toUpperCase(),
    notBeforeMs: Date.parse(cert.validFrom),
    notAfterMs: Date.parse(cert.validTo),
    keyType,
    keyBits,
    signatureAlgorithm,
    selfSigned,
    weakKey: isWeakKey(keyType, keyBits),
    // A root's signature on itself is never checked by anyone, so it cannot be weak in practice.
    weakSignature: !(selfSigned && cert.ca) && isWeakSignature(signatureAlgorithm),
    sans: clip(cert.subjectAltName ?? '', 1024),
    fingerprint256: cert.fingerprint256,
  };
}

/** Days from `nowMs` to `atMs`, negative once past; rounded to 1e-5 days (under a second). */
export function daysUntil(atMs: number, nowMs: number): number {
  return Math.round(((atMs - nowMs) / DAY_MS) * 1e5) / 1e5;
}

/** The first CN of a distinguished name as Node prints it (one `KEY=value` per line). */
export function cnOf(dn: string): string | undefined {
  for (const line of dn.split('\n')) {
    if (line.startsWith('CN=')) return clip(line.slice(3).replace(/\\(.)/g, '$1'), 200) || undefined;
  }
  return undefined;
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const CURVE_BITS: Record<string, number> = {
  prime256v1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
  secp224r1: 224,
  prime192v1: 192,
  secp192k1: 192,
  brainpoolP256r1: 256,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
};

function keyOf(cert: X509Certificate): { keyType: string; keyBits?: number } {
  try {
    const key = cert.publicKey;
    const type = key.asymmetricKeyType ?? 'unknown';
    const d = key.asymmetricKeyDetails ?? {};
    if (type === 'ed25519' || type === 'x25519') return { keyType: type, keyBits: 256 };
    if (type === 'ed448' || type === 'x448') return { keyType: type, keyBits: 448 };
    if (type === 'ec') {
      const curve = d.namedCurve ?? '';
      const bits = CURVE_BITS[curve] ?? (Number(/(\d{3})/.exec(curve)?.[1]) || undefined);
      return { keyType: 'ec', keyBits: bits };
    }
    return { keyType: type === 'rsa-pss' ? 'rsa' : type, keyBits: d.modulusLength };
  } catch {
    // A key type this OpenSSL build does not know (GOST, for one) must not hide the rest.
    return { keyType: 'unknown' };
  }
}

/** RSA and DSA under 2048 bits and EC under 224 bits: what NIST SP 800-131A disallows since 2014. */
export function isWeakKey(keyType: string, keyBits: number | undefined): boolean {
  if (keyBits === undefined) return false;
  if (keyType === 'rsa' || keyType === 'dsa') return keyBits < 2048;
  if (keyType === 'ec') return keyBits < 224;
  return false;
}

export function isWeakSignature(algorithm: string): boolean {
  return /md2|md4|md5|sha1(?!\d)|sha-1(?!\d)/i.test(algorithm);
}

export function isSelfSigned(cert: X509Certificate): boolean {
  return cert.checkIssued(cert) && verifies(cert, cert);
}

/** `child` names `parent` as issuer and carries its valid signature. */
export function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  return child.checkIssued(parent) && verifies(child, parent);
}

// A signature check is a public-key operation; the same pair (one intermediate under one root, a
// wildcard leaf on many endpoints) comes back at every endpoint and every run, and its answer never
// changes. Bounded: at most this many pairs are remembered, the oldest forgotten first.
const VERIFIED_PAIRS_MAX = 4096;
const verifiedPairs = new Map<string, boolean>();

function verifies(child: X509Certificate, parent: X509Certificate): boolean {
  const key = `${child.fingerprint256}>${parent.fingerprint256}`;
  const known = verifiedPairs.get(key);
  if (known !== undefined) return known;
  let ok: boolean;
  try {
    ok = child.verify(parent.publicKey);
  } catch {
    ok = false;
  }
  if (verifiedPairs.size >= VERIFIED_PAIRS_MAX) verifiedPairs.delete(verifiedPairs.keys().next().value!);
  verifiedPairs.set(key, ok);
  return ok;
}

// --- The signature algorithm, from the DER (Certificate ::= SEQUENCE { tbs, signatureAlgorithm, signature }).

const SIGNATURE_OIDS: Record<string, string> = {
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.3': 'md4WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.3.14.3.2.29': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.10040.4.3': 'dsa-with-SHA1',
  '2.16.840.1.101.3.4.3.1': 'dsa_with_SHA224',
  '2.16.840.1.101.3.4.3.2': 'dsa_with_SHA256',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
};

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

/** One DER tag-length-value at `offset`; throws on anything truncated or indefinite. */
export function readTlv(der: Uint8Array, offset: number): Tlv {
  if (offset + 2 > der.length) throw new Error('truncated DER');
  const tag = der[offset];
  let len = der[offset + 1];
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > der.length) throw new Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i];
    start += n;
  }
  if (start + len > der.length) throw new Error('truncated DER');
  return { tag, start, end: start + len };
}

function decodeOid(bytes: Uint8Array): string {
  const parts: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join('.');
}

export function signatureAlgorithmOf(der: Uint8Array): string {
  try {
    const outer = readTlv(der, 0);
    const tbs = readTlv(der, outer.start);
    const alg = readTlv(der, tbs.end);
    const oid = readTlv(der, alg.start);
    if (oid.tag !== 0x06) return 'unknown';
    const dotted = decodeOid(der.subarray(oid.start, oid.end));
    return SIGNATURE_OIDS[dotted] ?? dotted;
  } catch {
    return 'unknown';
  }
}

/** PFX ::= SEQUENCE { version INTEGER (3), ... }; a certificate starts with SEQUENCE { SEQUENCE ... }. */
export function looksLikePkcs12(der: Uint8Array): boolean {
  try {
    const outer = readTlv(der, 0);
    if (outer.tag !== 0x30) return false;
    const version = readTlv(der, outer.start);
    return version.tag === 0x02 && version.end - version.start === 1 && der[version.start] === 3;
  } catch {
    return false;
  }
}

const PEM_CERT = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g;

/** Every certificate block of a PEM text, parsed; unparsable blocks are counted, not thrown. */
export function certificatesFromPem(text: string): { certs: X509Certificate[]; bad: number } {
  const certs: X509Certificate[] = [];
  let bad = 0;
  for (const m of text.matchAll(PEM_CERT)) {
    try {
      certs.push(new X509Certificate(Buffer.from(m[1].replace(/[^A-Za-z0-9+/=]/g, ''), 'base64')));
    } catch {
      bad++;
    }
  }
  return { certs, bad };
}
