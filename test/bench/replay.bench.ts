// Replay: an agent comes back after a long outage with 1,000,000 samples in its on-disk outbox. How fast
// does it drain through the collector into InfluxDB? Peer: the same points written as raw line protocol
// straight to the same influxd, one 5,000-point batch at a time (the sender's pattern). Loopback only.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskOutbox } from '../../agent/outbox-disk.ts';
import { loadCollectorConfig } from '../../collector/config.ts';
import { toLines } from '../../collector/influx/line-protocol.ts';
import { statePath } from '../../collector/service.ts';
import { syncAgencies } from '../../collector/state/agencies.ts';
import { sqliteStateSql } from '../../collector/state/sql/connect.ts';
import { createAgent } from '../../collector/state/agents.ts';
import { openDb } from '../../collector/state/db.ts';
import type { WireSample } from '../../protocol/index.ts';
import { freePort, rows, startInfluxd } from '../../scripts/lib/influxd.ts';
import { AGENT_BIN, COLLECTOR_BIN, waitFor, writeYaml } from '../support/agent.ts';
import { TEST_AGENCIES } from '../support/collector.ts';
import { cpuSeconds, rssBytes, sleep, table } from './lib.ts';

const TOTAL = Number(process.env.BENCH_REPLAY_SAMPLES ?? 1_000_000);
const BATCH = 5000;

/** A realistic mix over the last days (inside the collector's 7-day window), oldest first. */
function sample(i: number, t0: number): WireSample {
  const time = new Date(t0 + i * 400).toISOString();
  switch (i % 4) {
    case 0:
      return { measurement: 'tcp', tags: { target: `10.0.0.${i % 200}`, port: '443', name: 'portal', result: 'ok' }, fields: { up: 1, connect_ms: 1.5 }, time };
    case 1:
      return { measurement: 'ping', tags: { target: `10.0.1.${i % 200}`, name: 'gw', result: 'ok' }, fields: { up: 1, sent: 5, received: 5, loss_percent: 0, rtt_min_ms: 0.4, rtt_avg_ms: 0.6, rtt_max_ms: 0.9, jitter_ms: 0.1 }, time };
    case 2:
      return { measurement: 'http', tags: { url: `https://portal.example.vn/${i % 50}`, name: 'portal', result: 'ok' }, fields: { up: 1, status_code: 200, response_ms: 40.5, content_bytes: 5120 }, time };
    default:
      return { measurement: 'host', tags: { host: 'pc-1' }, fields: { cpu_percent: 10, mem_used_percent: 40, mem_total_bytes: 8e9, load1: 0.2, uptime_seconds: i }, time };
  }
}

async function countAll(influxQuery: (q: string, db: string) => Promise<unknown>, database: string, where: string): Promise<number> {
  const q = `SELECT count(up) FROM tcp, ping, http WHERE ${where}; SELECT count(cpu_percent) FROM host WHERE ${where}`;
  let n = 0;
  for (const part of q.split('; ')) n += rows((await influxQuery(part, database)) as never).reduce((a, r) => a + Number(r.count ?? 0), 0);
  return n;
}

