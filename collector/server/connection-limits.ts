// Guards on raw connections, before HTTP parsing: a cap on simultaneous connections from one address,
// so that one client (or one agency's NAT gone wrong) cannot take every socket, and a deadline for a
// connection that never sends a byte (Node's headersTimeout starts only at the first byte). Refusals
// are counted and logged at most once a minute, never once per connection.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

const LOG_EVERY_MS = 60_000;

export interface ConnectionLimit {
  /** Connections refused since start. */
  refused(): number;
}

export function guardConnections(server: Server, opts: { maxPerAddress: number; silentTimeoutMs: number }, log: { warn(o: object, m: string): void }): ConnectionLimit {
  const { maxPerAddress } = opts;
  const open = new Map<string, number>();
  let refused = 0;
  let unlogged = 0;
  let lastLog = 0;
  // TLS servers emit 'connection' with the raw socket too: the cap counts before any handshake work.
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '?';
    const n = open.get(address) ?? 0;
    if (n >= maxPerAddress) {
      refused++;
      unlogged++;
      const now = Date.now();
      if (now - lastLog >= LOG_EVERY_MS) {
        log.warn({ address, open: n, refusedSinceLastLog: unlogged, limit: maxPerAddress }, 'too many connections from one address; refusing new ones (listen.maxConnectionsPerAddress)');
        lastLog = now;
        unlogged = 0;
      }
      socket.destroy();
      return;
    }
    open.set(address, n + 1);
    // bytesRead, not a 'data' listener: under TLS this is the raw socket, and its data is not ours to take.
    const silent = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, opts.silentTimeoutMs);
    silent.unref();
    socket.once('close', () => {
      clearTimeout(silent);
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
  return { refused: () => refused };
}
