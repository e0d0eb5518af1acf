// Scale (issue 19): ingest with the state on PostgreSQL against SQLite, two collectors behind HAProxy
// against one direct, and how long after `kill -9` of a collector each agent's samples are accepted
// again. Real collector processes, influxd, PostgreSQL 15 and HAProxy, all on loopback; bounded.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCollectorConfig } from '../../collector/config.ts';
import { openState } from '../../collector/state/open.ts';
import { freePort, startInfluxd, type Influxd } from '../../scripts/lib/influxd.ts';
import { startPostgres, type Postgres } from '../../scripts/lib/postgres.ts';
import { waitFor, writeYaml } from '../support/agent.ts';
import { TEST_AGENCIES } from '../support/collector.ts';
import { startHaproxy, type Haproxy } from '../support/haproxy.ts';
import { missing } from '../support/require.ts';
import { AGENT_RETRY, recovery, startFailoverAgents, type AgentRecovery, type FailoverAgents } from './failover-agents.ts';
import { agentSamples, BenchHttp, collectorPosts, collectorReady, drive, makeAgents, quiet, spawnCollector, storedPoints } from './ingest-load.ts';
import { cpuSeconds, fmt, median, percentile, sleep, table } from './lib.ts';
import { watchLoad } from './machine-load.ts';

// The ingest bench's load: the same agents, batch size and concurrency.
const AGENTS = Number(process.env.BENCH_AGENTS ?? 50);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const POINTS = Number(process.env.BENCH_POINTS ?? 400_000);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const FAILOVER_AGENTS = Number(process.env.BENCH_FAILOVER_AGENTS ?? 20);
const FAILOVER_REPEATS = Math.max(1, Number(process.env.BENCH_FAILOVER_REPEATS ?? 3));
// BENCH_SCALE_TABLES=1 (or 2,3 ...): only those tables, e.g. to profile one of them.
const TABLES = (process.env.BENCH_SCALE_TABLES ?? '1,2,3').split(',').map((t) => t.trim());
const FAILOVER_EVERY_MS = 200;
// deploy/ha/haproxy.cfg checks each collector's /readyz every 2 s (fall 2): the failover time depends on it.
const CHECK_MS = Number(process.env.BENCH_HAPROXY_CHECK_MS ?? 2000);
/** An agent not delivering again within this long after the kill is reported as not recovered. */
const RECOVERY_BOUND_MS = 30_000;
const DATABASE = 'bench';
const perAgent = Math.ceil(POINTS / AGENTS);
const http = new BenchHttp(AGENTS);

interface Collector {
  name: string;
  url: string;
  configFile: string;
  child?: ChildProcess;
}

async function startCollector(c: Collector): Promise<void> {
  c.child = spawnCollector(c.configFile);
  await collectorReady(http, c.url);
}

async function stopCollector(c: Collector, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const child = c.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

function collectorConfig(dir: string, name: string, port: number, influx: Influxd, state?: Record<string, unknown>): Collector {
  const configFile = writeYaml(join(dir, `${name}.yaml`), {
    listen: { host: '127.0.0.1', port, plainHttp: true },
    dataDir: join(dir, name),
    influx: { url: influx.url, database: DATABASE },
    ingest: { rateLimit: { requestsPerSecond: 100_000, samplesPerSecond: 100_000_000 } },
    agencies: TEST_AGENCIES,
    ...(state ? { state } : {}),
  });
  return { name, url: `http://127.0.0.1:${port}`, configFile };
}

/** The agents' tokens on the state a collector's config names. */
async function agentsOn(c: Collector, count: number, hostPrefix: string): Promise<string[]> {
  const config = loadCollectorConfig(c.configFile);
  const opened = await openState(config);
  try {
    return (await makeAgents(opened.state, config.agencies, count, hostPrefix)).map((a) => a.token);
  } finally {
    await opened.close();
  }
}

interface Target {
  url: string;
  tokens: string[];
  /** The processes whose CPU the path costs (collectors, then the balancer). */
  pids(): number[];
}

interface Phase {
  rate: number;
  p99: number;
  failed: number;
  /** CPU seconds per pid of the target, in its order. */
  cpu: number[];
}

/**
 * Every phase writes its own few seconds of the last minutes (an agent's points span perAgent ms), so no
 * phase overwrites another's and all land in the same shard, as steady state does. The windows are laid
 * back from one instant taken at the start: counted from each phase's own now, a phase starting more than
 * a second after the one before wrote over part of its window, and the count check saw points "missing".
 */
let phases = 0;
const windowsEnd = Date.now();

/** One phase: the same load through `t`, started and ended on a quiet influxd (as the ingest bench does). */
async function phase(t: Target, influxPid: number): Promise<Phase> {
  const t0 = windowsEnd - ++phases * (perAgent + 1_000);
  const posts = collectorPosts(t.url, t.tokens.map((_, i) => agentSamples(i, perAgent, t0)), t.tokens, BATCH);
  // The previous phase's garbage is collected here, not during this one (run.ts gives --expose-gc).
  (globalThis as { gc?: () => void }).gc?.();
  await quiet(influxPid);
  const pids = t.pids();
  const cpu0 = pids.map(cpuSeconds);
  const r = await drive(http, posts);
  const cpu = pids.map((p, i) => cpuSeconds(p) - cpu0[i]);
  await quiet(influxPid);
  return { rate: r.rate, p99: percentile(r.latencies, 99), failed: r.failed, cpu };
}

/**
 * Round 0 warms both paths up (JIT, connections, series) and is not reported; then ROUNDS rounds, the
 * paths strictly in turn (a, b, a, b, ...): each path's collectors idle for the other's phase before
 * their own. (In a run turning the order each round, a b b a, the path that had just run was the
 * faster one by up to 2× in every round.)
 */
async function compare(a: Target, b: Target, influxPid: number): Promise<{ a: Phase; b: Phase }[]> {
  const rounds = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const one = await phase(a, influxPid);
    const two = await phase(b, influxPid);
    if (round > 0) rounds.push({ a: one, b: two });
  }
  return rounds;
}

