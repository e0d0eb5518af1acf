// The profile files and the state database kept in step: what changed on disk becomes new versions
// (with who and when), and a profile put or deleted through the API is written to its file first.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CollectorConfig } from '../config.ts';
import type { ActorKind } from '../state/audit.ts';
import { sql } from 'kysely';
import type { StateSql } from '../state/sql/connect.ts';
import { latestProfileVersions, recordProfileVersions, type ProfileChange } from '../state/fleet.ts';
import { textHash, type Profile } from './profile-file.ts';
import { crossCheckProfiles, profileFile, readProfiles } from './profiles-dir.ts';

export interface Who {
  actor: string;
  actorKind: ActorKind;
  address?: string;
}

/** Enrolled, unrevoked agents and their agencies (for placeholders of profiles assigned to single agents). */
export async function enrolledAgents(state: StateSql): Promise<Map<string, string>> {
  const rows = (await sql<{ id: string; agency: string }>`SELECT id, agency FROM agents WHERE revoked_at IS NULL`.execute(state.db)).rows;
  return new Map(rows.map((r) => [r.id, r.agency]));
}

/** Every profile file, read and checked as a whole; throws ConfigError (ProfileErrors) naming each file. */
/** `enrolled`: from `enrolledAgents`, when there is a state to read it from. */
export function checkProfiles(config: Pick<CollectorConfig, 'fleet' | 'agencies'>, enrolled?: ReadonlyMap<string, string>, replace?: ReadonlyMap<string, string | null>): { profiles: Profile[]; warnings: string[] } {
  // The profiles being changed go last, so a conflict is reported against them rather than the others.
  const profiles = readProfiles(config.fleet.profilesDir, replace).sort((a, b) => Number(replace?.has(a.name) ?? 0) - Number(replace?.has(b.name) ?? 0));
  const warnings = crossCheckProfiles(config.fleet.profilesDir, profiles, config.agencies, enrolled);
  return { profiles, warnings };
}

/** Profiles whose text differs from the newest recorded version, and recorded ones whose file is gone. */
export async function pendingChanges(state: StateSql, profiles: readonly Profile[]): Promise<ProfileChange[]> {
  const latest = new Map((await latestProfileVersions(state)).map((r) => [r.name, r]));
  const changes: ProfileChange[] = [];
  for (const p of profiles) {
    const last = latest.get(p.name);
    if (!last || last.deleted || last.hash !== p.hash) changes.push({ name: p.name, hash: p.hash, body: p.text, deleted: false });
  }
  const onDisk = new Set(profiles.map((p) => p.name));
  for (const last of latest.values()) if (!last.deleted && !onDisk.has(last.name)) changes.push({ name: last.name, hash: textHash(''), body: '', deleted: true });
  return changes;
}

/** Read, check and record the files as they are now (collector start, `config push`, the reload API). */
export async function syncProfiles(state: StateSql, config: Pick<CollectorConfig, 'fleet' | 'agencies'>, who: Who): Promise<{ name: string; version: number; deleted: boolean }[]> {
  const changes = await pendingChanges(state, checkProfiles(config, await enrolledAgents(state)).profiles);
  return changes.length ? recordProfileVersions(state, changes, who) : [];
}

/**
 * A profile put (text) or deleted (null) through the API: checked together with the other files
 * before anything is written, then written to its file (atomically) and recorded.
 */
export async function putProfile(state: StateSql, config: Pick<CollectorConfig, 'fleet' | 'agencies'>, name: string, text: string | null, who: Who): Promise<{ name: string; version: number; deleted: boolean }[]> {
  checkProfiles(config, await enrolledAgents(state), new Map([[name, text]]));
  const file = profileFile(config.fleet.profilesDir, name);
  if (text === null) rmSync(file, { force: true });
  else {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, file);
  }
  return syncProfiles(state, config, who);
}
