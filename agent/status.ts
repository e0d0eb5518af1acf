// The agent's own health (`agent_status`: queue, drops, cycle time, memory), sent like any other sample.
import { hostname } from 'node:os';
import { VERSION, type WireSample } from '../protocol/index.ts';
import type { OutboxStats } from './outbox.ts';
import { SampleRecorder } from './recorder.ts';

/**
 * The agent's own `agent_status` sample. `statusIntervalMs` (the running agent's timer) is sent with it:
 * behind a balancer each collector sees only some of these samples, and the gaps it sees between them
 * would stretch the silence the collector waits for.
 */
export function agentStatusSample(stats: OutboxStats, cycleMs: number, statusIntervalMs?: number): WireSample {
  const r = new SampleRecorder();
  r.record(
    'agent_status',
    { version: VERSION, host: hostname() },
    {
      queue_samples: stats.samples,
      queue_bytes: stats.bytes,
      dropped_samples: stats.dropped,
      cycle_ms: Math.round(cycleMs * 1000) / 1000,
      rss_bytes: process.memoryUsage.rss(),
      ...(statusIntervalMs !== undefined ? { status_interval_ms: Math.round(statusIntervalMs) } : {}),
    },
  );
  return r.samples[0];
}