const dir = mkdtempSync(join(tmpdir(), 'canhgac-bench-replay-'));
const influx = await startInfluxd();
const children: ReturnType<typeof spawn>[] = [];
try {
  const t0 = Date.now() - TOTAL * 400 - 60_000;
  // --- peer: raw line protocol, sequential 1,000-point batches
  await influx.query('CREATE DATABASE raw_replay');
  let started = performance.now();
  const rawInfluxCpu0 = cpuSeconds(influx.process.pid!);
  for (let i = 0; i < TOTAL; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, TOTAL - i) }, (_, k) => sample(i + k, t0));
    const res = await fetch(`${influx.url}/write?db=raw_replay&precision=ms`, { method: 'POST', body: toLines(batch.map((s) => ({ ...s, tags: { ...s.tags, agency: 'so-y-te', agent: 'raw' } }))) });
    if (res.status !== 204) throw new Error(`raw write ${res.status}: ${await res.text()}`);
  }
  const rawRate = TOTAL / ((performance.now() - started) / 1000);
  const rawInfluxCpu = cpuSeconds(influx.process.pid!) - rawInfluxCpu0;

  // --- the agent's outbox, filled while "the collector was away"
  const agentDir = join(dir, 'agent');
  mkdirSync(agentDir, { recursive: true });
  started = performance.now();
  const box = new DiskOutbox({ dir: join(agentDir, 'outbox'), maxBytes: 1024 * 1024 * 1024, maxAgeMs: 7 * 86_400_000 });
  for (let i = 0; i < TOTAL; i += 5000) box.append(Array.from({ length: Math.min(5000, TOTAL - i) }, (_, k) => sample(i + k, t0)));
  const queued = box.stats();
  box.close();
  const fillSeconds = (performance.now() - started) / 1000;

  // --- the collector (per-agent rate limit lifted: the default 10,000 samples/s would be the bound)
  const port = await freePort();
  const database = 'replay';
  const configFile = writeYaml(join(dir, 'collector.yaml'), {
    listen: { host: '127.0.0.1', port, plainHttp: true },
    dataDir: join(dir, 'collector'),
    influx: { url: influx.url, database },
    ingest: { rateLimit: { requestsPerSecond: 100_000, samplesPerSecond: 100_000_000 } },
    agencies: TEST_AGENCIES,
  });
  const db = openDb(statePath(loadCollectorConfig(configFile)));
  await syncAgencies(sqliteStateSql(db), TEST_AGENCIES as never);
  const { agent, token } = await createAgent(sqliteStateSql(db).db, { agency: 'so-y-te', hostname: 'replay' });
  db.close();
  writeFileSync(join(agentDir, 'token'), token + '\n', { mode: 0o600 });
  const collector = spawn(process.execPath, [COLLECTOR_BIN, 'serve', '--config', configFile], { stdio: 'ignore' });
  children.push(collector);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => ((await (await fetch(`${url}/readyz`)).json()) as { checks: { influxdb: { ok: boolean } } }).checks.influxdb.ok, { what: 'collector', timeoutMs: 120_000 });

  const agentFile = writeYaml(join(agentDir, 'agent.yaml'), {
    collector: { url, tokenFile: join(agentDir, 'token') },
    agent: { statusInterval: '1h', maxSplay: '0s', sendInterval: '200ms' },
    outbox: { dir: join(agentDir, 'outbox'), maxBytes: 1024 * 1024 * 1024 },
    checks: [],
  });
  const collectorCpu0 = cpuSeconds(collector.pid!);
  const influxCpu0 = cpuSeconds(influx.process.pid!);
  // e.g. BENCH_AGENT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the agent while it drains.
  const agentArgs = (process.env.BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const agentProc = spawn(process.execPath, [...agentArgs, AGENT_BIN, 'run', '--config', agentFile], { stdio: 'ignore' });
  children.push(agentProc);
  const where = `"agent" = '${agent.id}'`;
  let first = 0;
  let firstAt = 0;
  let peakAgent = 0;
  let peakCollector = 0;
  const deadline = Date.now() + 30 * 60_000;
  // Progress from the collector's /readyz (cheap): a count query over InfluxDB every half second would
  // itself slow InfluxDB down. Accepted with an empty spool means written to InfluxDB; checked at the end.
  const progress = async () => {
    const r = (await (await fetch(`${url}/readyz`)).json()) as { ingest: { samplesAccepted: number }; spool: { samples: number } };
    return { accepted: r.ingest.samplesAccepted, spooled: r.spool.samples };
  };
  for (;;) {
    peakAgent = Math.max(peakAgent, rssBytes(agentProc.pid!));
    peakCollector = Math.max(peakCollector, rssBytes(collector.pid!));
    const p = await progress();
    if (p.accepted > 0 && !firstAt) {
      first = p.accepted;
      firstAt = performance.now();
    }
    if (p.accepted >= TOTAL && p.spooled === 0) break;
    if (Date.now() > deadline) throw new Error(`replay incomplete after 30 min: ${p.accepted} of ${TOTAL} accepted`);
    await sleep(100);
  }
  const replayRate = (TOTAL - first) / ((performance.now() - firstAt) / 1000);
  const agentCpu = cpuSeconds(agentProc.pid!);
  const collectorCpu = cpuSeconds(collector.pid!) - collectorCpu0;
  const influxCpu = cpuSeconds(influx.process.pid!) - influxCpu0;

  const stored = await countAll(influx.query, database, where);
  if (stored !== TOTAL) throw new Error(`InfluxDB holds ${stored} of the ${TOTAL} samples`);
  console.log(`${TOTAL} samples queued (${(queued.bytes / 1048576).toFixed(0)} MiB on disk, filled in ${fillSeconds.toFixed(1)} s); agent batches of up to 5,000 samples as gzip JSON, one request in flight; plain HTTP on loopback\n`);
  console.log(
    table(
      ['path', 'samples/s', 'ratio to raw', 'time for all (s)', 'agent peak RSS MiB', 'collector peak RSS MiB', 'CPU s agent / collector / influxd'],
      [
        ['raw line protocol → influxd (5,000-point batches)', rawRate, 1, TOTAL / rawRate, '-', '-', `- / - / ${rawInfluxCpu.toFixed(1)}`],
        ['agent outbox → collector → influxd', replayRate, replayRate / rawRate, TOTAL / replayRate, peakAgent / 1048576, peakCollector / 1048576, `${agentCpu.toFixed(1)} / ${collectorCpu.toFixed(1)} / ${influxCpu.toFixed(1)}`],
      ],
    ),
  );
} finally {
  for (const c of children) c.kill('SIGTERM');
  for (let i = 0; i < 50 && children.some((c) => c.exitCode === null && c.signalCode === null); i++) await sleep(100);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await influx.stop();
  rmSync(dir, { recursive: true, force: true });
}
