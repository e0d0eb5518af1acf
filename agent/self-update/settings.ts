// The local file's `selfUpdate` section: the pinned release public key (never one the collector sends),
// the rollout channel, downgrades, and the bounds of a download and of the new build's health check.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { durationIssue, parseDuration, RELEASE_CHANNEL_PATTERN, RELEASE_LIMITS, type ConfigIssue } from '../../protocol/index.ts';

export const SelfUpdateSection = Type.Object(
  {
    publicKey: Type.String({ minLength: 1, maxLength: 200, expected: 'the release public key, the one line `canhgac-collector release keygen` printed (MCowBQYDK2VwAyEA...)' }),
    channel: Type.String({ default: 'stable', pattern: RELEASE_CHANNEL_PATTERN, expected: 'a channel name such as stable or pilot (lower case)' }),
    allowDowngrade: Type.Boolean({ default: false, expected: 'true or false' }),
    healthTimeout: Type.String({ default: '2m', expected: 'a duration from 5s to 30m, such as 2m' }),
    downloadTimeout: Type.String({ default: '15m', expected: 'a duration from 10s to 2h, such as 15m' }),
    maxBytes: Type.Integer({ minimum: 1_048_576, maximum: RELEASE_LIMITS.maxBytes, default: 268_435_456, expected: `a size in bytes from 1048576 to ${RELEASE_LIMITS.maxBytes}` }),
  },
  { additionalProperties: false },
);
type SelfUpdateSectionDoc = Static<typeof SelfUpdateSection>;

export interface SelfUpdateSettings {
  publicKey: KeyObject;
  channel: string;
  allowDowngrade: boolean;
  healthTimeoutMs: number;
  downloadTimeoutMs: number;
  maxBytes: number;
}

/** The public key from its one-line form, or undefined when it is not an Ed25519 key. */
export function parsePublicKey(line: string): KeyObject | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(line)) return undefined;
  try {
    const key = createPublicKey({ key: Buffer.from(line, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ed25519' ? key : undefined;
  } catch {
    return undefined;
  }
}

/** Problems beyond the schema (the key itself, the durations); [] when the section is good. */
export function selfUpdateIssues(doc: SelfUpdateSectionDoc): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (!parsePublicKey(doc.publicKey)) {
    issues.push({ path: 'selfUpdate.publicKey', message: `expected the Ed25519 public key line \`canhgac-collector release keygen\` printed (MCowBQYDK2VwAyEA...), got ${JSON.stringify(doc.publicKey.slice(0, 60))}` });
  }
  const health = durationIssue(doc.healthTimeout, 'selfUpdate.healthTimeout', { minMs: 5000, maxMs: 1_800_000 });
  const download = durationIssue(doc.downloadTimeout, 'selfUpdate.downloadTimeout', { minMs: 10_000, maxMs: 7_200_000 });
  if (health) issues.push(health);
  if (download) issues.push(download);
  return issues;
}

/** The settings in force, once selfUpdateIssues found nothing. */
export function resolveSelfUpdate(doc: SelfUpdateSectionDoc | undefined): SelfUpdateSettings | undefined {
  if (!doc) return undefined;
  return {
    publicKey: parsePublicKey(doc.publicKey)!,
    channel: doc.channel,
    allowDowngrade: doc.allowDowngrade,
    healthTimeoutMs: parseDuration(doc.healthTimeout)!,
    downloadTimeoutMs: parseDuration(doc.downloadTimeout)!,
    maxBytes: doc.maxBytes,
  };
}
