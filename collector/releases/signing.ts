// Release keys and signatures (Ed25519, node:crypto) for `release keygen|sign|add`: the private key stays
// on the key holder's machine; the collector only ever sees the public key, when asked to check a signature.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { closeSync, createReadStream, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { RELEASE_LIMITS, releaseSignedText } from '../../protocol/index.ts';

/** A bad key, signature or build file: the command says which and why (exit 1 or 2, never a stack). */
export class ReleaseInputError extends Error {}

/** SHA-256 and size of a file, read as a stream (a build is about 100 MB). */
export async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new ReleaseInputError(`${file}: not a regular file`);
    size = st.size;
  } catch (err) {
    if (err instanceof ReleaseInputError) throw err;
    throw new ReleaseInputError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (size === 0) throw new ReleaseInputError(`${file}: empty file`);
  if (size > RELEASE_LIMITS.maxBytes) throw new ReleaseInputError(`${file}: ${size} bytes, more than the ${RELEASE_LIMITS.maxBytes} a release may have`);
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return { sha256: h.digest('hex'), size };
}

/** The one-line public key agents pin (`selfUpdate.publicKey`): base64 of the DER SubjectPublicKeyInfo. */
export function publicKeyLine(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'der' }).toString('base64');
}

/** A new key pair: the private key as PKCS#8 PEM written with mode 0600 (refusing to overwrite), the public line returned. */
export function generateReleaseKey(privateFile: string): { publicLine: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  let fd: number;
  try {
    fd = openSync(privateFile, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ReleaseInputError(code === 'EEXIST' ? `${privateFile}: exists already; a release key is never overwritten` : `${privateFile}: cannot create it (${code})`);
  }
  try {
    writeSync(fd, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  } finally {
    closeSync(fd);
  }
  return { publicLine: publicKeyLine(publicKey) };
}

export function readPrivateKey(file: string): KeyObject {
  let text: string;
  try {
    if (statSync(file).size > 16_384) throw new ReleaseInputError(`${file}: too large to be an Ed25519 private key`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ReleaseInputError) throw err;
    throw new ReleaseInputError(`${file}: cannot read the release key (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch {
    throw new ReleaseInputError(`${file}: not a PEM private key (expected the file \`canhgac-collector release keygen\` wrote)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ReleaseInputError(`${file}: a ${key.asymmetricKeyType} key; release keys are Ed25519`);
  return key;
}

/** A public key from its one-line form or a file holding it (or a PEM SPKI). */
export function readPublicKey(lineOrFile: string): KeyObject {
  let text = lineOrFile.trim();
  if (!/^[A-Za-z0-9+/=]+$/.test(text)) {
    try {
      text = readFileSync(lineOrFile, 'utf8').trim();
    } catch (err) {
      throw new ReleaseInputError(`${lineOrFile}: cannot read the public key (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  try {
    const key = text.startsWith('-----BEGIN') ? createPublicKey(text) : createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not ed25519');
    return key;
  } catch {
    throw new ReleaseInputError(`${lineOrFile}: not an Ed25519 public key (expected the line \`release keygen\` printed)`);
  }
}

/** The detached signature of a build: base64 of 64 bytes, over releaseSignedText (protocol/releases.ts). */
export async function signRelease(key: KeyObject, file: string): Promise<{ signature: string; sha256: string; size: number }> {
  const { sha256, size } = await hashFile(file);
  const signature = sign(null, Buffer.from(releaseSignedText(sha256, size)), key).toString('base64');
  return { signature, sha256, size };
}

/** The signature file's content as stored: one base64 line of a 64-byte signature, or a refusal. */
export function readSignatureFile(file: string): string {
  let text: string;
  try {
    if (statSync(file).size > 1024) throw new ReleaseInputError(`${file}: too large to be a release signature (expected one base64 line)`);
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if (err instanceof ReleaseInputError) throw err;
    throw new ReleaseInputError(`${file}: cannot read the signature (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!/^[A-Za-z0-9+/]{86}==$/.test(text) || Buffer.from(text, 'base64').length !== 64) {
    throw new ReleaseInputError(`${file}: not a release signature (expected one base64 line of 64 bytes, as \`release sign\` writes)`);
  }
  return text;
}

export function signatureValid(publicKey: KeyObject, sha256: string, size: number, signature: string): boolean {
  return verify(null, Buffer.from(releaseSignedText(sha256, size)), publicKey, Buffer.from(signature, 'base64'));
}
