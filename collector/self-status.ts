// The collector's own health as a sample (collector_status), written like any other and shown to the
// alert engine, so a growing spool or write errors raise an alert and appear in Grafana.
import { hostname } from 'node:os';
import type { WireSample } from '../protocol/index.ts';
import type { Alerting } from './alerts/service.ts';
import type { IngestStats } from './ingest/stats.ts';
import type { Storage } from './storage.ts';

export function statusTimer(stats: IngestStats, storage: Storage, alerting: Alerting, agenciesConfigured: number, intervalMs: number): NodeJS.Timeout {
  const instance = hostname();
  const timer = setInterval(() => {
    const now = Date.now();
    const sample = statusSample(instance, stats, storage, agenciesConfigured);
    const refusals = stats.refusals.takeSamples(instance, now);
    storage.store([sample, ...refusals.map((r) => r.sample)]).catch(() => undefined);
    // It has no agency: the rules that read it (collector_spool_growing) are province-wide.
    alerting.observe({ id: '', agency: '' }, [sample], now);
    // A refusal sample is about one agent: its alert goes to that agent's agency (and the security team).
    for (const r of refusals) alerting.observe(r.identity, [r.sample], now);
  }, intervalMs);
  timer.unref();
  return timer;
}

function statusSample(instance: string, stats: IngestStats, storage: Storage, agenciesConfigured: number): WireSample {
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
    },
    time: new Date().toISOString(),
  };
}
