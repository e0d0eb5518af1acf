// After a self-update handed over: the new build, now running for real, must report healthy again within
// selfUpdate.healthTimeout and within a few starts, or it puts the previous executable back and restarts.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '../../protocol/index.ts';
import type { AgentConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { healthReason } from './health-check.ts';
import { rollBack } from './install.ts';
import { writeOutcome } from './outcome.ts';

/** Starts of the new build without a confirmed health check before it is given up (a crash after start). */
export const MAX_UNCONFIRMED_STARTS = 3;
const RETRY_MS = 3000;

export interface Handover {
  from: string;
  to: string;
  at: string;
  starts: number;
}

const fileOf = (dir: string) => join(dir, 'handover.json');
/** Starts counted by the service manager's guard (deploy/agent/canhgac-agent-guard) for builds that die before this code runs. */
const guardCountOf = (dir: string) => join(dir, 'handover.starts');

function writeHandover(dir: string, h: Handover): void {
  writeFileSync(fileOf(dir), JSON.stringify(h), { mode: 0o600 });
}

/** A new handover from the running build to `to`, its start counts (its own and the guard's) at zero. */
export function beginHandover(dir: string, to: string): void {
  rmSync(guardCountOf(dir), { force: true });
  writeHandover(dir, { from: VERSION, to, at: new Date().toISOString(), starts: 0 });
}

/** No handover to watch any more (the new build is healthy, or it was put back). */
export function clearHandover(dir: string): void {
  rmSync(fileOf(dir), { force: true });
  rmSync(guardCountOf(dir), { force: true });
}

function readHandover(dir: string): Handover | undefined {
  try {
    const h = JSON.parse(readFileSync(fileOf(dir), 'utf8').slice(0, 4096)) as Handover;
    return typeof h.to === 'string' && typeof h.from === 'string' && Number.isInteger(h.starts) ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Back to the previous executable, the outcome recorded for the collector. */
function giveUp(dir: string, exe: string, h: Handover, reason: string, log: Logger): void {
  clearHandover(dir);
  rollBack(exe);
  writeOutcome(dir, { version: h.to, state: 'rolled-back', message: reason, at: new Date().toISOString() });
  log.error('the new build is not healthy after the handover; the previous executable is back, restarting into it', { version: h.to, reason });
}

/**
 * At `run` start. Undefined when there is nothing to watch; `restart` when this build gave up at once
 * (too many starts without a confirmed health check); otherwise the handover to watch.
 */
export function startHandover(dir: string, exe: string | undefined, log: Logger): 'restart' | Handover | undefined {
  const h = readHandover(dir);
  if (!h) return undefined;
  if (h.to !== VERSION || !exe || !existsSync(`${exe}.previous`)) {
    // Another build runs (put back by hand, or the old one after a rollback): nothing of ours to watch.
    clearHandover(dir);
    return undefined;
  }
  h.starts++;
  if (h.starts > MAX_UNCONFIRMED_STARTS) {
    giveUp(dir, exe, h, `${VERSION} started ${h.starts - 1} times without reporting healthy`, log);
    return 'restart';
  }
  writeHandover(dir, h);
  return h;
}

/** Until healthy (handover done) or `timeoutMs` (rolled back, then `restart`); stops with `signal`. */
export async function watchHandover(config: AgentConfig, dir: string, exe: string, h: Handover, timeoutMs: number, restart: () => void, log: Logger, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let reason = 'no health check ran';
  while (!signal.aborted && Date.now() < deadline) {
    const why = await healthReason(config);
    if (!why) {
      clearHandover(dir);
      log.info('the new build reported healthy after the handover', { version: VERSION, from: h.from });
      return;
    }
    reason = why;
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
  if (signal.aborted) return;
  giveUp(dir, exe, h, `${VERSION} did not report healthy within ${timeoutMs} ms after the restart (${reason})`, log);
  restart();
}
