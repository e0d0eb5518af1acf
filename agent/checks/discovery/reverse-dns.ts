import { Resolver } from 'node:dns/promises';
import { forEachLimited } from '../probe.ts';

/**
 * PTR names of `ips`, through the system's DNS servers, with a bound on each query and on the whole
 * phase: a LAN without reverse zones must not slow the cycle down. Addresses without a name are absent.
 */
export async function reverseNames(ips: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (ips.length === 0) return names;
  const resolver = new Resolver({ timeout: Math.max(50, Math.min(timeoutMs, 2000)), tries: 1 });
  const phase = AbortSignal.any([signal, AbortSignal.timeout(Math.max(2000, timeoutMs * 4))]);
  const onAbort = () => resolver.cancel();
  phase.addEventListener('abort', onAbort, { once: true });
  try {
    await forEachLimited(ips, 16, phase, async (ip) => {
      try {
        const [name] = await resolver.reverse(ip);
        if (name) names.set(ip, name.replace(/\.$/, ''));
      } catch {
        // no PTR record, no server, or cancelled: no name
      }
    });
  } finally {
    phase.removeEventListener('abort', onAbort);
    resolver.cancel();
  }
  return names;
}
