// The agent's end of the collector's command channel (not the CLI): it polls for commands such as
// 'run this check now' and posts the results back.
import {
  AGENT_CHECKS_HEADER,
  AGENT_RUNNING_HEADER,
  AGENT_VERSION_HEADER,
  COMMAND_POLL_MAX_WAIT_SECONDS,
  PATHS,
  VERSION,
  type CommandPollResponse,
  type WireSample,
} from '../protocol/index.ts';
import type { CollectorClient } from './collector-client.ts';
import { CommandRunner } from './command-runner.ts';
import type { CheckEntry } from './config.ts';
import type { Logger } from './log.ts';
import type { PushedKind } from './remote/pushed.ts';
import { readToken } from './token-store.ts';

export { HANDLERS, type CommandContext, type CommandHandler } from './command-runner.ts';

/**
 * The agent's side of the command channel: a long poll to the collector (held up to POLL_WAIT_SECONDS
 * when there is nothing to do, repeated at once after each answer, never more often than once per
 * MIN_GAP_MS), each command handed to the runner and the outcome posted back. Agencies sit behind
 * NAT: this is how the collector reaches an agent within a second or two.
 */

export const POLL_WAIT_SECONDS = 20;
const MIN_GAP_MS = 1000;
const RETRY_MIN_MS = 3000;
const RETRY_MAX_MS = 60_000;
/** A collector without the command channel (older version): look again much later. */
const NOT_SUPPORTED_RETRY_MS = 300_000;
/** At stop, how long work beside the poll (a build's download or health check) has to unwind. */
const SETTLE_MS = 5000;

export interface CommandPollerOptions {
  client: CollectorClient;
  /** Read at every poll, so a token rotated by the sender is picked up. */
  tokenFile: string;
  /** The checks in force, read at every poll (a configuration from the collector replaces them). */
  checks: CheckEntry[] | (() => CheckEntry[]);
  log: Logger;
  deliver: (samples: WireSample[]) => void;
  waitSeconds?: number;
  /** Things the collector pushes (a configuration): their headers go with every poll, their kinds are handled. */
  pushed?: readonly PushedKind[];
}

export interface CommandPoller {
  stop(): Promise<void>;
}

export function startCommandPoller(opts: CommandPollerOptions): CommandPoller {
  const controller = new AbortController();
  const log = opts.log.child({ part: 'commands' });
  const checksNow = typeof opts.checks === 'function' ? opts.checks : () => opts.checks as CheckEntry[];
  const pushed = new Map((opts.pushed ?? []).map((p) => [p.kind, p]));
  const wait = Math.min(opts.waitSeconds ?? POLL_WAIT_SECONDS, COMMAND_POLL_MAX_WAIT_SECONDS);
  const runner = new CommandRunner({ client: opts.client, checks: checksNow, log, deliver: opts.deliver, pushed, signal: controller.signal });
  let failures = 0;
  let lastProblem = '';
  const problem = (message: string, fields?: Record<string, unknown>) => {
    if (message !== lastProblem) log.warn(message, fields);
    lastProblem = message;
  };

  const pollOnce = async (): Promise<number> => {
    const token = readToken(opts.tokenFile);
    if (!token) {
      problem('no agent token; command polling waits for enrolment', { tokenFile: opts.tokenFile });
      return RETRY_MAX_MS;
    }
    const started = Date.now();
    let res;
    try {
      res = await opts.client.getJson(`${PATHS.agentCommands}?wait=${wait}`, {
        token,
        headers: {
          [AGENT_CHECKS_HEADER]: [...new Set(checksNow().map((e) => e.def.type))].sort().join(','),
          [AGENT_VERSION_HEADER]: VERSION,
          ...(runner.runningHeader() ? { [AGENT_RUNNING_HEADER]: runner.runningHeader() } : {}),
          ...Object.assign({}, ...[...pushed.values()].map((p) => p.headers())),
        },
        timeoutMs: (wait + 15) * 1000,
        // At stop the held poll is closed, so the collector does not answer it with work nobody takes.
        signal: controller.signal,
      });
    } catch (err) {
      if (controller.signal.aborted) return 0;
      failures++;
      problem('cannot poll the collector for commands', { error: (err as Error).message });
      return Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(failures - 1, 5));
    }
    if (res.status === 404) {
      problem('the collector has no command channel (older version); on-demand checks are off', { status: 404 });
      return NOT_SUPPORTED_RETRY_MS;
    }
    if (res.status !== 200) {
      failures++;
      problem('the collector refused a command poll', { status: res.status });
      return res.status === 401 || res.status === 403 ? RETRY_MAX_MS : Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(failures - 1, 5));
    }
    failures = 0;
    lastProblem = '';
    const commands = (res.body as CommandPollResponse | undefined)?.commands ?? [];
    for (const command of commands) await runner.take(command, token);
    return Math.max(0, MIN_GAP_MS - (Date.now() - started));
  };

  const loop = (async () => {
    while (!controller.signal.aborted) {
      const pause = await pollOnce();
      if (controller.signal.aborted || pause === 0) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, pause);
        function done() {
          clearTimeout(t);
          controller.signal.removeEventListener('abort', done);
          resolve();
        }
        controller.signal.addEventListener('abort', done, { once: true });
      });
    }
  })();

  return {
    stop: async () => {
      controller.abort(new Error('agent stopping'));
      // The held poll ends with the abort; a command in the loop gets a moment to post its result.
      await Promise.race([loop, new Promise((r) => setTimeout(r, 2000))]);
      await runner.settle(SETTLE_MS);
    },
  };
}
