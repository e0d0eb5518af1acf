// The agent's end of the collector's command channel (not the CLI): it polls for commands such as
// 'run this check now' and posts the results back.
import {
  AGENT_CHECKS_HEADER,
  AGENT_VERSION_HEADER,
  COMMAND_POLL_MAX_WAIT_SECONDS,
  PATHS,
  VERSION,
  type AgentCommand,
  type CommandPollResponse,
  type CommandResult,
  type RunCheckPayload,
  type WireSample,
} from '../protocol/index.ts';
import type { CollectorClient } from './collector-client.ts';
import type { CheckEntry } from './config.ts';
import type { Logger } from './log.ts';
import type { PushedKind } from './remote/pushed.ts';
import { confirmDelivery, runCheck } from './run-check.ts';
import { readToken } from './token-store.ts';

/**
 * The agent's side of the command channel: a long poll to the collector (held up to POLL_WAIT_SECONDS
 * when there is nothing to do, repeated at once after each answer, never more often than once per
 * MIN_GAP_MS), each command handed to its handler and the outcome posted back. Agencies sit behind
 * NAT: this is how the collector reaches an agent within a second or two.
 */

export const POLL_WAIT_SECONDS = 20;
const MIN_GAP_MS = 1000;
const RETRY_MIN_MS = 3000;
const RETRY_MAX_MS = 60_000;
/** A collector without the command channel (older version): look again much later. */
const NOT_SUPPORTED_RETRY_MS = 300_000;

export interface CommandContext {
  checks: CheckEntry[];
  log: Logger;
  /** Samples measured by a command go the usual way too (outbox → collector → InfluxDB). */
  deliver: (samples: WireSample[]) => void;
  signal: AbortSignal;
}

export type CommandHandler = (payload: unknown, ctx: CommandContext) => Promise<Omit<CommandResult, 'startedAt' | 'finishedAt'>>;

/** Command kinds this agent understands; an unknown kind is answered `unsupported`. */
export const HANDLERS: Record<string, CommandHandler> = {
  'run-check': runCheckNow,
};

/** `run-check`: every configured entry of the check type, now, alongside the schedule. */
async function runCheckNow(payload: unknown, ctx: CommandContext): Promise<Omit<CommandResult, 'startedAt' | 'finishedAt'>> {
  const { type, deadlineMs } = (payload ?? {}) as Partial<RunCheckPayload>;
  const entries = ctx.checks.filter((e) => e.def.type === type);
  if (typeof type !== 'string' || entries.length === 0) {
    return { status: 'unsupported', message: `this agent has no ${JSON.stringify(type)} check`, samples: [] };
  }
  const runs = await Promise.all(
    entries.map((entry) => runCheck(entry, ctx.log, { signal: ctx.signal, deadlineMs: Math.min(entry.config.intervalMs, deadlineMs ?? entry.config.intervalMs) })),
  );
  const samples = runs.flatMap((r) => r.samples);
  if (samples.length > 0) ctx.deliver(samples);
  for (const r of runs) confirmDelivery(r, ctx.log);
  const errors = runs.filter((r) => r.error).map((r) => `${r.entry.id}: ${r.error!.message}`);
  return errors.length > 0 ? { status: 'failed', message: errors.join('; ').slice(0, 1000), samples } : { status: 'done', samples };
}

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
          ...Object.assign({}, ...[...pushed.values()].map((p) => p.headers())),
        },
        timeoutMs: (wait + 15) * 1000,
      });
    } catch (err) {
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
    // One at a time: a command is a short burst of work, and two on-demand runs of the same check would measure each other.
    for (const command of commands) {
      if (controller.signal.aborted) break;
      await execute(command, token);
    }
    return Math.max(0, MIN_GAP_MS - (Date.now() - started));
  };

  const execute = async (command: AgentCommand, token: string): Promise<void> => {
    const startedAt = new Date().toISOString();
    log.info('command received', { id: command.id, kind: command.kind });
    const push = pushed.get(command.kind);
    const handler = Object.hasOwn(HANDLERS, command.kind) ? HANDLERS[command.kind] : undefined;
    let outcome: Omit<CommandResult, 'startedAt' | 'finishedAt'>;
    try {
      outcome = push
        ? await push.handle(command.payload, controller.signal)
        : handler
        ? await handler(command.payload, { checks: checksNow(), log, deliver: opts.deliver, signal: controller.signal })
        : { status: 'unsupported', message: `unknown command kind ${JSON.stringify(command.kind)}`, samples: [] };
    } catch (err) {
      outcome = { status: 'failed', message: (err as Error).message.slice(0, 1000), samples: [] };
    }
    const result: CommandResult = { ...outcome, startedAt, finishedAt: new Date().toISOString() };
    try {
      const res = await opts.client.postJson(PATHS.agentCommandResult.replace(':id', encodeURIComponent(command.id)), result, { token, gzip: true });
      if (res.status !== 200) log.warn('the collector refused a command result', { id: command.id, status: res.status, body: res.body });
    } catch (err) {
      // The samples also went through the outbox; only the operator waiting for this answer misses it.
      log.warn('cannot post a command result', { id: command.id, error: (err as Error).message });
    }
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
      // A held poll ends with the client's close; do not wait for it longer than a moment.
      await Promise.race([loop, new Promise((r) => setTimeout(r, 2000))]);
    },
  };
}
