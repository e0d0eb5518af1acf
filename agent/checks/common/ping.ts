// ICMP echo bursts with the system ping, shared by the ping and videoconf checks and the discovery
// sweep: one place that knows each platform's command line and its exit codes.
import { spawn } from 'node:child_process';
import { resultOfError, type Result } from '../../../protocol/index.ts';
import { resolveHost } from './probe.ts';
import { classifyBurst, parseReplies, type PingSummary } from './ping-parse.ts';

/** What to tell the operator when the system has no ping command. */
export function missingPingMessage(platform: NodeJS.Platform): string {
  return platform === 'win32'
    ? 'the ping command was not found (PING.EXE in C:\\Windows\\System32): check PATH'
    : 'the ping command was not found, nor fping: install it (Debian/Ubuntu: apt-get install iputils-ping fping; RHEL: dnf install iputils fping)';
}

export type PingOutcome =
  | { kind: 'done'; result: Result; stats: PingSummary; rtts: number[] }
  | { kind: 'failed' | 'missing'; result: Result; stats?: PingSummary; rtts?: number[]; message?: string }
  | { kind: 'aborted'; result?: undefined; stats?: undefined; rtts?: undefined };

/**
 * One burst of `count` echo requests to `target` with the system ping, `rtts` being the round trips
 * in arrival order (the videoconf check computes its own jitter from them). Never throws.
 */
export async function pingBurst(target: string, count: number, packetIntervalMs: number, timeoutMs: number, signal: AbortSignal): Promise<PingOutcome> {
  let address: string;
  let family: 4 | 6;
  try {
    ({ address, family } = await resolveHost(target));
  } catch (err) {
    if (signal.aborted) return { kind: 'aborted' };
    return { kind: 'failed', result: resultOfError(err) };
  }
  if (signal.aborted) return { kind: 'aborted' };
  const cmd = pingCommand(process.platform, address, family, count, packetIntervalMs, timeoutMs);
  let run = await runPingProcess(cmd, signal);
  // iputils before 2016 and busybox builds without IPv6 in `ping` still ship a separate ping6.
  if (family === 6 && process.platform !== 'win32' && run.code === 2 && /invalid option|unknown option|usage/i.test(run.stderr)) {
    run = await runPingProcess({ ...cmd, file: 'ping6', args: cmd.args.filter((a) => a !== '-6') }, signal);
  }
  if (run.aborted) return { kind: 'aborted' };
  if (run.spawnError) {
    const code = (run.spawnError as NodeJS.ErrnoException).code;
    return { kind: code === 'ENOENT' ? 'missing' : 'failed', result: 'error', message: code === 'ENOENT' ? undefined : run.spawnError.message };
  }
  const burst = classifyBurst(process.platform, run.code, run.stdout, count);
  const rtts = parseReplies(run.stdout).slice(0, count);
  if (burst.result === 'error') {
    return { kind: 'failed', result: 'error', stats: burst.stats, rtts, message: firstLine(run.stderr) || firstLine(run.stdout) };
  }
  return { kind: 'done', result: burst.result, stats: burst.stats, rtts };
}

export interface PingCommand {
  file: string;
  args: string[];
  /** Hard limit for the whole burst, in case ping itself hangs. */
  budgetMs: number;
  encoding: BufferEncoding;
}

/** The command line for one burst; exported for tests. Arguments never pass through a shell. */
export function pingCommand(platform: NodeJS.Platform, address: string, family: 4 | 6, count: number, packetIntervalMs: number, timeoutMs: number): PingCommand {
  if (platform === 'win32') {
    // Windows waits up to -w for each reply and then about one second before the next request.
    const args = ['-n', String(count), '-w', String(Math.max(1, Math.round(timeoutMs)))];
    if (family === 6) args.push('-6');
    args.push(address);
    // The console code page is not UTF-8; latin1 keeps every ASCII digit and address intact.
    return { file: 'ping', args, budgetMs: count * (timeoutMs + 1000) + 2000, encoding: 'latin1' };
  }
  // Older iputils accept only whole seconds for -W.
  const waitSec = Math.max(1, Math.ceil(timeoutMs / 1000));
  const args = ['-n', '-c', String(count), '-i', String(packetIntervalMs / 1000), '-W', String(waitSec)];
  if (family === 6) args.push('-6');
  args.push(address);
  return { file: 'ping', args, budgetMs: (count - 1) * packetIntervalMs + waitSec * 1000 + 2000, encoding: 'utf8' };
}

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
  spawnError?: Error;
  aborted: boolean;
}

/** Runs ping or fping without a shell, killed at `budgetMs` or when `signal` aborts; never rejects. */
export function runPingProcess(cmd: PingCommand, signal: AbortSignal): Promise<ProcessRun> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let spawnError: Error | undefined;
    let aborted = false;
    const child = spawn(cmd.file, cmd.args, {
      shell: false,
      windowsHide: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Untranslated output with a decimal point on Linux; Windows ignores it.
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    });
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const timer = setTimeout(kill, cmd.budgetMs);
    const onAbort = () => {
      aborted = true;
      kill();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve({
        code,
        stdout: Buffer.concat(out).toString(cmd.encoding),
        stderr: Buffer.concat(err).toString(cmd.encoding),
        spawnError,
        aborted,
      });
    });
  });
}

function firstLine(s: string): string {
  return s.split(/\r?\n/).find((l) => l.trim() !== '')?.trim().slice(0, 200) ?? '';
}
