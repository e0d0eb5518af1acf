// The collector's own health as samples (collector_status, and collector_influx_node per InfluxDB node),
// written like any other and shown to the alert engine, so a growing spool or write errors raise an alert.
import { hostname } from 'node:os';
import type { WireSample } from '../protocol/index.ts';
import type { Alerting } from './alerts/service.ts';
import type { Cluster } from './cluster.ts';
import type { IngestStats } from './ingest/stats.ts';
import type { Storage } from './storage.ts';

export function statusTimer(stats: IngestStats, storage: Storage, alerting: Alerting, agenciesConfigured: number, intervalMs: number, cluster?: Pick<Cluster, 'isLeader'>): NodeJS.Timeout {
  const instance = hostname();
  const timer = setInterval(() => {
    const now = Date.now();
    const sample = statusSample(instance, stats, storage, agenciesConfigured, cluster?.isLeader() ?? true);
    const refusals = stats.refusals.takeSamples(instance, now);
    const nodes = nodeSamples(instance, storage, sample.time);
    storage.store([sample, ...nodes, ...refusals.map((r) => r.sample)]).catch(() => undefined);
    // They have no agency: the rules that read them (collector_spool_growing, influx_node_out_of_sync) are province-wide.
    alerting.observe({ id: '', agency: '' }, [sample, ...nodes], now);
    // A refusal sample is about one agent: its alert goes to that agent's agency (and the security team).
    for (const r of refusals) alerting.observe(r.identity, [r.sample], now);
  }, intervalMs);
  timer.unref();
  return timer;
}

function statusSample(instance: string, stats: IngestStats, storage: Storage, agenciesConfigured: number, leader: boolean): WireSample {
  const period = stats.takePeriod();
  const spool = storage.spool.stats();
  return {
    measurement: 'collector_status',
    tags: { instance },
    fields: {
      agents_seen: period.agentsSeen,
      samples_accepted: stats.samplesAccepted,
      samples_rejected: stats.samplesRejected,
      ingest_rate: Math.round(period.ratePerSecond * 1000) / 1000,
      write_errors: stats.writeErrors,
      samples_over_budget: stats.seriesBudget?.refused ?? 0,
      points_refused: stats.pointsRefused,
      deadletter_bytes: storage.deadLetter.stats().bytes,
      spool_samples: spool.samples,
      spool_bytes: spool.bytes,
      agencies_configured: agenciesConfigured,
      influx_nodes_out_of_sync: storage.spool.nodes().filter((n) => n.outOfSync).length,
      leader: leader ? 1 : 0,
    },
    time: new Date().toISOString(),
  };
}

/** One collector_influx_node sample per InfluxDB node: its lag, whether writes to it succeed, any gap. */
function nodeSamples(instance: string, storage: Storage, time: string): WireSample[] {
  return storage.spool.nodes().map((n) => ({
    measurement: 'collector_influx_node',
    tags: { instance, node: n.node },
    fields: { lag_samples: n.lagSamples, lag_bytes: n.lagBytes, writing: n.failing ? 0 : 1, out_of_sync: n.outOfSync ? 1 : 0, skipped_samples: n.skippedSamples },
    time,
  }));
}
