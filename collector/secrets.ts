// The collector's secrets: agent and API tokens, one-time enrolment codes, and how they are hashed
// for storage and compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Tokens are 256 random bits: a plain SHA-256 is enough to store them (no offline guessing). */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function newAgentToken(): string {
  return `cga_${randomBytes(32).toString('base64url')}`;
}

export function newAdminToken(): string {
  return `cgadm_${randomBytes(32).toString('base64url')}`;
}

// Crockford base32 without I, L, O, U: easy to read out over the phone to an agency.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A one-time enrolment code such as `7KQ2-M9XD-4TRB-WP3H` (80 bits). */
export function newEnrollCode(): string {
  const bytes = randomBytes(16);
  let out = '';
  for (let i = 0; i < 16; i++) out += ALPHABET[bytes[i] & 31];
  return out.match(/.{4}/g)!.join('-');
}

/** Codes are typed by people: ignore case, dashes and spaces; read O as 0 and I/L as 1. */
export function normaliseEnrollCode(code: string): string {
  return code
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
}
