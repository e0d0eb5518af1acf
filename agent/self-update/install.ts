// The file side of self-update: a verified download made executable and asked its version, swapped in
// beside the running executable (the old one kept as `.previous`), the new one's health check, and the
// way back when it fails.
import { spawn } from 'node:child_process';
import { verify, type KeyObject } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { releaseSignedText } from '../../protocol/index.ts';

/** A staged build that must not be installed; the message says why, for the collector and the log. */
export class RefusedBuild extends Error {}

/** Ed25519 over the text naming the SHA-256 and size the download was checked against, with the pinned key only. */
export function checkSignature(key: KeyObject, sha256: string, size: number, signature: string): void {
  let ok = false;
  try {
    ok = verify(null, Buffer.from(releaseSignedText(sha256, size)), key, Buffer.from(signature, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) throw new RefusedBuild('the signature does not verify with the release key pinned in this agent’s config (a wrong signature, another key’s, or a changed build)');
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Killed because `stop` aborted (the agent is stopping), not for anything the program did. */
  stopped: boolean;
}

/** Runs a program with a deadline and bounded output (the last 4 KiB of each stream); `stop` kills it. */
export function runBounded(file: string, args: string[], timeoutMs: number, stop?: AbortSignal): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let stopped = false;
    child.stdout!.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-4096)));
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const onStop = () => {
      stopped = true;
      child.kill('SIGKILL');
    };
    if (stop?.aborted) onStop();
    else stop?.addEventListener('abort', onStop, { once: true });
    const end = () => {
      clearTimeout(timer);
      stop?.removeEventListener('abort', onStop);
    };
    child.on('error', (err) => {
      end();
      resolve({ code: null, signal: null, stdout, stderr: `${stderr}${err.message}`, timedOut, stopped });
    });
    child.on('close', (code, signal) => {
      end();
      resolve({ code, signal, stdout, stderr, timedOut, stopped });
    });
  });
}

/** The agent began to stop while it was checking a build: not the build's fault, tried again later. */
export class StoppedDuringUpdate extends Error {}

/** The staged build made executable and asked its version, which must be the announced one. */
export async function stagedVersion(staged: string, announced: string, stop?: AbortSignal): Promise<string> {
  chmodSync(staged, 0o755);
  const r = await runBounded(staged, ['--version'], 30_000, stop);
  if (r.stopped) throw new StoppedDuringUpdate('the agent is stopping');
  const version = r.stdout.trim();
  if (r.code !== 0) throw new RefusedBuild(`the new build does not run here (\`--version\` ${r.timedOut ? 'timed out' : `exited with ${r.code ?? r.signal}`}${r.stderr ? `: ${r.stderr.trim().slice(-200)}` : ''})`);
  if (version !== announced) throw new RefusedBuild(`the build says it is version ${JSON.stringify(version.slice(0, 40))}, not the announced ${announced}`);
  return version;
}

/**
 * The staged build in place of `exe`, the running one kept as `exe.previous`. Each step is a rename in
 * the executable's own directory, so an interruption leaves either the old or the new executable there.
 */
export function swapIn(exe: string, staged: string): void {
  const next = `${exe}.new`;
  copyFileSync(staged, next);
  chmodSync(next, 0o755);
  rmSync(`${exe}.previous`, { force: true });
  renameSync(exe, `${exe}.previous`);
  try {
    renameSync(next, exe);
  } catch (err) {
    renameSync(`${exe}.previous`, exe);
    throw err;
  }
}

/** The previous executable back in place; the failed one kept as `exe.failed` for a person to look at. */
export function rollBack(exe: string): void {
  if (!existsSync(`${exe}.previous`)) throw new Error(`${exe}.previous is missing: cannot roll back`);
  rmSync(`${exe}.failed`, { force: true });
  if (existsSync(exe)) renameSync(exe, `${exe}.failed`);
  renameSync(`${exe}.previous`, exe);
}

/**
 * The new executable's health check, in place, with this agent's config: it must load the config with
 * its own validation, reach the collector with the agent's token and have its `agent_status` sample
 * (which carries its version) accepted, within `timeoutMs`. Returns why not, or undefined when healthy.
 */
export async function healthProblem(exe: string, configFile: string, timeoutMs: number, stop?: AbortSignal): Promise<string | undefined> {
  const r = await runBounded(exe, ['update-check', '--config', configFile], timeoutMs, stop);
  if (r.stopped) throw new StoppedDuringUpdate('the agent is stopping');
  if (r.code === 0) return undefined;
  const what = r.timedOut ? `did not report healthy within ${timeoutMs} ms` : `exited with ${r.code ?? r.signal} before reporting healthy`;
  const tail = r.stderr.trim().split('\n').slice(-3).join(' | ').slice(-300);
  return `the new build ${what}${tail ? ` (${tail})` : ''}`;
}
