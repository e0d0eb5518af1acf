// What `canhgac-agent run` starts and stops: scheduler, disk outbox, sender, command poller and the
// agent's own status sample, wired together; the CLI only parses arguments and signals.
import { CollectorClient } from './collector-client.ts';
import { startCommandPoller } from './command-poller.ts';
import type { AgentConfig } from './config.ts';
import type { Logger } from './log.ts';
import { appendFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { WireSample } from '../protocol/index.ts';
import { DiskOutbox } from './outbox-disk.ts';
import type { Outbox } from './outbox.ts';
import type { PushedKind } from './remote/pushed.ts';
import { RemoteConfig } from './remote/remote-config.ts';
import { remoteConfigFile } from './remote/store.ts';
import { confirmDelivery } from './run-check.ts';
import { Scheduler } from './scheduler.ts';
import { Sender } from './sender.ts';
import { agentStatusSample } from './status.ts';
import { readToken } from './token-store.ts';

export class NotEnrolledError extends Error {}

export interface Daemon {
  stop(): Promise<void>;
  outbox: Outbox;
  sender: Sender;
  /** The configuration from the collector, as this agent runs it. */
  remote: RemoteConfig;
}

/** The long-running agent: scheduler → outbox → sender, plus its own status sample. */
export function startDaemon(config: AgentConfig, log: Logger, opts: { outbox?: Outbox; pushed?: PushedKind[] } = {}): Daemon {
  const collector = config.collector;
  if (!collector) throw new NotEnrolledError(`${config.file}: collector: missing; \`run\` needs collector.url and collector.tokenFile`);
  const token = readToken(collector.tokenFile);
  if (!token) {
    throw new NotEnrolledError(
      `no agent token in ${collector.tokenFile}: enrol this agent first with\n  canhgac-agent enroll --config ${config.file} --code CODE`,
    );
  }
  const outbox =
    opts.outbox ??
    new DiskOutbox({ dir: outboxDir(config), maxBytes: config.outbox.maxBytes, maxAgeMs: config.outbox.maxAgeMs, log });
  const produced = sampleLogger(config.agent.sampleLog, log);
  const client = new CollectorClient(collector.url, { ca: collector.ca });
  const sender = new Sender({
    client,
    outbox,
    log,
    tokenFile: collector.tokenFile,
    token,
    intervalMs: config.agent.sendIntervalMs,
    minBackoffMs: Math.min(1000, config.agent.maxBackoffMs),
    maxBackoffMs: config.agent.maxBackoffMs,
  });
  let lastCycleMs = 0;
  // The checks in force: the local file's, and those of the collector's profile that it allows.
  const remote = new RemoteConfig(config, {
    log: log.child({ part: 'remote-config' }),
    file: remoteConfigFile(config),
    apply: (next) => {
      checks = next;
      const change = scheduler.replace(next);
      log.info('checks in force changed', { checks: next.length, ...change });
    },
  });
  let checks = remote.startChecks();
  const scheduler = new Scheduler(checks, {
    log,
    maxSplayMs: config.agent.maxSplayMs,
    onRun: (run) => {
      lastCycleMs = run.durationMs;
      outbox.append(run.samples);
      confirmDelivery(run, log);
      produced(run.samples);
      sender.nudge();
    },
  });
  const status = () => {
    const sample = [agentStatusSample(outbox.stats(), lastCycleMs, config.agent.statusIntervalMs)];
    outbox.append(sample);
    produced(sample);
  };
  const statusTimer = setInterval(status, config.agent.statusIntervalMs);
  status();
  scheduler.start();
  sender.start();
  // On-demand work from the collector (e.g. `meeting-check`): its samples take the usual way too.
  const commands = startCommandPoller({
    client,
    tokenFile: collector.tokenFile,
    checks: () => checks,
    // Besides the configuration: whatever else the caller handles (a signed build: agent/self-update/).
    pushed: [remote, ...(opts.pushed ?? [])],
    log,
    deliver: (samples) => {
      outbox.append(samples);
      produced(samples);
      sender.nudge();
    },
  });
  log.info('agent started', { checks: checks.length, collector: client.origin });

  let stopping: Promise<void> | undefined;
  return {
    outbox,
    sender,
    remote,
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(statusTimer);
        await commands.stop();
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

/** `outbox.dir`, or `outbox/` next to the token file (both belong to the agent's state directory). */
export function outboxDir(config: AgentConfig): string {
  if (config.outbox.dir) return resolve(dirname(config.file), config.outbox.dir);
  return join(dirname(resolve(dirname(config.file), config.collector!.tokenFile)), 'outbox');
}

/** `agent.sampleLog`: every produced sample as a JSON line, once it is in the outbox. */
function sampleLogger(file: string | undefined, log: Logger): (samples: WireSample[]) => void {
  if (!file) return () => undefined;
  return (samples) => {
    try {
      appendFileSync(file, samples.map((s) => JSON.stringify(s) + '\n').join(''));
    } catch (err) {
      log.warn('cannot write agent.sampleLog', { file, error: err });
    }
  };
}
