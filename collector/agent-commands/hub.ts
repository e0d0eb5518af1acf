// The collector's end of the agent command channel (not the CLI): wake-ups between waiting polls and
// waiting operators.
import type { Wake } from '../state/sql/notify-relay.ts';

/** Tells the other collectors sharing the state (state/sql/notify-relay.ts on PostgreSQL). */
export interface WakePublisher {
  publish(w: Wake): void;
}

/**
 * Wake-ups for the command channel: a held agent poll wakes when a command is queued for it, and an
 * operator request wakes when a result comes back. The state itself is in the database; this only
 * saves waiting for a timer. With several collectors on one PostgreSQL, a relay carries each wake-up
 * to the others (`receive`), so a command queued on one collector wakes a poll held by another.
 */
export class CommandHub {
  private readonly agents = new Map<string, Set<() => void>>();
  private readonly results = new Map<string, Set<() => void>>();
  private closed = false;
  private relay?: WakePublisher;

  /** From now on every wake-up is also published to the other collectors. */
  relayTo(relay: WakePublisher): void {
    this.relay = relay;
  }

  /** A wake-up from another collector: acted on here only (never published again). */
  receive(w: Wake): void {
    if (w.kind === 'all') for (const id of [...this.agents.keys()]) this.fire(this.agents, id);
    else if (w.kind === 'agent' || w.kind === 'result') this.fire(w.kind === 'agent' ? this.agents : this.results, w.id);
  }

  /** Resolves after `ms`, when `wakeAgent(agentId)` is called, when `signal` aborts or on close. */
  waitForAgentWork(agentId: string, ms: number, signal?: AbortSignal): Promise<void> {
    return this.wait(this.agents, [agentId], ms, signal);
  }

  wakeAgent(agentId: string): void {
    this.fire(this.agents, agentId);
    this.relay?.publish({ kind: 'agent', id: agentId });
  }

  /** Every held poll answers now (a profile changed: each agent looks whether it concerns it). */
  wakeAllAgents(): void {
    for (const id of [...this.agents.keys()]) this.fire(this.agents, id);
    this.relay?.publish({ kind: 'all' });
  }

  /**
   * Resolves when `done()` holds after a result arrived for one of `ids`, after `ms`, or on close.
   * `done` reads the database (it may take a while): the wake-up is registered before each look, so a
   * result that lands during it is not missed.
   */
  async waitForResults(ids: readonly string[], ms: number, done: () => boolean | Promise<boolean>, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed && !signal?.aborted) {
      const stop = new AbortController();
      const onAbort = () => stop.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const woken = this.wait(this.results, ids, deadline - Date.now(), stop.signal);
        if ((await done()) || deadline - Date.now() <= 0) return;
        await woken;
      } finally {
        stop.abort();
        signal?.removeEventListener('abort', onAbort);
      }
    }
  }

  resultArrived(id: string): void {
    this.fire(this.results, id);
    this.relay?.publish({ kind: 'result', id });
  }

  /** Release every waiter (server shutdown). */
  close(): void {
    this.closed = true;
    for (const map of [this.agents, this.results]) {
      for (const set of map.values()) for (const wake of [...set]) wake();
      map.clear();
    }
  }

  private wait(map: Map<string, Set<() => void>>, keys: readonly string[], ms: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || signal?.aborted || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        for (const k of keys) {
          const set = map.get(k);
          set?.delete(wake);
          if (set?.size === 0) map.delete(k);
        }
        resolve();
      };
      const timer = setTimeout(wake, ms);
      signal?.addEventListener('abort', wake, { once: true });
      for (const k of keys) {
        let set = map.get(k);
        if (!set) map.set(k, (set = new Set()));
        set.add(wake);
      }
    });
  }

  private fire(map: Map<string, Set<() => void>>, key: string): void {
    const set = map.get(key);
    if (!set) return;
    for (const wake of [...set]) wake();
  }
}
