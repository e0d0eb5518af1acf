// The collector's running side of central configuration: the served model kept in step with the state
// database, what to hand an agent at its poll, what it answered, and each agent's state for the console.
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  AGENT_CONFIG_HEADER,
  APPLY_CONFIG_KIND,
  NO_CONFIG_HASH,
  parseConfigHeader,
  type AgentCommand,
  type CommandResult,
  type FleetAgentStatus,
  type FleetState,
} from '../../protocol/index.ts';
import type { Agency } from '../config.ts';
import type { AgentRow } from '../state/agents.ts';
import { agentFleetRows, fleetRevision, latestProfileVersions, pushedCommand, recordConfigReport, recordConfigRefusal, recordPushedCommand, type AgentFleetRow } from '../state/fleet.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { FleetModel, type Desired } from './model.ts';

/** How long a pushed command's row waits for its result (the agent answers within a second or two). */
const RESULT_TTL_MS = 600_000;
/** The same configuration is not sent to the same agent again sooner than this (an agent that keeps not applying it). */
const RESEND_MS = 20_000;

export interface FleetLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

/**
 * One per collector process. The model is rebuilt when the profile versions in the state database
 * change (by this process, or by `canhgac-collector config push` beside it): `refresh()` looks,
 * cheaply, and says whether held polls should be woken.
 */
export class FleetService {
  private readonly reported = new Map<string, string>();
  private readonly sent = new Map<string, { hash: string; at: number }>();

  private constructor(
    private readonly state: StateSql,
    private readonly agencies: readonly Agency[],
    private readonly log: FleetLog | undefined,
    private model: FleetModel,
    private revision: number,
  ) {}

  /** The service with the model as the state has it now. */
  static async open(state: StateSql, agencies: readonly Agency[], log?: FleetLog): Promise<FleetService> {
    const { model, revision } = await FleetService.build(state, agencies, log);
    return new FleetService(state, agencies, log, model, revision);
  }

  private static async build(state: StateSql, agencies: readonly Agency[], log: FleetLog | undefined): Promise<{ model: FleetModel; revision: number }> {
    // The revision is read first: a version recorded in between makes the next refresh build again.
    const revision = await fleetRevision(state);
    const versions = await latestProfileVersions(state);
    return { revision, model: new FleetModel(versions, agencies, (name, message) => log?.warn({ profile: name, error: message }, 'a stored profile version no longer parses; it is not served')) };
  }

  /** Rebuild when the versions changed; true when they did (wake the agents). */
  async refresh(): Promise<boolean> {
    if ((await fleetRevision(this.state)) === this.revision) return false;
    const { model, revision } = await FleetService.build(this.state, this.agencies, this.log);
    this.model = model;
    this.revision = revision;
    this.sent.clear();
    return true;
  }

  get current(): FleetModel {
    return this.model;
  }

  /** At each poll: note what the agent runs, and hand it its configuration when it runs something else. */
  async poll(agent: AgentRow, headers: IncomingHttpHeaders, now = Date.now()): Promise<AgentCommand[]> {
    const raw = headers[AGENT_CONFIG_HEADER];
    const state = parseConfigHeader(raw);
    // An agent too old to say (or saying nonsense) is never sent anything it might not understand.
    if (!state) return [];
    if (this.reported.get(agent.id) !== raw) {
      await recordConfigReport(this.state, agent.id, raw as string, state, now);
      this.reported.set(agent.id, raw as string);
    }
    if (state.off) return [];
    const desired = this.model.desired(agent);
    if (desired.errors || desired.hash === state.hash || desired.hash === state.rejected) return [];
    const last = this.sent.get(agent.id);
    if (last && last.hash === desired.hash && now - last.at < RESEND_MS) return [];
    this.sent.set(agent.id, { hash: desired.hash, at: now });
    const id = `cfg-${now.toString(36)}-${randomBytes(6).toString('hex')}`;
    await recordPushedCommand(this.state.db, id, agent.id, APPLY_CONFIG_KIND, { profile: desired.profile, version: desired.version, hash: desired.hash }, now, RESULT_TTL_MS);
    return [{ id, kind: APPLY_CONFIG_KIND, payload: desired.payload, createdAt: new Date(now).toISOString(), expiresAt: new Date(now + RESULT_TTL_MS).toISOString() }];
  }

  /** An agent answered a command: a refused configuration is kept with its reasons. */
  async result(agent: AgentRow, id: string, result: CommandResult, now = Date.now()): Promise<void> {
    if (result.status !== 'failed') return;
    const cmd = await pushedCommand(this.state.db, id, agent.id);
    if (cmd?.kind !== APPLY_CONFIG_KIND) return;
    const sent = cmd.payload as { profile: string | null; version: number; hash: string };
    const reasons = result.reasons?.length ? result.reasons : [result.message ?? 'refused without a reason'];
    await recordConfigRefusal(this.state, agent.id, { hash: sent.hash, profile: sent.profile ?? undefined, version: sent.version, reasons }, now);
  }

  /** Per agent: the profile it should run, what it runs, and whether that is pending, applied or refused. */
  async statuses(agents: readonly AgentRow[]): Promise<FleetAgentStatus[]> {
    const rows = await agentFleetRows(this.state);
    return agents.filter((a) => !a.revokedAt).map((a) => statusOf(a, this.model.desired(a), rows.get(a.id)));
  }
}

const iso = (ms?: number) => (ms === undefined ? undefined : new Date(ms).toISOString());

function stateOf(desired: Desired, row: AgentFleetRow | undefined): FleetState {
  if (!row?.reported) return 'unknown';
  if (row.off) return 'off';
  if (desired.errors) return 'error';
  if (row.appliedHash === desired.hash) return desired.hash === NO_CONFIG_HASH ? 'none' : 'applied';
  if (row.rejectedHash === desired.hash || parseConfigHeader(row.reported)?.rejected === desired.hash) return 'rejected';
  return 'pending';
}

/** The reasons stored with the refusal, when they are this configuration's (its answer may have been lost). */
function rejectionReasons(desired: Desired, row: AgentFleetRow): string[] {
  return row.rejectedHash === desired.hash ? row.rejectedReasons : ['the agent refused it; its reasons did not reach the collector (they are in the agent’s log)'];
}

function statusOf(a: AgentRow, desired: Desired, row: AgentFleetRow | undefined): FleetAgentStatus {
  const state = stateOf(desired, row);
  return {
    agent: a.id,
    agency: a.agency,
    hostname: a.hostname,
    profile: desired.profile ?? undefined,
    desiredVersion: desired.profile ? desired.version : undefined,
    desiredHash: desired.hash,
    appliedProfile: row?.appliedProfile,
    appliedVersion: row?.appliedVersion,
    appliedHash: row?.appliedHash,
    appliedAt: iso(row?.appliedAt),
    state,
    rejectedVersion: row?.rejectedVersion,
    rejectedAt: iso(row?.rejectedAt),
    reasons: state === 'error' ? desired.errors! : state === 'rejected' ? rejectionReasons(desired, row!) : [],
    reportedAt: iso(row?.reportedAt),
  };
}
