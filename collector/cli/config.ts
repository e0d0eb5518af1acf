// `config check|diff|push`: the profile files (central check configuration) checked, compared with
// what the collector serves, and recorded as new versions that the running collector sends to agents.
import { existsSync } from 'node:fs';
import type { CollectorConfig } from '../config.ts';
import { lineDiff } from '../fleet/diff.ts';
import { profileFile } from '../fleet/profiles-dir.ts';
import { checkProfiles, enrolledAgents, pendingChanges, syncProfiles } from '../fleet/sync.ts';
import { statePath } from '../state/open.ts';
import { latestProfileVersions } from '../state/fleet.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { cliActor, loadConfig, parseOptions, printTable, stdout, UsageError, withState, type CommandGroup, type Out } from './common.ts';

export const CONFIG_USAGE = `  canhgac-collector config check [--config FILE]          check the collector config and every profile file (fleet.profilesDir)
  canhgac-collector config diff  [--config FILE]          what a push would change: each profile file against the version served now
  canhgac-collector config push  [--config FILE]          record the profile files as new versions; agents get them at their next poll
`;

/**
 * The state database when there is one already (a check on a machine without a collector needs none);
 * a PostgreSQL state is always there to ask.
 */
async function withStateIfAny<T>(config: CollectorConfig, fn: (state: StateSql | undefined) => Promise<T>): Promise<T> {
  return config.state.driver === 'postgres' || existsSync(statePath(config)) ? withState(config, (state) => fn(state)) : fn(undefined);
}

export async function configCheck(config: CollectorConfig, out: Out = stdout): Promise<number> {
  const { profiles, warnings } = await withStateIfAny(config, async (state) => checkProfiles(config, state ? await enrolledAgents(state) : undefined));
  for (const w of warnings) out(`warning: ${w}\n`);
  if (profiles.length > 0) {
    printTable([['PROFILE', 'AGENCIES', 'AGENTS', 'CHECKS'], ...profiles.map((p) => [p.name, p.doc.agencies.join(',') || '-', String(p.doc.agents.length), String(p.doc.checks.length)])], out);
  }
  out(`${config.file}: ok, ${config.agencies.length} agencies; ${config.fleet.profilesDir}: ok, ${profiles.length} profile(s)\n`);
  out('check types and their keys are judged by each agent with its own validation; a profile an agent refuses shows with the reasons in `GET /api/v1/fleet/agents` and the console\n');
  return 0;
}

export async function configDiff(config: CollectorConfig, out: Out = stdout): Promise<number> {
  const { served, changes } = await withStateIfAny(config, async (state) => {
    const { profiles } = checkProfiles(config, state ? await enrolledAgents(state) : undefined);
    if (!state) return { served: [], changes: profiles.map((p) => ({ name: p.name, hash: p.hash, body: p.text, deleted: false })) };
    return { served: await latestProfileVersions(state), changes: await pendingChanges(state, profiles) };
  });
  const byName = new Map(served.map((r) => [r.name, r]));
  for (const c of changes) {
    const before = byName.get(c.name);
    const from = before && !before.deleted ? before : undefined;
    const label = from ? `served: ${c.name} version ${from.version}` : `served: (no ${c.name})`;
    out(lineDiff(from?.body ?? '', c.deleted ? '' : c.body, { from: label, to: c.deleted ? `${c.name}: file deleted` : profileFile(config.fleet.profilesDir, c.name) }));
  }
  out(changes.length === 0 ? 'no differences: the collector serves the profile files as they are\n' : `${changes.length} profile(s) differ; \`canhgac-collector config push\` records them\n`);
  return 0;
}

export async function configPush(config: CollectorConfig, out: Out = stdout): Promise<number> {
  const changed = await withState(config, (state) => syncProfiles(state, config, { actor: cliActor(), actorKind: 'cli' }));
  if (changed.length === 0) return out('nothing to push: the collector serves the profile files as they are\n'), 0;
  for (const c of changed) out(c.deleted ? `${c.name}: deleted (version ${c.version})\n` : `${c.name}: version ${c.version}\n`);
  out('a running collector sends them to its agents within a few seconds (at their next poll)\n');
  return 0;
}

export async function configCommand(_command: string, argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, {}, 1);
  const sub = positionals[0];
  if (sub !== 'check' && sub !== 'diff' && sub !== 'push') throw new UsageError(`config: expected check, diff or push${sub ? `, got "${sub}"` : ''}`);
  const config = loadConfig(values);
  return sub === 'check' ? configCheck(config) : sub === 'diff' ? configDiff(config) : configPush(config);
}

export const configGroup: CommandGroup = { commands: ['config'], usage: CONFIG_USAGE, run: configCommand };
