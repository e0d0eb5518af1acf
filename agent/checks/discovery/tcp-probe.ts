// TCP connects for discovery: finding hosts that drop ICMP and telling open ports from closed ones.
import { Socket } from 'node:net';

export type ConnectOutcome = 'open' | 'closed' | 'silent';

/**
 * One TCP connect to an IP literal. `open`: accepted; `closed`: the host answered with a reset (so it
 * is there); `silent`: no answer in time, or no route / no ARP reply (so nothing says it is there).
 */
export function tcpConnect(ip: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<ConnectOutcome> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let timer: NodeJS.Timeout | undefined;
    const finish = (o: ConnectOutcome) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(o);
    };
    const onAbort = () => finish('silent');
    if (signal.aborted) return finish('silent');
    signal.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => finish('silent'), timeoutMs);
    socket.once('connect', () => finish('open'));
    socket.once('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET' ? 'closed' : 'silent'));
    socket.connect({ host: ip, port });
  });
}

/** True when the host answers on any of `ports` (accepting or refusing): a host that drops ICMP is still found. */
export async function tcpAlive(ip: string, ports: readonly number[], timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const local = new AbortController();
  const both = AbortSignal.any([signal, local.signal]);
  try {
    return await new Promise<boolean>((resolve) => {
      let pending = ports.length;
      if (pending === 0) resolve(false);
      for (const port of ports) {
        void tcpConnect(ip, port, timeoutMs, both).then((o) => {
          if (o !== 'silent') resolve(true);
          else if (--pending === 0) resolve(false);
        });
      }
    });
  } finally {
    // The first answer is enough; the other attempts are cut short.
    local.abort();
  }
}