const perPoint = (seconds: number) => (seconds * 1e6) / (perAgent * AGENTS);
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

async function stateTable(sqlite: Target, postgres: Target, influxPid: number): Promise<void> {
  const load = watchLoad();
  const rounds = await compare(sqlite, postgres, influxPid);
  console.log(`\n#### 1. Ingest, state on PostgreSQL vs SQLite (one collector each, the same load in turn)\n\n${load.end()}\n`);
  const rows: (string | number)[][] = rounds.map((r, i) => [i + 1, r.a.rate, r.b.rate, r.b.rate / r.a.rate, perPoint(r.a.cpu[0]), perPoint(r.b.cpu[0]), r.a.p99, r.b.p99, r.a.failed + r.b.failed]);
  const med = (k: number) => median(rows.map((row) => row[k] as number));
  rows.push(['median', med(1), med(2), med(3), med(4), med(5), med(6), med(7), sum(rows.map((row) => row[8] as number))]);
  console.log(table(['round', 'SQLite points/s', 'PostgreSQL points/s', 'PG/SQLite', 'collector CPU µs/point SQLite', 'collector CPU µs/point PG', 'p99 batch ms SQLite', 'p99 batch ms PG', 'failed requests'], rows));
  console.log(`\nmedian ratio PostgreSQL/SQLite over ${ROUNDS} rounds: ${fmt(med(3))} (goal ≥ 0.9)`);
}

async function balancerTable(direct: Target, balanced: Target, influxPid: number): Promise<void> {
  const load = watchLoad();
  const rounds = await compare(direct, balanced, influxPid);
  console.log(`\n#### 2. Two collectors behind HAProxy vs one collector direct (both on PostgreSQL, one influxd, 2 cores shared by all)\n\n${load.end()}\n`);
  const rows: (string | number)[][] = rounds.map((r, i) => [i + 1, r.a.rate, r.b.rate, r.b.rate / r.a.rate, perPoint(r.a.cpu[0]), perPoint(r.b.cpu[0] + r.b.cpu[1]), perPoint(r.b.cpu[2]), r.a.p99, r.b.p99, r.a.failed + r.b.failed]);
  const med = (k: number) => median(rows.map((row) => row[k] as number));
  rows.push(['median', med(1), med(2), med(3), med(4), med(5), med(6), med(7), med(8), sum(rows.map((row) => row[9] as number))]);
  console.log(table(['round', 'one direct points/s', 'two via HAProxy points/s', 'two/one', 'collector CPU µs/point one', 'collectors CPU µs/point two', 'HAProxy CPU µs/point', 'p99 batch ms one', 'p99 batch ms two', 'failed requests'], rows));
  console.log(`\nmedian ratio two behind HAProxy/one direct over ${ROUNDS} rounds: ${fmt(med(3))}. The two collectors, HAProxy, influxd and the simulated agents share the same 2 cores: a second collector adds no CPU, so this says what the balancer and a second process cost, not what a second machine would give.`);
}

interface Outage {
  recoveries: AgentRecovery[];
  /** Posts under way when the kill came. */
  inFlight: number;
  /** The longest post that ended after the kill, in ms (HAProxy retrying another server shows here). */
  slowestMs: number;
}

/**
 * Kills `victim` with SIGKILL and watches (bounded) until every agent had a post accepted since, and
 * at least until HAProxy must have taken the victim out (two failed checks).
 */
