// Rollout at the collector: at each poll, from the agent's update header (channel, version, platform,
// last outcome), whether it is in its channel's rollout and needs the build; then a `self-update` command.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { sql } from 'kysely';
import {
  AGENT_RUNNING_HEADER,
  AGENT_UPDATE_HEADER,
  parseRunningHeader,
  parseUpdateHeader,
  SELF_UPDATE_KIND,
  type AgentCommand,
  type AgentUpdateState,
  type CommandResult,
  type RolloutEntry,
  type SelfUpdatePayload,
  type UpdateAgentStatus,
} from '../../protocol/index.ts';
import type { AgentRow } from '../state/agents.ts';
import { pushedCommand, recordPushedCommand } from '../state/fleet.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { currentRollouts, getRelease } from './store.ts';

/** An unanswered or failed offer is made again after this (an interrupted download resumes then). */
const RESEND_MS = 10 * 60_000;
/** How long the agent has to answer: a download of 100 MB over a slow agency line, and the health check. */
const RESULT_TTL_MS = 60 * 60_000;
/** After a failed attempt (network, interrupted download): offered again this much later. */
const RETRY_MS = 30_000;

/** The agent's stable place in 0-99 for a version's rollout: raising the percentage only adds agents. */
export function rolloutBucket(agentId: string, version: string): number {
  return createHash('sha256').update(`${version}\n${agentId}`).digest().readUInt32BE(0) % 100;
}

export function inRollout(agent: Pick<AgentRow, 'id' | 'agency'>, rollout: RolloutEntry): boolean {
  if (rollout.agencies.length > 0 && !rollout.agencies.includes(agent.agency)) return false;
  return rolloutBucket(agent.id, rollout.version) < rollout.percent;
}

/** The offer last made to an agent; `confirmed` once the agent named it running or answered it. */
interface Offer {
  key: string;
  id: string;
  at: number;
  confirmed: boolean;
}

/** Ids of this pusher's commands (an agent naming one as running is busy with a build). */
const ID_PREFIX = 'upd-';

export class ReleasePusher {
  /** The update header last recorded per agent, and when the request that carried it arrived. */
  private readonly reported = new Map<string, { raw: string; at: number }>();
  private readonly sent = new Map<string, Offer>();

  constructor(private readonly state: StateSql) {}

  /** A new rollout: offers are made again at once, not after RESEND_MS. */
  rolloutChanged(): void {
    this.sent.clear();
  }

  /**
   * At each poll (`polledAt`: when it arrived). An offer is not taken as delivered when it is written:
   * the poll that carried it may have been dead (an agent restarted behind a proxy that kept the
   * connection, a response lost on the way). The agent names the commands it is working on in every
   * poll (AGENT_RUNNING_HEADER) until their result is posted; a poll that arrived after the offer and
   * names neither it nor an answer for it shows the offer was lost, and it is made again at once.
   */
  async poll(agent: AgentRow, headers: IncomingHttpHeaders, polledAt = Date.now(), now = Date.now()): Promise<AgentCommand[]> {
    const raw = headers[AGENT_UPDATE_HEADER];
    const state = parseUpdateHeader(raw);
    if (!state) return [];
    await this.record(agent, raw as string, polledAt, now);
    const running = parseRunningHeader(headers[AGENT_RUNNING_HEADER]);
    // One update at a time: an agent still working on an offer of ours gets no other.
    const busy = running.some((id) => id.startsWith(ID_PREFIX));
    const offer = busy ? undefined : await this.offerFor(agent, state);
    // From here until the offer is noted nothing waits: two polls of one agent decide one after the other.
    const last = this.sent.get(agent.id);
    if (last && running.includes(last.id)) last.confirmed = true;
    if (!offer) return [];
    const key = `${offer.version}/${offer.platform}`;
    const lost = last !== undefined && !last.confirmed && polledAt > last.at;
    if (last && last.key === key && !lost && now - last.at < RESEND_MS) return [];
    const id = `${ID_PREFIX}${now.toString(36)}-${randomBytes(6).toString('hex')}`;
    this.sent.set(agent.id, { key, id, at: now, confirmed: false });
    await recordPushedCommand(this.state.db, id, agent.id, SELF_UPDATE_KIND, { version: offer.version, platform: offer.platform }, now, RESULT_TTL_MS);
    return [{ id, kind: SELF_UPDATE_KIND, payload: offer, createdAt: new Date(now).toISOString(), expiresAt: new Date(now + RESULT_TTL_MS).toISOString() }];
  }

