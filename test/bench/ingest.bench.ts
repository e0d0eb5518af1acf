// Ingest: simulated agents posting realistic gzip batches through a real collector process into
// influxd, versus raw line-protocol writes of the same points straight to the same influxd (same batch
// size, same concurrency). Everything on loopback; bounded by the number of points.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadCollectorConfig } from '../../collector/config.ts';
import { toLines } from '../../collector/influx/line-protocol.ts';
import { statePath } from '../../collector/service.ts';
import { syncAgencies } from '../../collector/state/agencies.ts';
import { sqliteStateSql } from '../../collector/state/sql/connect.ts';
import { createAgent } from '../../collector/state/agents.ts';
import { openDb } from '../../collector/state/db.ts';
import type { WireSample } from '../../protocol/index.ts';
import { freePort, influxQuery, startInfluxd } from '../../scripts/lib/influxd.ts';
import { COLLECTOR_BIN, waitFor, writeYaml } from '../support/agent.ts';
import { TEST_AGENCIES } from '../support/collector.ts';
import { cpuSeconds, fmt, median, percentile, rssBytes, sleep, table } from './lib.ts';

const AGENTS = Number(process.env.BENCH_AGENTS ?? 50);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const POINTS = Number(process.env.BENCH_POINTS ?? 400_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
// BENCH_INFLUX_NODES=2: the collector writes two influxd (influx.urls, every sample through the spool); a
// round of it lasts until both nodes have every point. The raw path writes the first node only.
const NODES = Number(process.env.BENCH_INFLUX_NODES ?? 1);
// e.g. BENCH_COLLECTOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the collector under load.
const COLLECTOR_NODE_ARGS = (process.env.BENCH_COLLECTOR_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** One agent's realistic mix: tcp, ping, http and host samples with their usual tags. */
function agentSamples(agent: number, count: number, t0: number): WireSample[] {
  const out: WireSample[] = [];
  for (let i = 0; i < count; i++) {
    const time = new Date(t0 - i).toISOString();
    const k = i % 4;
    if (k === 0) out.push({ measurement: 'tcp', tags: { target: `10.${agent}.0.${i % 250}`, port: '443', name: `portal-${i % 7}`, result: 'ok' }, fields: { up: 1, connect_ms: 1.234 + (i % 10) }, time });
    else if (k === 1) out.push({ measurement: 'ping', tags: { target: `10.${agent}.1.${i % 250}`, name: 'gateway', result: 'ok' }, fields: { up: 1, sent: 5, received: 5, loss_percent: 0, rtt_min_ms: 0.4, rtt_avg_ms: 0.6, rtt_max_ms: 0.9, jitter_ms: 0.1 }, time });
    else if (k === 2) out.push({ measurement: 'http', tags: { url: `https://portal-${agent}.example.vn/${i % 13}`, name: 'portal', result: 'ok' }, fields: { up: 1, status_code: 200, response_ms: 42.5, content_bytes: 5120 }, time });
    else out.push({ measurement: 'host', tags: { host: `pc-${agent}` }, fields: { cpu_percent: 12.5, mem_used_percent: 40.1, mem_total_bytes: 8_000_000_000, load1: 0.3, uptime_seconds: 86_400 + i }, time });
  }
  return out;
}

// BENCH_TLS=1: the agents reach the collector over HTTPS (its self-signed certificate), as in production.
const TLS = process.env.BENCH_TLS === '1';
const keepAlive = new Agent({ keepAlive: true, maxSockets: AGENTS });
let tlsAgent: HttpsAgent | undefined;
function send(url: string, method: 'GET' | 'POST', body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; ms: number; text: string }> {
  const started = performance.now();
  const https = url.startsWith('https:');
  return new Promise((resolve, reject) => {
    const options = { method, agent: https ? tlsAgent : keepAlive, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } };
    const req = (https ? httpsRequest : httpRequest)(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const post = (url: string, body: Buffer, headers: Record<string, string>) => send(url, 'POST', body, headers);

/** AGENTS workers, each sending its own bodies in turn; returns points/s and request latencies. */
async function drive(bodies: { url: string; body: Buffer; headers: Record<string, string>; points: number }[][]): Promise<{ rate: number; latencies: number[]; failed: number }> {
  const latencies: number[] = [];
  let failed = 0;
  let points = 0;
  const started = performance.now();
  await Promise.all(
    bodies.map(async (mine) => {
      for (const b of mine) {
        const r = await post(b.url, b.body, b.headers);
        latencies.push(r.ms);
        if (r.status >= 300) failed++;
        else points += b.points;
      }
    }),
  );
  return { rate: points / ((performance.now() - started) / 1000), latencies, failed };
}

/** Waits (at most 60 s) until a process uses under 10 % of a core over half a second. */
async function quiet(pid: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  let before = cpuSeconds(pid);
  while (Date.now() < deadline) {
    await sleep(500);
    const now = cpuSeconds(pid);
    if (now - before < 0.05) return;
    before = now;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'canhgac-bench-ingest-'));
const influx = await startInfluxd();
const second = NODES > 1 ? await startInfluxd() : undefined;
let collector: ReturnType<typeof spawn> | undefined;
try {
  const port = await freePort();
  const database = 'bench';
  const configFile = writeYaml(join(dir, 'collector.yaml'), {
    listen: { host: '127.0.0.1', port, plainHttp: !TLS },
    dataDir: join(dir, 'data'),
    influx: second ? { urls: [influx.url, second.url], database } : { url: influx.url, database },
    ingest: { rateLimit: { requestsPerSecond: 100_000, samplesPerSecond: 100_000_000 } },
    agencies: TEST_AGENCIES,
  });
  const config = loadCollectorConfig(configFile);
  const db = openDb(statePath(config));
  await syncAgencies(sqliteStateSql(db), config.agencies);
  const tokens: Awaited<ReturnType<typeof createAgent>>[] = [];
  for (let i = 0; i < AGENTS; i++) tokens.push(await createAgent(sqliteStateSql(db).db, { agency: TEST_AGENCIES[i % 3].id, hostname: `bench-${i}` }));
  db.close();

  collector = spawn(process.execPath, [...COLLECTOR_NODE_ARGS, COLLECTOR_BIN, 'serve', '--config', configFile], { stdio: ['ignore', process.env.BENCH_COLLECTOR_STDOUT ? 'inherit' : 'ignore', 'ignore'] });
  const url = `${TLS ? 'https' : 'http'}://127.0.0.1:${port}`;
  if (TLS) {
    // The certificate the collector makes on first start, trusted as an agent trusts it (collector.ca).
    const cert = join(config.dataDir, 'tls', 'collector.crt');
    await waitFor(async () => existsSync(cert), { what: 'the collector certificate', timeoutMs: 60_000 });
    tlsAgent = new HttpsAgent({ keepAlive: true, maxSockets: AGENTS, ca: readFileSync(cert) });
  }
  await waitFor(async () => (JSON.parse((await send(`${url}/readyz`, 'GET')).text) as { checks: { influxdb: { ok: boolean } } }).checks.influxdb.ok, {
    what: 'collector ready',
    timeoutMs: 120_000,
  });
  await influx.query('CREATE DATABASE raw_bench');

  const perAgent = Math.ceil(POINTS / AGENTS);
  const results: { round: number; via: string; rate: number; p99: number; rss?: number; failed: number; influxCpu: number; collectorCpu?: number; points: number }[] = [];
  const influxPid = influx.process.pid!;
  // Round 0 warms up both paths (JIT, connections, and the series in both databases, as in steady
  // state where agencies report the same series day after day); it is not reported.
  for (let round = 0; round <= ROUNDS; round++) {
    const t0 = Date.now() - round * 3_600_000;
    const samples = tokens.map((t, i) => agentSamples(i, perAgent, t0));
    // Raw: the same points (with the tags the collector adds) as line protocol, straight to /write.
    const raw = samples.map((list, i) => {
      const out = [];
      for (let k = 0; k < list.length; k += BATCH) {
        const batch = list.slice(k, k + BATCH).map((s) => ({ ...s, tags: { ...s.tags, agency: tokens[i].agent.agency, agent: tokens[i].agent.id } }));
        out.push({ url: `${influx.url}/write?db=raw_bench&precision=ms`, body: Buffer.from(toLines(batch)), headers: { 'content-type': 'text/plain' }, points: batch.length });
      }
      return out;
    });
    const viaCollector = samples.map((list, i) => {
      const out = [];
      for (let k = 0; k < list.length; k += BATCH) {
        const batch = list.slice(k, k + BATCH);
        out.push({
          url: `${url}/api/v1/samples`,
          body: gzipSync(JSON.stringify({ samples: batch })),
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${tokens[i].token}` },
          points: batch.length,
        });
      }
      return out;
    });
    // Each phase starts on a quiet influxd, and its influxd CPU is counted until influxd is quiet again,
    // so the background compaction of one phase's points is neither charged to nor slowing the next.
    // The order alternates by round so neither path always runs on the warmer database.
    const runRaw = async () => {
      await quiet(influxPid);
      const cpu0 = cpuSeconds(influxPid);
      const r = await drive(raw);
      await quiet(influxPid);
      if (round > 0) results.push({ round, via: 'raw line protocol → influxd', rate: r.rate, p99: percentile(r.latencies, 99), failed: r.failed, influxCpu: cpuSeconds(influxPid) - cpu0, points: perAgent * AGENTS });
    };
    const runCollector = async () => {
      await quiet(influxPid);
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(collector!.pid!))), 100);
      const cpu0 = cpuSeconds(influxPid);
      const collectorCpu0 = cpuSeconds(collector!.pid!);
      const started = performance.now();
      const c = await drive(viaCollector);
      if (second) {
        // Accepted is not stored: the round ends when both nodes have every point.
        await waitFor(async () => (JSON.parse((await send(`${url}/readyz`, 'GET')).text) as { spool: { samples: number } }).spool.samples === 0, { what: 'both nodes written', timeoutMs: 600_000, intervalMs: 50 });
        c.rate = (perAgent * AGENTS * 1000) / (performance.now() - started);
      }
      clearInterval(sampler);
      peak = Math.max(peak, rssBytes(collector!.pid!));
      const collectorCpu = cpuSeconds(collector!.pid!) - collectorCpu0;
      await quiet(influxPid);
      if (round > 0) results.push({ round, via: second ? 'agents → collector → 2 influxd' : 'agents → collector → influxd', rate: c.rate, p99: percentile(c.latencies, 99), rss: peak, failed: c.failed, influxCpu: cpuSeconds(influxPid) - cpu0, collectorCpu, points: perAgent * AGENTS });
    };
    if (round % 2 === 0) {
      await runRaw();
      await runCollector();
    } else {
      await runCollector();
      await runRaw();
    }
  }
  // Every point must be in InfluxDB, through either path, or the rates mean nothing.
  const stored = async (database: string, at = influx.url) => {
    let n = 0;
    for (const [m, field] of [['tcp', 'up'], ['ping', 'up'], ['http', 'up'], ['host', 'cpu_percent']]) {
      const series = await influxQuery(at, `SELECT count("${field}") FROM "${m}"`, database);
      n += Number(series[0]?.values[0][1] ?? 0);
    }
    return n;
  };
  const expected = (ROUNDS + 1) * perAgent * AGENTS;
  const [viaCollectorStored, rawStored] = [await stored(database), await stored('raw_bench')];
  const secondStored = second ? await stored(database, second.url) : expected;
  const rawRate = (round: number) => results.find((r) => r.round === round && r.via.startsWith('raw'))!.rate;
  console.log(
    `${AGENTS} simulated agents, ${BATCH}-sample batches (gzip JSON to the collector; line protocol for raw), ${POINTS} points a round after one unreported warm-up round; agents → collector over ${TLS ? 'HTTPS (keep-alive)' : 'plain HTTP'}, writes to influxd over plain HTTP, all on loopback\n`,
  );
  console.log(
    table(
      ['round', 'path', 'points/s', 'ratio to raw', 'p99 request ms', 'collector peak RSS MiB', 'CPU µs/point influxd', 'CPU µs/point collector', 'failed requests'],
      results.map((r) => [
        r.round,
        r.via,
        r.rate,
        r.rate / rawRate(r.round),
        r.p99,
        r.rss ? r.rss / 1048576 : '-',
        (r.influxCpu * 1e6) / r.points,
        r.collectorCpu === undefined ? '-' : (r.collectorCpu * 1e6) / r.points,
        r.failed,
      ]),
    ),
  );
  const ratios = results.filter((r) => !r.via.startsWith('raw')).map((r) => r.rate / rawRate(r.round));
  console.log(`\nmedian ratio collector/raw over ${ROUNDS} rounds: ${fmt(median(ratios))} (goal ≥ 0.7)`);
  console.log(`points in InfluxDB: ${viaCollectorStored} via the collector${second ? ` (${secondStored} in the second node)` : ''}, ${rawStored} raw, ${expected} sent each way`);
  if (viaCollectorStored !== expected || rawStored !== expected || secondStored !== expected) {
    console.error('some points are missing from InfluxDB');
    process.exitCode = 1;
  }
} finally {
  collector?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await influx.stop();
  await second?.stop();
  rmSync(dir, { recursive: true, force: true });
}
