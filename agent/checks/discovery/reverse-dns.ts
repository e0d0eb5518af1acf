// Host names for found devices by reverse DNS, asked while the sweep goes on and bounded in time.
import { Resolver } from 'node:dns/promises';

/**
 * PTR names through the system's DNS servers, asked as soon as a device is found (while the sweep
 * goes on), each query bounded by `timeoutMs`, the whole by `done`'s wait: a LAN without reverse zones
 * must not slow the cycle down. Addresses without a name are absent from the result.
 */
export class ReverseNames {
  private readonly resolver: Resolver;
  private readonly names = new Map<string, string>();
  private readonly pending = new Set<Promise<void>>();

  /** `servers`: for tests; the agent uses the system's resolvers. */
  constructor(
    private readonly timeoutMs: number,
    servers?: string[],
  ) {
    this.resolver = new Resolver({ timeout: Math.max(50, Math.min(timeoutMs, 2000)), tries: 1 });
    if (servers) this.resolver.setServers(servers);
  }

  add(ip: string): void {
    const p = this.resolver.reverse(ip).then(
      ([name]) => {
        if (name) this.names.set(ip, name.replace(/\.$/, ''));
      },
      () => undefined, // no PTR record, no server, or cancelled: no name
    );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** The names found; queries still running after `timeoutMs` more (or once `signal` aborts) are cancelled. */
  async done(signal: AbortSignal): Promise<Map<string, string>> {
    const limit = AbortSignal.any([signal, AbortSignal.timeout(Math.max(1000, this.timeoutMs * 2))]);
    await new Promise<void>((resolve) => {
      const finish = () => {
        limit.removeEventListener('abort', finish);
        resolve();
      };
      limit.addEventListener('abort', finish, { once: true });
      void Promise.all(this.pending).then(finish);
    });
    this.resolver.cancel();
    return this.names;
  }
}
