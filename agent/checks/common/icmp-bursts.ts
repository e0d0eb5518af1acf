// One ICMP burst to each of many targets, for the ping and videoconf checks: one fping process serves
// them all where fping is installed, the system ping (one process per target) everywhere else.
import { resultOfError } from '../../../protocol/index.ts';
import { forEachLimited, resolveHost } from './probe.ts';
import { pingBurst, runPingProcess, type PingOutcome } from './ping.ts';
import { parseFpingCounts, summarize } from './ping-parse.ts';

/*
 * Why fping: the system ping is one process per target per cycle, and starting processes is most of
 * an agent's CPU in a cycle. fping sends to every target from one process, round robin, and prints
 * each request's round trip (`-C`), which is what jitter and MOS are computed from.
 *
 * Fidelity: fping spaces any two packets by `-i` (1 ms), so one process holds at most
 * packetInterval / 1 ms targets (20 at the videoconf default of 20 ms) and each target still gets one
 * request every packetInterval. A target's reply counts until `-t` (the check's timeout) after its
 * request, like ping's wait. At most `concurrency` targets are in flight at once, as with ping.
 */

export interface BurstOptions {
  count: number;
  packetIntervalMs: number;
  timeoutMs: number;
  signal: AbortSignal;
  /** Targets probed at once (the ping processes of the fallback, the fping targets in flight). */
  concurrency: number;
  /** `ping` forces the system ping (tests, and platforms without fping). */
  tool?: 'auto' | 'ping';
}

/** What served a burst: reported in logs, and compared by the tests. */
export type BurstTool = 'fping' | 'ping';

export type BurstOutcome = PingOutcome & { tool?: BurstTool };

/** fping's smallest gap between two packets to any target (`-i`, ms): also the minimum for a non-root user. */
const FPING_GAP_MS = 1;
/** fping refuses a shorter per-target period to a user without root (`-p`). */
const FPING_MIN_PERIOD_MS = 10;

/**
 * One burst per target; the map holds a promise per distinct target, settled as soon as its own
 * burst is over. Never rejects: failures are outcomes.
 */
export function icmpBursts(targets: readonly string[], opts: BurstOptions): Map<string, Promise<BurstOutcome>> {
  const unique = [...new Set(targets)];
  const settle = new Map<string, (o: BurstOutcome) => void>();
  const out = new Map<string, Promise<BurstOutcome>>();
  for (const t of unique) out.set(t, new Promise((resolve) => settle.set(t, resolve)));
  const useFping = opts.tool !== 'ping' && process.platform !== 'win32' && opts.packetIntervalMs >= FPING_MIN_PERIOD_MS;
  const run = useFping ? viaFping(unique, opts, settle) : viaPing(unique, opts, settle);
  // Whatever went wrong, no caller waits forever: an unsettled target is an aborted one.
  void run.catch(() => undefined).finally(() => {
    for (const resolve of settle.values()) resolve({ kind: 'aborted' });
  });
  return out;
}

async function viaPing(targets: string[], opts: BurstOptions, settle: Map<string, (o: BurstOutcome) => void>): Promise<void> {
  await forEachLimited(targets, opts.concurrency, opts.signal, async (t) => {
    const o = await pingBurst(t, opts.count, opts.packetIntervalMs, opts.timeoutMs, opts.signal);
    settle.get(t)!({ ...o, tool: 'ping' });
  });
}

interface Resolved {
  target: string;
  address: string;
}

async function viaFping(targets: string[], opts: BurstOptions, settle: Map<string, (o: BurstOutcome) => void>): Promise<void> {
  // Names are resolved here, as pingBurst does, so that a name error is dns_error whatever the tool.
  const resolved: Resolved[] = [];
  await forEachLimited(targets, 64, opts.signal, async (target) => {
    try {
      resolved.push({ target, address: (await resolveHost(target)).address });
    } catch (err) {
      settle.get(target)!(opts.signal.aborted ? { kind: 'aborted' } : { kind: 'failed', result: resultOfError(err), stats: summarize(opts.count, []), tool: 'fping' });
    }
  });
  const perProcess = Math.max(1, Math.min(opts.concurrency, Math.floor(opts.packetIntervalMs / FPING_GAP_MS)));
  const chunks: Resolved[][] = [];
  for (let i = 0; i < resolved.length; i += perProcess) chunks.push(resolved.slice(i, i + perProcess));
  await forEachLimited(chunks, Math.max(1, Math.floor(opts.concurrency / perProcess)), opts.signal, async (chunk) => {
    const done = await fpingChunk(chunk, opts);
    if (done === 'fallback') {
      // No fping, or one that cannot send (no capability, refused options): the system ping serves this chunk.
      await viaPing(chunk.map((c) => c.target), opts, settle);
      return;
    }
    for (const c of chunk) settle.get(c.target)!(done.get(c.address) ?? { kind: 'aborted' });
  });
}

/** One fping process for a chunk of addresses: an outcome per address, or 'fallback' when fping cannot serve. */
async function fpingChunk(chunk: Resolved[], opts: BurstOptions): Promise<Map<string, BurstOutcome> | 'fallback'> {
  const addresses = [...new Set(chunk.map((c) => c.address))];
  const timeoutMs = Math.max(1, Math.round(opts.timeoutMs));
  const args = ['-C', String(opts.count), '-p', String(Math.round(opts.packetIntervalMs)), '-i', String(FPING_GAP_MS), '-t', String(timeoutMs), '-q', ...addresses];
  const budgetMs = (opts.count - 1) * opts.packetIntervalMs + addresses.length * FPING_GAP_MS + timeoutMs + 2000;
  const run = await runPingProcess({ file: 'fping', args, budgetMs, encoding: 'utf8' }, opts.signal);
  if (run.aborted) return new Map(addresses.map((a) => [a, { kind: 'aborted' }]));
  if (run.spawnError) return 'fallback';
  const lines = parseFpingCounts(run.stderr);
  // 0: all answered, 1: some did not; 3 and 4 are usage and system errors (e.g. no raw socket).
  if (lines.size === 0 || (run.code !== null && run.code >= 3)) return 'fallback';
  const out = new Map<string, BurstOutcome>();
  for (const address of addresses) {
    const line = lines.get(address);
    if (!line) {
      out.set(address, { kind: 'failed', result: 'error', stats: summarize(opts.count, []), rtts: [], message: 'fping printed no result for this target', tool: 'fping' });
      continue;
    }
    const rtts = line.rtts.slice(0, opts.count);
    const stats = summarize(opts.count, rtts);
    if (stats.received > 0) out.set(address, { kind: 'done', result: 'ok', stats, rtts, tool: 'fping' });
    // Like ping's exit code 2: the requests could not even be sent (no route, no IPv6).
    else if (line.sendError) out.set(address, { kind: 'failed', result: 'error', stats, rtts, message: line.sendError, tool: 'fping' });
    else out.set(address, { kind: 'done', result: 'timeout', stats, rtts, tool: 'fping' });
  }
  return out;
}
