// One timed TCP connect, shared by the tcp check and the videoconf check's H.323 probe, so both
// measure connect_ms and classify failures the same way.
import { Socket } from 'node:net';
import { resultOfError, type Result } from '../../../protocol/index.ts';
import { elapsedMs, resolveHost } from './probe.ts';

export interface TcpOutcome {
  result: Result;
  connectMs?: number;
}

/**
 * One connect within `timeoutMs` (name resolution included). connect_ms covers the handshake only,
 * so a slow resolver does not look like a slow service. Undefined when `signal` aborted it.
 */
export async function connectProbe(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<TcpOutcome | undefined> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const both = AbortSignal.any([signal, deadline]);
  let address: string;
  try {
    address = (await raceAbort(resolveHost(host), both)).address;
  } catch (err) {
    if (signal.aborted) return undefined;
    return { result: resultOfError(err) };
  }
  return new Promise((resolve) => {
    const socket = new Socket();
    const started = performance.now();
    const finish = (outcome: TcpOutcome | undefined) => {
      both.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = () => finish(signal.aborted ? undefined : { result: 'timeout' });
    if (both.aborted) return onAbort();
    both.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish({ result: 'ok', connectMs: Math.max(elapsedMs(started), 0.001) }));
    socket.once('error', (err) => finish({ result: resultOfError(err) }));
    socket.connect({ host: address, port });
  });
}

/** dns.lookup cannot be cancelled; stop waiting for it instead. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