  /**
   * What the agent says it runs, for the console. A held poll woken later carries what was true when it
   * arrived: it must not undo what a newer request (a result with its outcome) said.
   */
  private async record(agent: AgentRow, raw: string, arrivedAt: number, now: number): Promise<void> {
    const last = this.reported.get(agent.id);
    if (last && last.at > arrivedAt) return;
    // Noted before the write: a request that arrives meanwhile sees it, as it did when the write was synchronous.
    this.reported.set(agent.id, { raw, at: arrivedAt });
    if (last?.raw === raw) return;
    try {
      await sql`INSERT INTO release_agent_status (agent_id, reported, reported_at) VALUES (${agent.id}, ${raw}, ${now})
        ON CONFLICT (agent_id) DO UPDATE SET reported = excluded.reported, reported_at = excluded.reported_at`.execute(this.state.db);
    } catch (err) {
      // Not written: the next request with the same header writes it again.
      if (this.reported.get(agent.id)?.raw === raw) this.reported.delete(agent.id);
      throw err;
    }
  }

  /** The build this agent should get now, if any: in its channel's rollout, not running it, not refused it. */
  private async offerFor(agent: AgentRow, state: AgentUpdateState): Promise<SelfUpdatePayload | undefined> {
    if (state.off) return undefined;
    const rollout = (await currentRollouts(this.state)).get(state.channel!);
    if (!rollout || !inRollout(agent, rollout) || rollout.version === state.version) return undefined;
    if (state.last?.version === rollout.version && state.last.state !== 'installed') return undefined;
    const release = await getRelease(this.state, rollout.version, state.platform!);
    if (!release) return undefined;
    return { version: release.version, platform: release.platform, size: release.size, sha256: release.sha256, signature: release.signature };
  }

  /** What the agent answered, kept for the console (a refusal's or a rollback's reason); `headers` say its state after it. */
  async result(agent: AgentRow, id: string, result: CommandResult, headers: IncomingHttpHeaders = {}, now = Date.now()): Promise<void> {
    const raw = headers[AGENT_UPDATE_HEADER];
    if (parseUpdateHeader(raw)) await this.record(agent, raw as string, now, now);
    const cmd = await pushedCommand(this.state.db, id, agent.id);
    if (cmd?.kind !== SELF_UPDATE_KIND) return;
    const { version, platform } = cmd.payload as { version: string; platform: string };
    const message = `${result.status}: ${result.message ?? ''}`.slice(0, 1000);
    await sql`INSERT INTO release_agent_status (agent_id, message, message_version, message_at) VALUES (${agent.id}, ${message}, ${version}, ${now})
      ON CONFLICT (agent_id) DO UPDATE SET message = excluded.message, message_version = excluded.message_version, message_at = excluded.message_at`.execute(this.state.db);
    const offer = this.sent.get(agent.id);
    if (offer?.id === id) offer.confirmed = true;
    // A failed attempt (an interrupted download resumes) is offered again after RETRY_MS; a refusal never (the agent says so in its header).
    if (result.status === 'failed') this.sent.set(agent.id, { key: `${version}/${platform}`, id, at: now - RESEND_MS + RETRY_MS, confirmed: true });
  }

  /** The fleet by version, and per agent where it stands in its channel's rollout. */
  async statuses(agents: readonly AgentRow[]): Promise<{ agents: UpdateAgentStatus[]; versions: Record<string, number> }> {
    const rows = new Map(
      (await sql<StatusRow>`SELECT agent_id, reported, reported_at, message, message_version, message_at FROM release_agent_status`.execute(this.state.db)).rows.map((r) => [r.agent_id, r]),
    );
    const rollouts = await currentRollouts(this.state);
    const versions: Record<string, number> = {};
    const out = agents.filter((a) => !a.revokedAt).map((a) => {
      const row = rows.get(a.id);
      const state = parseUpdateHeader(row?.reported ?? undefined);
      const version = state?.version ?? a.version;
      if (version) versions[version] = (versions[version] ?? 0) + 1;
      return statusOf(a, state, version, row, state?.channel ? rollouts.get(state.channel) : undefined);
    });
    return { agents: out, versions };
  }
}

interface StatusRow {
  agent_id: string;
  reported: string | null;
  reported_at: number | null;
  message: string | null;
  message_version: string | null;
  message_at: number | null;
}

function statusOf(a: AgentRow, state: AgentUpdateState | undefined, version: string | undefined, row: StatusRow | undefined, rollout: RolloutEntry | undefined): UpdateAgentStatus {
  const target = rollout && inRollout(a, rollout) ? rollout.version : undefined;
  let s = 'unknown';
  if (state?.off) s = 'off';
  else if (state && !target) s = 'none';
  else if (state && target === version) s = 'current';
  else if (state?.last && state.last.version === target && state.last.state !== 'installed') s = state.last.state;
  else if (state) s = 'pending';
  const message = row?.message && row.message_version === target ? row.message : undefined;
  return {
    agent: a.id,
    agency: a.agency,
    hostname: a.hostname,
    channel: state?.channel,
    version,
    target,
    state: s,
    message,
    reportedAt: row?.reported_at ? new Date(row.reported_at).toISOString() : undefined,
  };
}
