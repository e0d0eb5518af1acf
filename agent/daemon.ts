import { CollectorClient } from './collector-client.ts';
import type { AgentConfig } from './config.ts';
import type { Logger } from './log.ts';
import { MemoryOutbox, type Outbox } from './outbox.ts';
import { Scheduler } from './scheduler.ts';
import { Sender } from './sender.ts';
import { agentStatusSample } from './status.ts';
import { readToken } from './token-store.ts';

export class NotEnrolledError extends Error {}

export interface Daemon {
  stop(): Promise<void>;
  outbox: Outbox;
  sender: Sender;
}

/** The long-running agent: scheduler → outbox → sender, plus its own status sample. */
export function startDaemon(config: AgentConfig, log: Logger, opts: { outbox?: Outbox } = {}): Daemon {
  const collector = config.collector;
  if (!collector) throw new NotEnrolledError(`${config.file}: collector: missing; \`run\` needs collector.url and collector.tokenFile`);
  const token = readToken(collector.tokenFile);
  if (!token) {
    throw new NotEnrolledError(
      `no agent token in ${collector.tokenFile}: enrol this agent first with\n  canhgac-agent enroll --config ${config.file} --code CODE`,
    );
  }
  const outbox = opts.outbox ?? new MemoryOutbox(config.outbox.maxBytes);
  const client = new CollectorClient(collector.url, { ca: collector.ca });
  const sender = new Sender({ client, outbox, log, tokenFile: collector.tokenFile, token, intervalMs: config.agent.sendIntervalMs });
  let lastCycleMs = 0;
  const scheduler = new Scheduler(config.checks, {
    log,
    maxSplayMs: config.agent.maxSplayMs,
    onRun: (run) => {
      lastCycleMs = run.durationMs;
      outbox.append(run.samples);
      sender.nudge();
    },
  });
  const status = () => outbox.append([agentStatusSample(outbox.stats(), lastCycleMs)]);
  const statusTimer = setInterval(status, config.agent.statusIntervalMs);
  status();
  scheduler.start();
  sender.start();
  log.info('agent started', { checks: config.checks.length, collector: client.origin });

  let stopping: Promise<void> | undefined;
  return {
    outbox,
    sender,
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(statusTimer);
        await scheduler.stop();
        await sender.stop();
        // One bounded last attempt so a clean stop leaves as little as possible queued.
        await Promise.race([sender.flush().catch(() => 0), new Promise((r) => setTimeout(r, 3000))]);
        outbox.close();
        client.close();
        log.info('agent stopped', { queued: outbox.stats().samples });
      })()),
  };
}
