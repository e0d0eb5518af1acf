// What the agent does with one command from the collector: the handler or pushed kind that answers it,
// the result posted back, and which commands it received and has not answered yet (named in each poll).
import { formatRunningHeader, PATHS, type AgentCommand, type CommandResult, type RunCheckPayload, type WireSample } from '../protocol/index.ts';
import type { CollectorClient } from './collector-client.ts';
import type { CheckEntry } from './config.ts';
import type { Logger } from './log.ts';
import type { PushedKind } from './remote/pushed.ts';
import { confirmDelivery, runCheck } from './run-check.ts';

export interface CommandContext {
  checks: CheckEntry[];
  log: Logger;
  /** Samples measured by a command go the usual way too (outbox → collector → InfluxDB). */
  deliver: (samples: WireSample[]) => void;
  signal: AbortSignal;
}

type Outcome = Omit<CommandResult, 'startedAt' | 'finishedAt'>;
export type CommandHandler = (payload: unknown, ctx: CommandContext) => Promise<Outcome>;

/** Command kinds this agent understands; an unknown kind is answered `unsupported`. */
export const HANDLERS: Record<string, CommandHandler> = {
  'run-check': runCheckNow,
};

/** `run-check`: every configured entry of the check type, now, alongside the schedule. */
async function runCheckNow(payload: unknown, ctx: CommandContext): Promise<Outcome> {
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

export interface CommandRunnerOptions {
  client: CollectorClient;
  checks: () => CheckEntry[];
  log: Logger;
  deliver: (samples: WireSample[]) => void;
  pushed: ReadonlyMap<string, PushedKind>;
  /** Aborts the work in flight when the agent stops. */
  signal: AbortSignal;
}

/**
 * Runs the commands the poller received. Most run one at a time in the poll loop (a command is a short
 * burst of work, and two on-demand runs of one check would measure each other); a pushed kind marked
 * `background` (a build's download: minutes) runs beside it, so polling and other commands go on.
 * A command counts as running from its arrival until its result was posted (or could not be): the
 * collector reads that in the next poll, and sends again what it sent and sees neither there nor answered.
 */
export class CommandRunner {
  private readonly running = new Set<string>();
  private readonly beside = new Set<Promise<void>>();

  constructor(private readonly opts: CommandRunnerOptions) {}

  /** The poll header's value: the commands received and not answered yet. */
  runningHeader(): string {
    return formatRunningHeader(this.running);
  }

  /** Runs `command`: awaited here, or beside the poll for a background kind (the promise then resolves at once). */
  async take(command: AgentCommand, token: string): Promise<void> {
    this.running.add(command.id);
    if (this.opts.signal.aborted) {
      // It reached an agent that is stopping: answered, so that nobody waits for it until it expires.
      this.opts.log.warn('command received while stopping; not run', { id: command.id, kind: command.kind });
      return this.post(command, token, new Date().toISOString(), { status: 'failed', message: 'not run: the agent is stopping; ask again once it is back', samples: [] });
    }
    const work = this.execute(command, token);
    if (!this.opts.pushed.get(command.kind)?.background) return work;
    this.beside.add(work);
    void work.finally(() => this.beside.delete(work));
  }

  /** Until the work beside the poll has ended (it sees the abort), at most `ms`. */
  async settle(ms: number): Promise<void> {
    if (this.beside.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.beside]), new Promise((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }

  private async execute(command: AgentCommand, token: string): Promise<void> {
    const startedAt = new Date().toISOString();
    const { log, pushed, signal } = this.opts;
    log.info('command received', { id: command.id, kind: command.kind });
    const push = pushed.get(command.kind);
    const handler = Object.hasOwn(HANDLERS, command.kind) ? HANDLERS[command.kind] : undefined;
    let outcome: Outcome;
    try {
      outcome = push
        ? await push.handle(command.payload, signal)
        : handler
          ? await handler(command.payload, { checks: this.opts.checks(), log, deliver: this.opts.deliver, signal })
          : { status: 'unsupported', message: `unknown command kind ${JSON.stringify(command.kind)}`, samples: [] };
    } catch (err) {
      outcome = { status: 'failed', message: (err as Error).message.slice(0, 1000), samples: [] };
    }
    await this.post(command, token, startedAt, outcome);
  }

  private async post(command: AgentCommand, token: string, startedAt: string, outcome: Outcome): Promise<void> {
    const result: CommandResult = { ...outcome, startedAt, finishedAt: new Date().toISOString() };
    try {
      // With the pushed kinds' headers: what the agent runs after this command (a refused build in `last`), for the console now rather than at the next poll.
      const headers = Object.assign({}, ...[...this.opts.pushed.values()].map((p) => p.headers())) as Record<string, string>;
      const res = await this.opts.client.postJson(PATHS.agentCommandResult.replace(':id', encodeURIComponent(command.id)), result, { token, gzip: true, headers });
      if (res.status !== 200) this.opts.log.warn('the collector refused a command result', { id: command.id, status: res.status, body: res.body });
    } catch (err) {
      // The samples also went through the outbox; the collector, not finding this command running
      // in the next poll nor answered, may send it again.
      this.opts.log.warn('cannot post a command result', { id: command.id, error: (err as Error).message });
    } finally {
      this.running.delete(command.id);
    }
  }
}
