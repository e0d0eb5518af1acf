// The security checks' only door to the host (files under a root, commands), so that every check can
// be tested on recorded outputs of real hosts.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * Everything a security check reads from the host goes through this: files under a root directory
 * and commands. Production uses the real root `/`; tests point the same checks at a temp root or at
 * recorded command outputs, so the decision logic is tested on the inputs a real host gives.
 */
export interface HostEnv {
  platform: NodeJS.Platform;
  /** Directory that stands for `/` (files are read below it). */
  root: string;
  /** Whether commands may be run: false when `root` is not the live system, so a check never mixes two hosts. */
  live: boolean;
  now(): Date;
  signal: AbortSignal;
  /** Text of a file below root, or undefined when it does not exist or cannot be read. */
  readText(path: string): Promise<string | undefined>;
  /** Entry names of a directory below root (empty when absent). */
  listDir(path: string): Promise<string[]>;
  run(command: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult>;
}

export interface RunOptions {
  timeoutMs?: number;
  input?: string;
  env?: Record<string, string>;
}

export interface CommandResult {
  /** Exit code; null when killed or not started. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The command does not exist on this host. */
  notFound?: boolean;
  timedOut?: boolean;
}

/** Output kept per stream: enough for `apt-get -s upgrade` of a badly outdated host, bounded all the same. */
const MAX_OUTPUT = 8 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

/** The real host (or a copy of its files under `root`, for tests). */
export function realEnv(opts: { root?: string; signal?: AbortSignal; platform?: NodeJS.Platform; live?: boolean; now?: () => Date } = {}): HostEnv {
  const root = resolve(opts.root ?? '/');
  const signal = opts.signal ?? new AbortController().signal;
  const below = (p: string) => join(root, p.replace(/^[/\\]+/, ''));
  const live = opts.live ?? root === '/';
  return {
    platform: opts.platform ?? process.platform,
    root,
    live,
    now: opts.now ?? (() => new Date()),
    signal,
    async readText(path) {
      try {
        return await readFile(below(path), 'utf8');
      } catch {
        return undefined;
      }
    },
    async listDir(path) {
      try {
        return (await readdir(below(path))).sort();
      } catch {
        return [];
      }
    },
    // A copied root is not the host the commands would look at: report them as absent instead.
    run: (command, args, runOpts) =>
      live ? runCommand(command, args, { ...runOpts, signal }) : Promise.resolve({ code: null, stdout: '', stderr: `${command}: not run (root is not the live system)`, notFound: true }),
  };
}

/** Spawn without a shell, C locale, bounded in time and output; never rejects. */
export function runCommand(command: string, args: readonly string[], opts: RunOptions & { signal?: AbortSignal } = {}): Promise<CommandResult> {
  return new Promise((resolveRun) => {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let stdout = '';
    let stderr = '';
    let settled = false;
    const done = (r: CommandResult) => {
      if (settled) return;
      settled = true;
      resolveRun(r);
    };
    let child;
    try {
      child = spawn(command, args, {
        // LC_ALL=C: tools print English, whatever the host's language, so parsers see one wording.
        env: { ...process.env, LC_ALL: 'C', LANG: 'C', ...opts.env },
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        signal,
        windowsHide: true,
      });
    } catch (err) {
      return done({ code: null, stdout: '', stderr: (err as Error).message });
    }
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += d;
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') done({ code: null, stdout, stderr: `${command}: not found`, notFound: true });
      else if (err.name === 'AbortError') done({ code: null, stdout, stderr: stderr || `${command}: stopped`, timedOut: timeout.aborted });
      else done({ code: null, stdout, stderr: err.message });
    });
    child.on('close', (code) => done({ code, stdout, stderr, timedOut: timeout.aborted || undefined }));
  });
}

/** One line that says why a command gave no usable answer. */
export function commandProblem(command: string, r: CommandResult): string {
  if (r.notFound) return `${command} not found`;
  if (r.timedOut) return `${command} did not finish in time`;
  const msg = (r.stderr || r.stdout).trim().split('\n')[0]?.slice(0, 200);
  return `${command} exited with ${r.code ?? 'a signal'}${msg ? `: ${msg}` : ''}`;
}
