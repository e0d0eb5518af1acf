// A short-lived memory of which agent a token hash belongs to, so that the ingest path (every request
// authenticates) does not ask the state database each time. Bounded in size and age.
import type { StateSql } from './sql/connect.ts';

/**
 * How long a token's answer is trusted without asking the database. A revocation or rotation made by
 * this collector takes effect at once (the entry is dropped); on SQLite so does one made by the CLI
 * (any commit by another connection empties the cache); one made by another collector sharing a
 * PostgreSQL state takes effect here within this time.
 */
export const AGENT_TOKEN_TTL_MS = 5_000;
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

/** The cache of one state handle: the collector's, which its auth hook and its console share. */
export function agentTokenCache<T extends { id: string }>(state: StateSql): AgentTokenCache<T> {
  let c = caches.get(state);
  if (!c) caches.set(state, (c = new AgentTokenCache<T>()));
  return c as AgentTokenCache<T>;
}
