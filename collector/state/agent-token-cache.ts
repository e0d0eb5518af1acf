// A short-lived memory of which agent a token hash belongs to, so that the ingest path (every request
// authenticates) does not ask the state database each time. Bounded in size and age.
import type { StateSql } from './sql/connect.ts';
import { WAKE_CHANNEL } from './sql/notify-relay.ts';

/**
 * How long a token's answer is trusted without asking the database. A revocation or rotation takes
 * effect at once everywhere: here the entry is dropped; on SQLite a commit by another connection (the
 * CLI) empties the cache; on PostgreSQL every collector is told (`tokensChanged`). This bound is for a
 * notification lost while a collector's listening session reconnects. Longer than an agent's send
 * interval, so that its posts are answered from memory.
 */
export const AGENT_TOKEN_TTL_MS = 30_000;
/** More agents than a province has; past it the oldest entry makes room. */
export const AGENT_TOKEN_CACHE_MAX = 20_000;

interface Entry<T> {
  agent: T;
  expires: number;
}

export class AgentTokenCache<T extends { id: string }> {
  private readonly byHash = new Map<string, Entry<T>>();

  constructor(
    private readonly ttlMs = AGENT_TOKEN_TTL_MS,
    private readonly max = AGENT_TOKEN_CACHE_MAX,
  ) {}

  get(hash: string, now: number): T | undefined {
    const e = this.byHash.get(hash);
    if (!e) return undefined;
    if (e.expires > now) return e.agent;
    this.byHash.delete(hash);
    return undefined;
  }

  put(hash: string, agent: T, now: number): void {
    this.byHash.delete(hash);
    // Map keeps insertion order: the first key is the oldest entry.
    if (this.byHash.size >= this.max) this.byHash.delete(this.byHash.keys().next().value!);
    this.byHash.set(hash, { agent, expires: now + this.ttlMs });
  }

  clear(): void {
    this.byHash.clear();
  }

  /** Drops every entry of one agent (revoked, or its token changes). */
  forget(agentId: string): void {
    for (const [hash, e] of this.byHash) if (e.agent.id === agentId) this.byHash.delete(hash);
  }

  get size(): number {
    return this.byHash.size;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const caches = new WeakMap<StateSql, AgentTokenCache<any>>();

/**
 * An agent's tokens changed (revoked, rotation asked, the new token taken into use): its cached answers
 * go here, and on PostgreSQL every collector (and none is waited for: a lost notification is covered
 * by the TTL) is told to drop them too.
 */
export async function tokensChanged(state: StateSql, agentId: string): Promise<void> {
  agentTokenCache(state).forget(agentId);
  await state.sessions?.notify(WAKE_CHANNEL, JSON.stringify({ from: 'store', kind: 'tokens', id: agentId })).catch(() => undefined);
}

/** The cache of one state handle: the collector's, which its auth hook and its console share. */
export function agentTokenCache<T extends { id: string }>(state: StateSql): AgentTokenCache<T> {
  let c = caches.get(state);
  if (!c) caches.set(state, (c = new AgentTokenCache<T>()));
  return c as AgentTokenCache<T>;
}
