// The ICMP step of discovery: which addresses of a subnet answer an echo, with one fping process
// when installed and the system ping otherwise.
import { existsSync } from 'node:fs';
import { forEachLimited } from '../common/probe.ts';
import { pingCommand } from '../common/ping.ts';
import { parseReplies } from '../common/ping-parse.ts';
import { runCommand } from './run-command.ts';

export interface SweepOptions {
  timeoutMs: number;
  concurrency: number;
  signal: AbortSignal;
  platform?: NodeJS.Platform;
  /** Called with the number of addresses answered or done so far. */
  onProgress?: (done: number, alive: number) => void;
  /** Called once per address that answered, as soon as it answers. */
  onAlive?: (ip: string) => void;
  /**
   * Asked every 100 ms once every address has had `timeoutMs` to answer: true when waiting for
   * fping's retries can change nothing (every address either failed ARP on an attached subnet or
   * is known to be there). fping is then interrupted and prints what it found.
   */
  settled?: (alive: ReadonlySet<string>) => Promise<boolean>;
  /** For tests: pretend fping is not installed. */
  noFping?: boolean;
}

let stdbufFound: boolean | undefined;
function hasStdbuf(): boolean {
  if (stdbufFound === undefined) {
    const dirs = (process.env.PATH ?? '').split(':');
    stdbufFound = process.platform === 'linux' && dirs.some((d) => d !== '' && existsSync(`${d}/stdbuf`));
  }
  return stdbufFound;
}

export interface SweepResult {
  alive: Set<string>;
  tool: 'fping' | 'ping';
  /** Set when the sweep could not run at all (no ping command, no permission). */
  error?: string;
}

/**
 * ICMP echo to every address. One `fping` process does the whole list when it is installed (about a
 * second for a /24); otherwise the system `ping` is started once per address, `concurrency` at a time.
 */
export async function icmpSweep(addresses: readonly string[], opts: SweepOptions): Promise<SweepResult> {
  const platform = opts.platform ?? process.platform;
  if (addresses.length === 0) return { alive: new Set(), tool: 'ping' };
  if (platform !== 'win32' && !opts.noFping) {
    const r = await fpingSweep(addresses, opts);
    if (r) return r;
  }
  return pingSweep(addresses, opts, platform);
}

/** Lines of `fping -a`: the addresses that answered. */
export function parseFpingAlive(output: string): string[] {
  return output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => /^\d{1,3}(?:\.\d{1,3}){3}$/.test(l));
}

async function fpingSweep(addresses: readonly string[], opts: SweepOptions): Promise<SweepResult | undefined> {
  const alive = new Set<string>();
  const add = (ip: string) => {
    if (alive.has(ip)) return;
    alive.add(ip);
    opts.onAlive?.(ip);
  };
  let partial = '';
  const early = new AbortController();
  let stoppedEarly = false;
  let poll: NodeJS.Timeout | undefined;
  let finished = false;
  if (opts.settled) {
    const check = async () => {
      if (finished) return;
      const settled = await opts.settled!(alive).catch(() => false);
      if (finished) return;
      if (settled) {
        stoppedEarly = true;
        early.abort();
      } else poll = setTimeout(check, 100);
    };
    poll = setTimeout(check, addresses.length * 1 + opts.timeoutMs);
  }
  // -r1: one retry; -i1: 1 ms between packets; targets on stdin, so a /22 fits no command line limit.
  const args = ['-a', '-q', '-r', '1', '-t', String(Math.max(1, Math.round(opts.timeoutMs))), '-i', '1'];
  const budgetMs = addresses.length * 2 + opts.timeoutMs * 4 + 5000;
  // fping writes to a pipe fully buffered; stdbuf (coreutils) makes it line-buffered so devices
  // arrive while the sweep goes on. Without it (or for an fping with file capabilities, where the
  // loader ignores stdbuf) the list simply arrives at the end.
  const viaStdbuf = hasStdbuf();
  const r = await runCommand(viaStdbuf ? 'stdbuf' : 'fping', viaStdbuf ? ['-oL', 'fping', ...args] : args, {
    signal: opts.signal,
    interrupt: early.signal,
    budgetMs,
    input: addresses.join('\n') + '\n',
    onStdout: (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const ip of parseFpingAlive(lines.join('\n'))) add(ip);
      opts.onProgress?.(alive.size, alive.size);
    },
  });
  finished = true;
  clearTimeout(poll);
  if (r.spawnError || (viaStdbuf && (r.code === 126 || r.code === 127))) return undefined;
  for (const ip of parseFpingAlive(partial)) add(ip);
  if (stoppedEarly) return { alive, tool: 'fping' };
  // 0: all answered, 1: some did not, 2: a name did not resolve. 3 and 4 are usage or socket errors
  // (an fping without its capability, for instance): the built-in sweep still works.
  if (r.code !== null && r.code >= 3 && alive.size === 0) return undefined;
  return { alive, tool: 'fping' };
}

async function pingSweep(addresses: readonly string[], opts: SweepOptions, platform: NodeJS.Platform): Promise<SweepResult> {
  const alive = new Set<string>();
  let done = 0;
  let missing: string | undefined;
  await forEachLimited(addresses, opts.concurrency, opts.signal, async (ip) => {
    if (missing) return;
    const cmd = pingCommand(platform, ip, 4, 1, 200, opts.timeoutMs);
    const r = await runCommand(cmd.file, cmd.args, { signal: opts.signal, budgetMs: cmd.budgetMs, encoding: cmd.encoding });
    if (r.spawnError) {
      missing = r.spawnError.code === 'ENOENT' ? 'the ping command was not found' : r.spawnError.message;
      return;
    }
    // Windows answers "Destination host unreachable" with exit code 0: count only replies with a round trip.
    if (parseReplies(r.stdout).length > 0) {
      alive.add(ip);
      opts.onAlive?.(ip);
    }
    opts.onProgress?.(++done, alive.size);
  });
  return { alive, tool: 'ping', error: missing };
}
