// Simulated agents for the failover benchmark: each one is the real agent's Sender (agent/sender.ts,
// with the agent's default send interval and backoff) over an in-memory outbox, fed a sample every
// `everyMs`; every post's start, end and answer is noted, so the time to the first accepted one after a
// collector dies can be read per agent.
import { join } from 'node:path';
import { CollectorClient, type CollectorResponse } from '../../agent/collector-client.ts';
import { parseAgentConfig } from '../../agent/config.ts';
import { createLogger } from '../../agent/log.ts';
import { MemoryOutbox } from '../../agent/outbox.ts';
import { Sender } from '../../agent/sender.ts';

export interface PostNote {
  sentAt: number;
  doneAt: number;
  /** The HTTP status; -1 when no answer came (the connection failed). */
  status: number;
}

/** Posts of one agent noted: the newest ones only. */
const MAX_NOTES = 5_000;

/** The agent's own HTTP client, noting each post of samples. */
class NotingClient extends CollectorClient {
  readonly posts: PostNote[] = [];

  override async postJsonText(path: string, raw: Buffer, opts: Parameters<CollectorClient['postJsonText']>[2] = {}): Promise<CollectorResponse> {
    const sentAt = Date.now();
    try {
      const r = await super.postJsonText(path, raw, opts);
      this.note(sentAt, r.status);
      return r;
    } catch (err) {
      this.note(sentAt, -1);
      throw err;
    }
  }

  private note(sentAt: number, status: number): void {
    this.posts.push({ sentAt, doneAt: Date.now(), status });
    if (this.posts.length > MAX_NOTES) this.posts.splice(0, this.posts.length - MAX_NOTES);
  }
}

/** The agent's defaults as its config parser gives them, and the backoff floor its daemon derives. */
const AGENT = parseAgentConfig('(bench)', { checks: [] }).agent;
export const AGENT_RETRY = { minBackoffMs: Math.min(1000, AGENT.maxBackoffMs), maxBackoffMs: AGENT.maxBackoffMs, sendIntervalMs: AGENT.sendIntervalMs };

export interface AgentRecovery {
  /** From the kill to the answer of this agent's first accepted post sent after it; undefined if none yet. */
  ms?: number;
  /** Posts that failed (no answer, or not accepted) between the kill and that one. */
  failures: number;
}

const accepted = (p: PostNote) => p.status >= 200 && p.status < 300;

/** One agent's recovery from a kill at `killAt`, read from its posts. */
export function recovery(posts: PostNote[], killAt: number): AgentRecovery {
  const after = posts.filter((p) => p.doneAt >= killAt);
  const ok = after.find((p) => p.sentAt >= killAt && accepted(p));
  const failures = after.filter((p) => !accepted(p) && (!ok || p.doneAt <= ok.doneAt)).length;
  return { ms: ok ? ok.doneAt - killAt : undefined, failures };
}

export interface FailoverAgents {
  /** Each agent's posts noted so far (the newest MAX_NOTES), oldest first. */
  posts(): PostNote[][];
  /** Samples the collectors acknowledged, in all. */
  acknowledged(): number;
  stop(): Promise<void>;
}

/** One agent per token, each posting through `url` (the balancer) samples of host `failover-<i>`. */
export function startFailoverAgents(url: string, tokens: string[], opts: { everyMs: number; dir: string }): FailoverAgents {
  const log = createLogger({ level: 'error', write: () => {} });
  const agents = tokens.map((token, i) => {
    const client = new NotingClient(url);
    const outbox = new MemoryOutbox();
    const sender = new Sender({ client, outbox, log, tokenFile: join(opts.dir, `token-${i}`), token, intervalMs: AGENT_RETRY.sendIntervalMs, minBackoffMs: AGENT_RETRY.minBackoffMs, maxBackoffMs: AGENT_RETRY.maxBackoffMs });
    sender.start();
    return { client, outbox, sender };
  });
  // A sample per agent per tick, each with its own time (a sample sent again after a lost answer lands
  // on the same point in InfluxDB, so the stored count is the count of distinct samples). The agents'
  // ticks are spread over the period, as the agents' splay spreads real ones, not posted in lockstep.
  const timers: NodeJS.Timeout[] = [];
  agents.forEach((a, i) => {
    const tick = () => {
      a.outbox.append([{ measurement: 'host', tags: { host: `failover-${i}` }, fields: { cpu_percent: 12.5, mem_used_percent: 40.1, mem_total_bytes: 8_000_000_000, load1: 0.3, uptime_seconds: 86_400 }, time: new Date().toISOString() }]);
      a.sender.nudge();
    };
    timers.push(setTimeout(() => timers.push(setInterval(tick, opts.everyMs)), Math.round((i * opts.everyMs) / agents.length)));
  });
  return {
    posts: () => agents.map((a) => a.client.posts),
    acknowledged: () => agents.reduce((n, a) => n + a.sender.sentSamples, 0),
    async stop() {
      for (const t of timers) clearTimeout(t);
      await Promise.all(agents.map((a) => a.sender.stop()));
    },
  };
}
