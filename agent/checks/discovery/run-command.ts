// Runs the system tools discovery relies on (fping, ping, ip, arp, PowerShell) without a shell and
// bounded in time, so a hung tool cannot stall a cycle.
import { spawn } from 'node:child_process';

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** ENOENT and the like: the command could not be started. */
  spawnError?: NodeJS.ErrnoException;
  /** Killed because `signal` was aborted or `budgetMs` ran out. */
  killed: boolean;
}

/**
 * Run a system tool without a shell, bounded in time; stdin may be fed. Output is read in `encoding`
 * (Windows consoles write their code page, not UTF-8: latin1 keeps ASCII addresses intact).
 */
export function runCommand(
  file: string,
  args: string[],
  opts: {
    signal: AbortSignal;
    budgetMs: number;
    input?: string;
    encoding?: BufferEncoding;
    onStdout?: (chunk: string) => void;
    /** Asks the tool to finish (SIGINT): it still prints what it has, unlike after `signal`. */
    interrupt?: AbortSignal;
  },
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let spawnError: NodeJS.ErrnoException | undefined;
    let killed = false;
    const child = spawn(file, args, {
      shell: false,
      windowsHide: true,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    });
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(kill, opts.budgetMs);
    opts.signal.addEventListener('abort', kill, { once: true });
    if (opts.signal.aborted) kill();
    const interrupt = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    };
    opts.interrupt?.addEventListener('abort', interrupt, { once: true });
    child.stdout!.on('data', (b: Buffer) => {
      out.push(b);
      opts.onStdout?.(b.toString(opts.encoding ?? 'utf8'));
    });
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      spawnError = e as NodeJS.ErrnoException;
    });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(opts.input);
    }
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', kill);
      opts.interrupt?.removeEventListener('abort', interrupt);
      const enc = opts.encoding ?? 'utf8';
      resolve({ code, stdout: Buffer.concat(out).toString(enc), stderr: Buffer.concat(err).toString(enc), spawnError, killed });
    });
  });
}
