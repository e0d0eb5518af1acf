import { Socket } from 'node:net';
import { Type } from 'typebox';
import { resultOfError, type ConfigIssue, type Result } from '../../../protocol/index.ts';
import { defineCheck, type CheckConfig, type CheckContext } from '../types.ts';
import { DEFAULT_CONCURRENCY, elapsedMs, forEachLimited, hostPortTargetIssues, parseHostPort, resolveHost } from '../probe.ts';

const schema = Type.Object({
  targets: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, expected: 'a list of "host:port" targets' }),
});

type TcpConfig = CheckConfig<typeof schema>;

export const tcpCheck = defineCheck({
  type: 'tcp',
  summary: 'TCP connect to host:port targets: up and connect time',
  schema,
  defaults: { interval: '60s', timeout: '5s' },
  measurements: ['tcp'],
  validate: validateTcp,
  run: runTcp,
});

function validateTcp(config: TcpConfig, path: string): ConfigIssue[] {
  const issues = hostPortTargetIssues(config.targets, path);
  return issues;
}

async function runTcp(config: TcpConfig, ctx: CheckContext): Promise<void> {
  let aborted = 0;
  const notStarted = await forEachLimited(config.targets, DEFAULT_CONCURRENCY, ctx.signal, async (text) => {
    const { host, port } = parseHostPort(text)!;
    const outcome = await connectProbe(host, port, config.timeoutMs, ctx.signal);
    if (outcome === undefined) {
      aborted++;
      return;
    }
    ctx.recorder.record(
      'tcp',
      { target: host, port: String(port), name: config.name, group: config.group, result: outcome.result },
      outcome.result === 'ok' ? { up: 1, connect_ms: outcome.connectMs } : { up: 0 },
    );
  });
  if (notStarted + aborted > 0) ctx.log.warn('tcp run stopped before every target was probed', { unprobed: notStarted + aborted });
}

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