async function killAndWatch(victim: Collector, agents: FailoverAgents): Promise<Outage> {
  const killAt = Date.now();
  victim.child!.kill('SIGKILL');
  const deadline = killAt + RECOVERY_BOUND_MS;
  const watchedEnough = killAt + 2 * CHECK_MS + 1_000;
  while (Date.now() < deadline && (Date.now() < watchedEnough || agents.posts().some((p) => recovery(p, killAt).ms === undefined))) await sleep(50);
  await new Promise((r) => (victim.child!.exitCode !== null || victim.child!.signalCode !== null ? r(null) : victim.child!.once('exit', r)));
  const posts = agents.posts().flat().filter((p) => p.doneAt >= killAt);
  return {
    recoveries: agents.posts().map((p) => recovery(p, killAt)),
    inFlight: posts.filter((p) => p.sentAt < killAt).length,
    slowestMs: Math.max(0, ...posts.map((p) => p.doneAt - p.sentAt)),
  };
}

function recoveryCells(list: AgentRecovery[]): (string | number)[] {
  const done = list.filter((r) => r.ms !== undefined).map((r) => r.ms!);
  const missingOnes = list.length - done.length;
  // An agent not recovered within the bound counts at the bound, and says so.
  const ms = [...done, ...Array<number>(missingOnes).fill(RECOVERY_BOUND_MS)];
  const s = (x: number) => (missingOnes > 0 && x >= RECOVERY_BOUND_MS ? `> ${RECOVERY_BOUND_MS / 1000}` : fmt(x / 1000));
  return list.length === 0 ? ['-', '-', '-'] : [s(percentile(ms, 50)), s(percentile(ms, 99)), s(Math.max(...ms))];
}

async function failoverTable(pair: Collector[], haproxy: Haproxy, tokens: string[], influx: Influxd, dir: string): Promise<void> {
  const load = watchLoad();
  const agents = startFailoverAgents(haproxy.url, tokens, { everyMs: FAILOVER_EVERY_MS, dir });
  const rows: (string | number)[][] = [];
  const all: AgentRecovery[] = [];
  try {
    await waitFor(async () => agents.posts().every((p) => recovery(p, Date.now() - 3_000).ms !== undefined), { what: 'every failover agent delivering', timeoutMs: 30_000 });
    for (let repeat = 1; repeat <= FAILOVER_REPEATS; repeat++) {
      const victim = pair[(repeat - 1) % pair.length];
      const outage = await killAndWatch(victim, agents);
      const list = outage.recoveries;
      all.push(...list);
      const hit = list.filter((r) => r.failures > 0);
      rows.push([repeat, victim.name, ...recoveryCells(list), hit.length, ...recoveryCells(hit), outage.inFlight, sum(list.map((r) => r.failures)), outage.slowestMs / 1000, list.filter((r) => r.ms === undefined).length]);
      // Back in the pool before the next kill: ready, then HAProxy's next checks (rise 1) see it.
      await startCollector(victim);
      await sleep(2 * CHECK_MS + 2_000);
    }
  } finally {
    await agents.stop();
  }
  const hitAll = all.filter((r) => r.failures > 0);
  rows.push(['all', '', ...recoveryCells(all), hitAll.length, ...recoveryCells(hitAll), sum(rows.map((r) => r[9] as number)), sum(all.map((r) => r.failures)), Math.max(...rows.map((r) => r[11] as number)), all.filter((r) => r.ms === undefined).length]);
  // Every acknowledged sample must be in InfluxDB, the killed collector's ones included.
  const acknowledged = agents.acknowledged();
  const stored = () => storedPoints(influx.url, DATABASE, ` WHERE "host" =~ /^failover-/`);
  const inInflux = await waitFor(async () => ((await stored()) >= acknowledged ? stored() : undefined), { what: 'the acknowledged failover samples in InfluxDB', timeoutMs: 30_000 }).catch(() => stored());
  const backoff = `${AGENT_RETRY.minBackoffMs / 2000}-${AGENT_RETRY.minBackoffMs / 1000} s, then ${AGENT_RETRY.minBackoffMs / 1000}-${AGENT_RETRY.minBackoffMs / 500} s, doubling up to ${AGENT_RETRY.maxBackoffMs / 1000} s`;
  console.log(`\n#### 3. Failover: kill -9 of one of two collectors behind HAProxy\n\n${load.end()}`);
  console.log(`${tokens.length} agents, each the real agent's Sender (agent/sender.ts, its defaults) fed a sample every ${FAILOVER_EVERY_MS} ms (their ticks spread over the period); after a failed post it waits ${backoff} (the real agent's backoff). HAProxy balances each request round robin (no stickiness, as deploy/ha/haproxy.cfg), so every agent posts to both collectors and every agent is counted; it checks /readyz every ${CHECK_MS / 1000} s, fall 2, option redispatch, retries 2. Time in seconds from the kill to the answer of each agent's first accepted post sent after it; "hit" agents had a post fail (no answer or not 2xx) first; each kill is watched for at least two checks.\n`);
  console.log(table(['repeat', 'killed', 'all p50 s', 'all p99 s', 'all max s', 'hit agents', 'hit p50 s', 'hit p99 s', 'hit max s', 'posts in flight at the kill', 'failed posts', 'slowest post s', 'not recovered'], rows));
  console.log(`\np99 over all ${all.length} agent recoveries: ${recoveryCells(all)[1]} s (goal ≤ 5 s). Samples acknowledged: ${acknowledged}, in InfluxDB: ${inInflux}`);
  if (inInflux < acknowledged) {
    console.error('acknowledged failover samples are missing from InfluxDB');
    process.exitCode = 1;
  }
}

