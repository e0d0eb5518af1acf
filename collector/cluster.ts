// What makes several collectors on one PostgreSQL act as one: the leader lease (which of them runs the
// once-only work: composing alert mail, the silent-agent watch, pruning, the monthly report) and the
// wake-up relay (a command queued on one collector wakes the agent polling another). On SQLite there is
// one collector: it always leads and has no one to tell.
import type { CommandHub } from './agent-commands/hub.ts';
import type { StateSql } from './state/sql/connect.ts';
import { agentTokenCache } from './state/agent-token-cache.ts';
import { LeaderLease } from './state/sql/leader-lease.ts';
import { WakeRelay, type Wake } from './state/sql/notify-relay.ts';

export interface Cluster {
  /** This collector runs the once-only work now. */
  isLeader(): boolean;
  /** Wake-ups of this collector's command hub go to the others, and theirs come to it. */
  attach(hub: CommandHub): void;
  close(): Promise<void>;
}

interface ClusterLog {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
}

/** A collector alone on its SQLite state. */
const alone: Cluster = { isLeader: () => true, attach: () => {}, close: async () => {} };

/**
 * Joins the collectors sharing this state: the lease is tried at once (and every `retryMs`), and the
 * relay listens before the first agent can poll. Neither blocks the start: a collector that cannot
 * take the lease serves agents and the console as a follower.
 */
export async function joinCluster(state: StateSql, log: ClusterLog, opts: { retryMs?: number } = {}): Promise<Cluster> {
  const sessions = state.sessions;
  if (!sessions) return alone;
  const lease = new LeaderLease({ connection: sessions.connection, retryMs: opts.retryMs ?? 1000, log });
  lease.on('lost', () => log.warn({}, 'this collector no longer leads: alert mail, the silent-agent watch and the monthly report run on another'));
  const hubs: CommandHub[] = [];
  const relay = new WakeRelay({ connection: sessions.connection, notify: sessions.notify, onWake: (w: Wake) => (w.kind === 'tokens' ? agentTokenCache(state).forget(w.id) : hubs.forEach((h) => h.receive(w))), retryMs: opts.retryMs ?? 1000, log });
  lease.start();
  await relay.start();
  return {
    isLeader: () => lease.isLeader(),
    attach: (hub) => {
      hubs.push(hub);
      hub.relayTo(relay);
    },
    close: async () => {
      await relay.stop();
      await lease.stop();
    },
  };
}
