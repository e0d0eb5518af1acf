// What the collector serves now: the newest version of every profile, who it is assigned to, and for
// one agent its effective configuration (its agency's variables filled in), built once per change.
import { configHash, NO_CONFIG_HASH, type ApplyConfigPayload, type ConfigIssue, type ProfileSummary } from '../../protocol/index.ts';
import type { Agency } from '../config.ts';
import type { ProfileVersionRow } from '../state/fleet.ts';
import { parseProfile, type ProfileDoc } from './profile-file.ts';
import { varsOf } from './profiles-dir.ts';
import { fillVariables } from './template.ts';

/** What one agent should run: a payload to send, or why the collector cannot build it. */
export interface Desired {
  profile: string | null;
  version: number;
  hash: string;
  payload: ApplyConfigPayload;
  /** The profile cannot be filled in for this agent's agency (an agency removed from the config since). */
  errors?: string[];
}

const NONE: Desired = { profile: null, version: 0, hash: NO_CONFIG_HASH, payload: { profile: null, version: 0, hash: NO_CONFIG_HASH, checks: [] } };

interface Served {
  row: ProfileVersionRow;
  doc: ProfileDoc;
}

/** Immutable: a change of profiles or agencies builds a new one. */
export class FleetModel {
  private readonly profiles = new Map<string, Served>();
  private readonly byAgent = new Map<string, string>();
  private readonly byAgency = new Map<string, string>();
  private readonly agencies: Map<string, Agency>;
  private readonly cache = new Map<string, Desired>();

  constructor(versions: readonly ProfileVersionRow[], agencies: readonly Agency[], onBroken: (name: string, message: string) => void = () => undefined) {
    this.agencies = new Map(agencies.map((a) => [a.id, a]));
    for (const row of versions) {
      if (row.deleted) continue;
      let doc: ProfileDoc;
      try {
        doc = parseProfile(row.name, row.body, `profile ${row.name} version ${row.version}`).doc;
      } catch (err) {
        // Every version was checked when it was recorded; one that no longer parses is left out, not fatal.
        onBroken(row.name, (err as Error).message);
        continue;
      }
      this.profiles.set(row.name, { row, doc });
      for (const id of doc.agents) if (!this.byAgent.has(id)) this.byAgent.set(id, row.name);
      for (const id of doc.agencies) if (!this.byAgency.has(id)) this.byAgency.set(id, row.name);
    }
  }

  /** The profile an agent gets: its own assignment first, else its agency's. */
  profileFor(agent: { id: string; agency: string }): string | undefined {
    return this.byAgent.get(agent.id) ?? this.byAgency.get(agent.agency);
  }

  desired(agent: { id: string; agency: string }): Desired {
    const name = this.profileFor(agent);
    if (!name) return NONE;
    const key = `${name}\n${agent.agency}`;
    let d = this.cache.get(key);
    if (!d) this.cache.set(key, (d = this.build(this.profiles.get(name)!, agent.agency)));
    return d;
  }

  private build(p: Served, agencyId: string): Desired {
    const { name, version } = p.row;
    const agency = this.agencies.get(agencyId);
    const issues: ConfigIssue[] = [];
    const filled = agency ? fillVariables(p.doc.checks, varsOf(agency), agency.id, 'checks', issues) : [];
    if (!agency) issues.push({ path: '', message: `agency ${agencyId} is not in the collector config` });
    // Through JSON, as the agent will see it: both sides then hash the very same value.
    const checks = JSON.parse(JSON.stringify(filled)) as unknown[];
    const hash = configHash(name, checks);
    const errors = issues.length ? issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)) : undefined;
    return { profile: name, version, hash, payload: { profile: name, version, hash, checks }, errors };
  }

  summaries(): ProfileSummary[] {
    return [...this.profiles.values()].map(({ row, doc }) => ({
      name: row.name,
      description: doc.description,
      version: row.version,
      hash: row.hash,
      changedAt: new Date(row.at).toISOString(),
      changedBy: row.actor,
      agencies: doc.agencies,
      agents: doc.agents,
      checks: doc.checks.length,
    }));
  }

  summary(name: string): ProfileSummary | undefined {
    return this.summaries().find((s) => s.name === name);
  }
}