async function run(dir: string, influx: Influxd, pg: Postgres, started: { collectors: Collector[]; haproxy?: Haproxy }): Promise<void> {
  const pgState = { driver: 'postgres', url: await pg.createDatabase('scale'), passwordFile: pg.passwordFile };
  const sqlite = collectorConfig(dir, 'sqlite', await freePort(), influx);
  const [pg1, pg2] = [collectorConfig(dir, 'pg-1', await freePort(), influx, pgState), collectorConfig(dir, 'pg-2', await freePort(), influx, pgState)];
  const pgTokens = await agentsOn(pg1, AGENTS, 'bench-pg');
  const influxPid = influx.process.pid!;
  const pidOf = (c: Collector) => c.child!.pid!;
  console.log(`${AGENTS} simulated agents, ${BATCH}-sample gzip JSON batches, ${perAgent * AGENTS} points a phase, ${ROUNDS} rounds after one unreported warm-up round; every collector a \`canhgac-collector serve\` process on loopback, writing the same influxd`);
  started.collectors.push(pg1);
  await startCollector(pg1);
  if (TABLES.includes('1')) {
    const sqliteTokens = await agentsOn(sqlite, AGENTS, 'bench-sqlite');
    started.collectors.push(sqlite);
    await startCollector(sqlite);
    await stateTable({ url: sqlite.url, tokens: sqliteTokens, pids: () => [pidOf(sqlite)] }, { url: pg1.url, tokens: pgTokens, pids: () => [pidOf(pg1)] }, influxPid);
    await stopCollector(sqlite);
  }
  if (!TABLES.includes('2') && !TABLES.includes('3')) return await checkStored(influx);
  started.collectors.push(pg2);
  await startCollector(pg2);
  const haproxy = (started.haproxy = await startHaproxy([pg1.url, pg2.url], { checkMs: CHECK_MS }));
  await sleep(2 * CHECK_MS);
  const haproxyPid = haproxy.process.pid!;
  if (TABLES.includes('2')) await balancerTable({ url: pg1.url, tokens: pgTokens, pids: () => [pidOf(pg1)] }, { url: haproxy.url, tokens: pgTokens, pids: () => [pidOf(pg1), pidOf(pg2), haproxyPid] }, influxPid);
  await checkStored(influx);
  if (TABLES.includes('3')) await failoverTable([pg2, pg1], haproxy, await agentsOn(pg1, FAILOVER_AGENTS, 'failover'), influx, join(dir, 'failover'));
}

/** Every point of tables 1 and 2 must be in InfluxDB, or their rates mean nothing. */
async function checkStored(influx: Influxd): Promise<void> {
  const expected = phases * perAgent * AGENTS;
  const stored = await storedPoints(influx.url, DATABASE, ` WHERE "host" !~ /^failover-/`);
  console.log(`\npoints in InfluxDB from tables 1 and 2: ${stored} of ${expected} sent`);
  if (stored !== expected) {
    console.error('some points are missing from InfluxDB');
    process.exitCode = 1;
  }
}

const skip = missing({ commands: ['influxd', 'haproxy'], postgres: true });
if (skip) {
  console.log(`skipped: ${skip}`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-bench-scale-'));
  mkdirSync(join(dir, 'failover'));
  const started: { collectors: Collector[]; haproxy?: Haproxy } = { collectors: [] };
  const influx = await startInfluxd();
  const pg = await startPostgres().catch(async (err: unknown) => {
    await influx.stop();
    throw err;
  });
  try {
    await run(dir, influx, pg, started);
  } finally {
    await Promise.all(started.collectors.map((c) => stopCollector(c)));
    await started.haproxy?.stop();
    http.close();
    await pg.stop();
    await influx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
