// The builds agents may install: `release add` copies a signed build under dataDir/releases and records
// its size, SHA-256 and signature; rollouts say who should run which version (state tables in state/db.ts).
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { compareVersions, RELEASE_PLATFORM_PATTERN, RELEASE_VERSION_PATTERN, type ReleaseEntry, type RolloutEntry, type RolloutRequest } from '../../protocol/index.ts';
import { sql } from 'kysely';
import type { StateSql } from '../state/sql/connect.ts';
import { hashFile, readPublicKey, readSignatureFile, ReleaseInputError, signatureValid } from './signing.ts';

export interface StoredRelease extends ReleaseEntry {
  signature: string;
}

/** Where a build's file lives: dataDir/releases/VERSION/PLATFORM/canhgac-agent (.exe on Windows). */
export function releaseFile(dataDir: string, version: string, platform: string): string {
  return join(dataDir, 'releases', version, platform, platform.startsWith('win32') ? 'canhgac-agent.exe' : 'canhgac-agent');
}

export interface AddRelease {
  file: string;
  signatureFile: string;
  version: string;
  platform: string;
  /** When given, the signature is checked against it before anything is stored. */
  publicKey?: string;
  actor: string;
}

/** Checks and stores one build; refuses a bad version, platform, signature file, a duplicate or (with a key) a wrong signature. */
export async function addRelease(state: StateSql, dataDir: string, r: AddRelease, now = Date.now()): Promise<StoredRelease> {
  if (!new RegExp(RELEASE_VERSION_PATTERN).test(r.version)) throw new ReleaseInputError(`--version: expected three numbers such as 1.4.0, got ${JSON.stringify(r.version)}`);
  if (!new RegExp(RELEASE_PLATFORM_PATTERN).test(r.platform)) throw new ReleaseInputError(`--platform: expected linux-x64, win32-x64, linux-arm64, ..., got ${JSON.stringify(r.platform)}`);
  if (await getRelease(state, r.version, r.platform)) throw new ReleaseInputError(`release ${r.version} (${r.platform}) is stored already; a published version is never replaced, publish a new one`);
  const signature = readSignatureFile(r.signatureFile);
  const { sha256, size } = await hashFile(r.file);
  if (r.publicKey && !signatureValid(readPublicKey(r.publicKey), sha256, size, signature)) {
    throw new ReleaseInputError(`${r.signatureFile}: the signature does not match ${r.file} under the given public key (another file, another key, or a changed file)`);
  }
  const target = releaseFile(dataDir, r.version, r.platform);
  mkdirSync(join(target, '..'), { recursive: true, mode: 0o750 });
  const tmp = `${target}.tmp-${process.pid}`;
  copyFileSync(r.file, tmp);
  // The copy is what agents get: hash it again, so a file changed while it was copied is not published.
  const copied = await hashFile(tmp);
  if (copied.sha256 !== sha256) {
    rmSync(tmp, { force: true });
    throw new ReleaseInputError(`${r.file} changed while it was copied; nothing was stored`);
  }
  renameSync(tmp, target);
  await sql`INSERT INTO releases (version, platform, size, sha256, signature, added_at, added_by)
    VALUES (${r.version}, ${r.platform}, ${size}, ${sha256}, ${signature}, ${now}, ${r.actor})`.execute(state.db);
  return { version: r.version, platform: r.platform, size, sha256, signature, addedAt: new Date(now).toISOString(), addedBy: r.actor };
}

interface ReleaseRow {
  version: string;
  platform: string;
  size: number;
  sha256: string;
  signature: string;
  added_at: number;
  added_by: string;
}

const toRelease = (r: ReleaseRow): StoredRelease => ({
  version: r.version,
  platform: r.platform,
  size: r.size,
  sha256: r.sha256,
  signature: r.signature,
  addedAt: new Date(r.added_at).toISOString(),
  addedBy: r.added_by,
});

const RELEASE_COLUMNS = sql`version, platform, size, sha256, signature, added_at, added_by`;

export async function getRelease(state: StateSql, version: string, platform: string): Promise<StoredRelease | undefined> {
  const row = (await sql<ReleaseRow>`SELECT ${RELEASE_COLUMNS} FROM releases WHERE version = ${version} AND platform = ${platform}`.execute(state.db)).rows[0];
  return row ? toRelease(row) : undefined;
}

/** Newest version first (every stored build: each is a file an administrator added by hand). */
export async function listReleases(state: StateSql): Promise<StoredRelease[]> {
  const rows = (await sql<ReleaseRow>`SELECT ${RELEASE_COLUMNS} FROM releases`.execute(state.db)).rows.map(toRelease);
  return rows.sort((a, b) => (compareVersions(b.version, a.version) ?? 0) || a.platform.localeCompare(b.platform));
}

/** The stored file of a release, when both the row and the file are there. */
export async function storedFile(state: StateSql, dataDir: string, version: string, platform: string): Promise<{ release: StoredRelease; file: string } | undefined> {
  const release = await getRelease(state, version, platform);
  const file = releaseFile(dataDir, version, platform);
  return release && existsSync(file) ? { release, file } : undefined;
}

interface RolloutRow {
  id: number;
  version: string;
  channel: string;
  percent: number;
  agencies: string;
  created_at: number;
  created_by: string;
}

const toRollout = (r: RolloutRow): RolloutEntry => ({
  id: r.id,
  version: r.version,
  channel: r.channel,
  percent: r.percent,
  agencies: JSON.parse(r.agencies) as string[],
  createdAt: new Date(r.created_at).toISOString(),
  createdBy: r.created_by,
});

const ROLLOUT_COLUMNS = sql`id, version, channel, percent, agencies, created_at, created_by`;

/** A new rollout replaces the channel's previous one; its version must be stored. */
export async function addRollout(state: StateSql, req: RolloutRequest, actor: string, now = Date.now()): Promise<RolloutEntry> {
  const stored = await sql`SELECT 1 AS one FROM releases WHERE version = ${req.version} LIMIT 1`.execute(state.db);
  if (stored.rows.length === 0) throw new ReleaseInputError(`no stored release ${req.version}; add it first (canhgac-collector release add)`);
  const agencies = JSON.stringify([...new Set(req.agencies ?? [])].sort());
  const row = await sql<RolloutRow>`INSERT INTO release_rollouts (version, channel, percent, agencies, created_at, created_by)
    VALUES (${req.version}, ${req.channel ?? 'stable'}, ${req.percent ?? 100}, ${agencies}, ${now}, ${actor}) RETURNING ${ROLLOUT_COLUMNS}`.execute(state.db);
  return toRollout(row.rows[0]);
}

/** The rollout in force per channel (the newest of each). */
export async function currentRollouts(state: StateSql): Promise<Map<string, RolloutEntry>> {
  const rows = (await sql<RolloutRow>`SELECT ${ROLLOUT_COLUMNS} FROM release_rollouts WHERE id IN (SELECT MAX(id) FROM release_rollouts GROUP BY channel)`.execute(state.db)).rows;
  return new Map(rows.map((r) => [r.channel, toRollout(r)]));
}
