// Ingest: simulated agents posting realistic gzip batches through a real collector process into
// influxd, versus raw line-protocol writes of the same points straight to the same influxd (same batch
// size, same concurrency). Everything on loopback; bounded by the number of points.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCollectorConfig } from '../../collector/config.ts';
import { toLines } from '../../collector/influx/line-protocol.ts';
import { openState } from '../../collector/state/open.ts';
import { freePort, startInfluxd } from '../../scripts/lib/influxd.ts';
import { waitFor, writeYaml } from '../support/agent.ts';
import { TEST_AGENCIES } from '../support/collector.ts';
import { agentSamples, BenchHttp, collectorPosts, collectorReady, drive, makeAgents, quiet, spawnCollector, storedPoints, type Post } from './ingest-load.ts';
import { cpuSeconds, fmt, median, percentile, rssBytes, table } from './lib.ts';

const AGENTS = Number(process.env.BENCH_AGENTS ?? 50);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const POINTS = Number(process.env.BENCH_POINTS ?? 400_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
// BENCH_INFLUX_NODES=2: the collector writes two influxd (influx.urls, every sample through the spool); a
// round of it lasts until both nodes have every point. The raw path writes the first node only.
const NODES = Number(process.env.BENCH_INFLUX_NODES ?? 1);
// BENCH_TLS=1: the agents reach the collector over HTTPS (its self-signed certificate), as in production.
const TLS = process.env.BENCH_TLS === '1';
const http = new BenchHttp(AGENTS);

const dir = mkdtempSync(join(tmpdir(), 'canhgac-bench-ingest-'));
const influx = await startInfluxd();
const second = NODES > 1 ? await startInfluxd() : undefined;
let collector: ChildProcess | undefined;
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
  const opened = await openState(config);
  const tokens = await makeAgents(opened.state, config.agencies, AGENTS);
  await opened.close();

  collector = spawnCollector(configFile);
  const url = `${TLS ? 'https' : 'http'}://127.0.0.1:${port}`;
  if (TLS) {
    // The certificate the collector makes on first start, trusted as an agent trusts it (collector.ca).
    const cert = join(config.dataDir, 'tls', 'collector.crt');
    await waitFor(async () => existsSync(cert), { what: 'the collector certificate', timeoutMs: 60_000 });
    http.trust(readFileSync(cert));
  }
  await collectorReady(http, url);
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
      const out: Post[] = [];
      for (let k = 0; k < list.length; k += BATCH) {
        const batch = list.slice(k, k + BATCH).map((s) => ({ ...s, tags: { ...s.tags, agency: tokens[i].agency, agent: tokens[i].id } }));
        out.push({ url: `${influx.url}/write?db=raw_bench&precision=ms`, body: Buffer.from(toLines(batch)), headers: { 'content-type': 'text/plain' }, points: batch.length });
      }
      return out;
    });
    const viaCollector = collectorPosts(url, samples, tokens.map((t) => t.token), BATCH);
    // Each phase starts on a quiet influxd, and its influxd CPU is counted until influxd is quiet again,
    // so the background compaction of one phase's points is neither charged to nor slowing the next.
    // The order alternates by round so neither path always runs on the warmer database.
    const runRaw = async () => {
      await quiet(influxPid);
      const cpu0 = cpuSeconds(influxPid);
      const r = await drive(http, raw);
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
      const c = await drive(http, viaCollector);
      if (second) {
        // Accepted is not stored: the round ends when both nodes have every point.
        await waitFor(async () => (JSON.parse((await http.send(`${url}/readyz`, 'GET')).text) as { spool: { samples: number } }).spool.samples === 0, { what: 'both nodes written', timeoutMs: 600_000, intervalMs: 50 });
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
  const expected = (ROUNDS + 1) * perAgent * AGENTS;
  const [viaCollectorStored, rawStored] = [await storedPoints(influx.url, database), await storedPoints(influx.url, 'raw_bench')];
  const secondStored = second ? await storedPoints(second.url, database) : expected;
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
  http.close();
  await new Promise((r) => setTimeout(r, 500));
  await influx.stop();
  await second?.stop();
  rmSync(dir, { recursive: true, force: true });
}
