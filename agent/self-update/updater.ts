// The agent end of signed self-update, as a kind of pushed command: says in every poll what it runs and
// how its last update went, and for a `self-update` command downloads, verifies (pinned key), stages,
// swaps, health-checks the new build and either hands over (restart) or rolls back.
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Value } from 'typebox/value';
import {
  AGENT_UPDATE_HEADER,
  compareVersions,
  formatUpdateHeader,
  RELEASE_PATHS,
  SELF_UPDATE_KIND,
  SelfUpdatePayload,
  VERSION,
  type UpdateOutcome,
} from '../../protocol/index.ts';
import type { AgentConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { PushedKind, PushedOutcome } from '../remote/pushed.ts';
import { readToken } from '../token-store.ts';
import { downloadBuild, DownloadError } from './download.ts';
import { beginHandover, clearHandover, startHandover, watchHandover } from './handover.ts';
import { checkSignature, healthProblem, RefusedBuild, rollBack, stagedVersion, StoppedDuringUpdate, swapIn } from './install.ts';
import { readOutcome, writeOutcome, type LastAttempt } from './outcome.ts';

/** Exit code of an agent that installed a new build and wants its service manager to start it (EX_TEMPFAIL). */
export const EXIT_RESTART = 75;

export interface UpdaterOptions {
  log: Logger;
  /** Stop cleanly and exit with EXIT_RESTART (the CLI's `run`). */
  restart: () => void;
  /** The running executable; undefined when this is not a single executable (node + tsx): updates refused. */
  executable?: string;
  platform?: string;
}

/** The update directory: `update/` next to the token file (the agent's state directory). */
export function updateDir(config: AgentConfig): string {
  return join(dirname(resolve(dirname(config.file), config.collector!.tokenFile)), 'update');
}

/** This process's executable when it is a single executable (the only thing self-update replaces). */
export async function runningExecutable(): Promise<string | undefined> {
  try {
    const sea = await import('node:sea');
    return sea.isSea() ? process.execPath : undefined;
  } catch {
    return undefined;
  }
}

export class SelfUpdater implements PushedKind {
  readonly kind = SELF_UPDATE_KIND;
  /** A download takes minutes on a slow agency line: config pushes and meeting checks go on meanwhile. */
  readonly background = true;
  private readonly dir: string;
  private last: LastAttempt | undefined;
  /** The version being fetched, checked or installed: one update at a time. */
  private current: string | undefined;

  constructor(
    private readonly config: AgentConfig,
    private readonly opts: UpdaterOptions,
  ) {
    this.dir = updateDir(config);
    this.last = readOutcome(this.dir);
  }

  headers(): Record<string, string> {
    const s = this.config.selfUpdate;
    if (!s) return { [AGENT_UPDATE_HEADER]: 'off' };
    return { [AGENT_UPDATE_HEADER]: formatUpdateHeader({ off: false, channel: s.channel, version: VERSION, platform: this.platform(), last: this.last }) };
  }

  async handle(payload: unknown, signal: AbortSignal): Promise<PushedOutcome> {
    if (this.current !== undefined) return { status: 'failed', message: `an update to ${this.current} is already in progress; offer this one again later`, samples: [] };
    this.current = Value.Check(SelfUpdatePayload, payload) ? (payload as SelfUpdatePayload).version : 'an unreadable version';
    try {
      return await this.attempt(payload, signal);
    } finally {
      this.current = undefined;
    }
  }

  private platform(): string {
    return this.opts.platform ?? `${process.platform}-${process.arch}`;
  }

  private async attempt(payload: unknown, signal: AbortSignal): Promise<PushedOutcome> {
    const s = this.config.selfUpdate;
    if (!s) return this.refuse(undefined, 'self-update is off: this agent’s config has no selfUpdate.publicKey');
    if (!Value.Check(SelfUpdatePayload, payload)) return this.refuse(undefined, 'not a self-update command this agent understands (bad payload)');
    const p = payload as SelfUpdatePayload;
    if (p.platform !== this.platform()) return this.refuse(p.version, `a build for ${p.platform}; this agent runs on ${this.platform()}`);
    const order = compareVersions(p.version, VERSION);
    if (order === 0) return this.refuse(p.version, `version ${p.version} runs already`);
    if (order === undefined || (order < 0 && !s.allowDowngrade)) return this.refuse(p.version, `${p.version} is older than the running ${VERSION}: a downgrade (allowed only with selfUpdate.allowDowngrade: true)`);
    const exe = this.opts.executable;
    if (!exe) return this.refuse(p.version, 'this agent does not run as the single executable (node with tsx): nothing to replace');
    const token = readToken(this.config.collector!.tokenFile);
    if (!token) return { status: 'failed', message: 'no agent token', samples: [] };
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const part = join(this.dir, `canhgac-agent-${p.version}-${p.platform}.part`);
    const log = this.opts.log.child({ part: 'self-update', version: p.version });
    try {
      log.info('downloading a new build', { size: p.size });
      const path = RELEASE_PATHS.agentDownload.replace(':version', p.version).replace(':platform', p.platform);
      await downloadBuild({ base: this.config.collector!.url, ca: this.config.collector!.ca, path, token, size: p.size, sha256: p.sha256, partFile: part, maxBytes: s.maxBytes, timeoutMs: s.downloadTimeoutMs, signal });
      checkSignature(s.publicKey, p.sha256, p.size, p.signature);
      const actual = await stagedVersion(part, p.version, signal);
      if ((compareVersions(actual, VERSION) ?? -1) < 0 && !s.allowDowngrade) throw new RefusedBuild(`the build is version ${actual}, older than the running ${VERSION}`);
    } catch (err) {
      if (err instanceof StoppedDuringUpdate || (err instanceof DownloadError && (err.kind === 'interrupted' || err.kind === 'network'))) {
        log.warn('download not complete; the running version is untouched', { error: (err as Error).message });
        return { status: 'failed', message: err instanceof StoppedDuringUpdate ? 'the agent stopped before the new build was checked; offered again later' : err.message, samples: [] };
      }
      rmSync(part, { force: true });
      log.warn('new build refused; the running version is untouched', { error: (err as Error).message });
      return this.refuse(p.version, (err as Error).message);
    }
    if (signal.aborted) return { status: 'failed', message: 'the agent is stopping; the new build is kept downloaded and installed at the next offer', samples: [] };
    return this.install(exe, part, p.version, log, signal);
  }

  /** Swap, health check, then hand over to the new build or put the old one back. */
  private async install(exe: string, staged: string, version: string, log: Logger, signal: AbortSignal): Promise<PushedOutcome> {
    try {
      swapIn(exe, staged);
    } catch (err) {
      return this.refuse(version, `cannot put the new build in place of ${exe}: ${(err as Error).message}`);
    } finally {
      rmSync(staged, { force: true });
    }
    // Written before the check: should this process die now, the new build starts watched (handover.ts), not trusted.
    beginHandover(this.dir, version);
    let problem: string | undefined;
    try {
      problem = await healthProblem(exe, this.config.file, this.config.selfUpdate!.healthTimeoutMs, signal);
    } catch (err) {
      if (!(err instanceof StoppedDuringUpdate)) throw err;
      rollBack(exe);
      clearHandover(this.dir);
      log.warn('the agent is stopping during the new build’s health check; the running version is back');
      return { status: 'failed', message: `the agent stopped during the health check of ${version}; ${VERSION} is back, offered again later`, samples: [] };
    }
    if (problem) {
      rollBack(exe);
      clearHandover(this.dir);
      log.error('the new build failed its health check; rolled back to the running version', { problem });
      this.remember(version, 'rolled-back', problem);
      return { status: 'failed', message: `rolled back to ${VERSION}: ${problem}`.slice(0, 1000), reasons: [problem.slice(0, 500)], samples: [] };
    }
    this.remember(version, 'installed');
    // The new build checks itself again once it runs for real (handover.ts), and goes back if it cannot.
    log.info('new build installed and healthy; restarting into it', { from: VERSION });
    setImmediate(() => this.opts.restart());
    return { status: 'done', message: `installed ${version} (was ${VERSION}); restarting through the service manager`, samples: [] };
  }

  private refuse(version: string | undefined, reason: string): PushedOutcome {
    if (version) this.remember(version, 'refused', reason);
    this.opts.log.warn('self-update refused', { version, reason });
    return { status: 'failed', message: `refused: ${reason}`.slice(0, 1000), reasons: [reason.slice(0, 500)], samples: [] };
  }

  private remember(version: string, state: UpdateOutcome, message?: string): void {
    this.last = { version, state, message, at: new Date().toISOString() };
    try {
      writeOutcome(this.dir, this.last);
    } catch (err) {
      this.opts.log.warn('cannot record the update outcome', { error: (err as Error).message });
    }
  }
}

/** What `run` needs: the pushed kind, and the watch of a build that was just handed over (handover.ts). */
export async function selfUpdateForRun(config: AgentConfig, log: Logger, restart: () => void): Promise<{ pushed: PushedKind[]; restartNow: boolean; stop: () => void }> {
  const controller = new AbortController();
  const none = { pushed: [], restartNow: false, stop: () => controller.abort() };
  if (!config.collector) return none;
  const executable = await runningExecutable();
  const dir = updateDir(config);
  const handover = startHandover(dir, executable, log);
  if (handover === 'restart') return { ...none, restartNow: true };
  if (handover) void watchHandover(config, dir, executable!, handover, config.selfUpdate?.healthTimeoutMs ?? 120_000, restart, log.child({ part: 'self-update' }), controller.signal);
  return { ...none, pushed: [new SelfUpdater(config, { log, restart, executable })] };
}
