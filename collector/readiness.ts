// What /readyz reports: whether the state database, InfluxDB (each node) and the spool can take samples
// now, each node's lag, and the ingest counters a person looks at first when something is off.
import type { CollectorConfig } from './config.ts';
import type { IngestStats } from './ingest/stats.ts';
import type { Readiness } from './server/routes/health.ts';
import { sql } from 'kysely';
import type { StateSql } from './state/sql/connect.ts';
import type { NodeStatus } from './spool/spool.ts';
import type { Storage } from './storage.ts';
import type { Cluster } from './cluster.ts';

const STATE_TIMEOUT_MS = 2000;

/** The state database answers a query within `timeoutMs` (a balancer's check must not hang on a stuck one). */
export async function stateCheck(state: StateSql, timeoutMs = STATE_TIMEOUT_MS): Promise<{ ok: boolean; detail?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)));
  try {
    await Promise.race([sql`SELECT 1 AS one`.execute(state.db), late]);
    return { ok: true };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export function readiness(state: StateSql, config: CollectorConfig, stats: IngestStats, storage: Storage, cluster?: Pick<Cluster, 'isLeader'>): () => Promise<Readiness> {
  return async () => {
    const checks: Readiness['checks'] = {};
    const schemas = storage.schemas();
    // The state and every InfluxDB node asked at once: the answer waits for the slowest, not their sum.
    const [stateOk, ...pings] = await Promise.all([stateCheck(state), ...schemas.map((s) => influxCheck(s.node, s))]);
    checks.state = stateOk;
    checks.influxdb = schemas.length === 1 ? pings[0] : combined(schemas.map((s) => s.node), pings);
    const spool = storage.spool;
    const depth = spool.stats();
    const nodes = spool.nodes();
    if (nodes.length > 1) checks.influxSync = syncCheck(nodes, config.spool.maxLagBytes);
    checks.spool = depth.full ? { ok: false, detail: `spool full: ${depth.samples} samples (${depth.bytes} bytes) waiting for InfluxDB` } : { ok: true, detail: `${depth.samples} samples waiting` };
    const refusals = refusalChecks(stats, storage, Date.now());
    Object.assign(checks, refusals.checks);
    return {
      // With InfluxDB down the collector still takes samples (into the spool) while the spool has room.
      // Refusals (series budget, dead letter) are shown but do not make the collector unready.
      ready: checks.state.ok && checks.spool.ok,
      checks,
      // Shown, never a reason to be unready: a follower takes agents and the console as well as the leader.
      role: (cluster?.isLeader() ?? true) ? 'leader' : 'follower',
      ingest: {
        samplesAccepted: stats.samplesAccepted,
        samplesRejected: stats.samplesRejected,
        samplesOverBudget: stats.seriesBudget?.refused ?? 0,
        pointsRefused: stats.pointsRefused,
        writeErrors: stats.writeErrors,
        ratePerSecond: Math.round(stats.currentRate() * 1000) / 1000,
      },
      spool: { samples: depth.samples, bytes: depth.bytes, replaying: spool.isReplaying, replayedSamples: spool.replayedSamples },
      influxNodes: nodes.map((n, i) => nodeReport(n, pings[i].ok)),
      seriesBudget: refusals.seriesBudget,
      deadLetter: refusals.deadLetter,
    };
  };
}

/** Who was refused samples in the last hour (series budget) and what InfluxDB refused (dead letter). */
function refusalChecks(stats: IngestStats, storage: Storage, now: number) {
  const hits = stats.seriesBudget?.hitList(20) ?? [];
  const recent = hits.filter((h) => now - h.lastRefusedAt < RECENT_MS);
  const dead = storage.deadLetter.stats();
  const deadRecent = dead.lastAt !== undefined && now - dead.lastAt < RECENT_MS;
  return {
    checks: {
      seriesBudget: recent.length === 0
        ? { ok: true }
        : { ok: false, detail: `${recent.length} agent(s) over their series budget in the last hour: ${recent.map((h) => `${h.agent} (${h.agency}) ${h.measurement} ${h.series}/${h.budget}`).join(', ')}` },
      deadLetter: deadRecent
        ? { ok: false, detail: `InfluxDB refused ${dead.refused} samples since start; the writes are in the dead letter (${dead.files} files, ${dead.bytes} bytes)` }
        : { ok: true },
    },
    seriesBudget: { agentsRefused: hits.map((h) => ({ ...h, lastRefusedAt: new Date(h.lastRefusedAt).toISOString() })) },
    deadLetter: { ...dead, lastAt: dead.lastAt === undefined ? undefined : new Date(dead.lastAt).toISOString() },
  };
}

const RECENT_MS = 3_600_000;

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** One InfluxDB node as /readyz shows it: reachable, how far behind, and any gap it has. */
function nodeReport(n: NodeStatus, ok: boolean) {
  return {
    node: n.node,
    /** Answers /ping and has its schema. */
    ok,
    lagSamples: n.lagSamples,
    lagBytes: n.lagBytes,
    failing: n.failing,
    outOfSync: n.outOfSync,
    skippedSamples: n.skippedSamples,
    gapSince: n.skippedSamples > 0 ? (iso(n.gapSince) ?? 'unknown') : undefined,
    gapUntil: iso(n.gapUntil),
    lastError: n.failing ? n.lastError : undefined,
    lastWriteAt: iso(n.lastWriteAt),
    caughtUpAt: iso(n.caughtUpAt),
    replayedSamples: n.replayedSamples,
  };
}

/** Every node reachable with its schema; the detail names each one that is not. */
function combined(nodes: string[], pings: { ok: boolean; detail?: string }[]): { ok: boolean; detail?: string } {
  const bad = nodes.map((node, i) => ({ node, ...pings[i] })).filter((p) => !p.ok);
  if (bad.length === 0) return { ok: true };
  return { ok: false, detail: `${bad.length} of ${nodes.length} nodes: ${bad.map((b) => `${b.node} ${b.detail ?? 'not ready'}`).join('; ')}` };
}

/** Not ok while a node is over spool.maxLagBytes behind or has a gap (samples it gave up); does not make the collector unready. */
function syncCheck(nodes: NodeStatus[], maxLagBytes: number): { ok: boolean; detail?: string } {
  const out = nodes.filter((n) => n.outOfSync);
  if (out.length === 0) return { ok: true };
  const what = (n: NodeStatus) =>
    n.skippedSamples > 0
      ? `${n.node} gave up ${n.skippedSamples} samples that reached the collector from ${iso(n.gapSince) ?? 'an unknown time'} to ${iso(n.gapUntil)} (fill the gap from another node)`
      : `${n.node} is ${n.lagBytes} bytes behind (more than spool.maxLagBytes, ${maxLagBytes})`;
  return { ok: false, detail: `out of sync: ${out.map(what).join('; ')}` };
}

async function influxCheck(url: string, schema: { ok: boolean; error: string }): Promise<{ ok: boolean; detail?: string }> {
  try {
    const res = await fetch(new URL('/ping', url), { signal: AbortSignal.timeout(2000) });
    if (res.status !== 204) return { ok: false, detail: `ping answered ${res.status}` };
    return { ok: schema.ok, detail: schema.ok ? undefined : `schema not ready: ${schema.error}` };
  } catch (err) {
    return { ok: false, detail: `unreachable: ${(err as Error).message}` };
  }
}
