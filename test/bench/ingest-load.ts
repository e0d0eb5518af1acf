// What the ingest and scale benchmarks share: simulated agents posting realistic gzip batches over
// keep-alive HTTP, their tokens made on the collector's state, a collector process and InfluxDB's counts.
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest, Agent } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { gzipSync } from 'node:zlib';
import type { Agency } from '../../collector/config.ts';
import { syncAgencies } from '../../collector/state/agencies.ts';
import { createAgent } from '../../collector/state/agents.ts';
import type { StateSql } from '../../collector/state/sql/connect.ts';
import type { WireSample } from '../../protocol/index.ts';
import { influxQuery } from '../../scripts/lib/influxd.ts';
import { COLLECTOR_BIN, waitFor } from '../support/agent.ts';
import { cpuSeconds, sleep } from './lib.ts';

// e.g. BENCH_COLLECTOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the collector under load.
const COLLECTOR_NODE_ARGS = (process.env.BENCH_COLLECTOR_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** One agent's realistic mix: tcp, ping, http and host samples with their usual tags. */
export function agentSamples(agent: number, count: number, t0: number): WireSample[] {
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

export interface Answer {
  status: number;
  ms: number;
  text: string;
}

/** Keep-alive HTTP(S) for the simulated agents: one pool of `maxSockets`, a CA trusted once it is known. */
export class BenchHttp {
  private readonly plain: Agent;
  private tls?: HttpsAgent;

  constructor(private readonly maxSockets: number) {
    this.plain = new Agent({ keepAlive: true, maxSockets });
  }

  /** Trusts the collector's certificate as an agent does (collector.ca). */
  trust(ca: Buffer): void {
    this.tls = new HttpsAgent({ keepAlive: true, maxSockets: this.maxSockets, ca });
  }

  send(url: string, method: 'GET' | 'POST', body?: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
    const started = performance.now();
    const https = url.startsWith('https:');
    return new Promise((resolve, reject) => {
      const options = { method, agent: https ? this.tls : this.plain, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } };
      const req = (https ? httpsRequest : httpRequest)(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.plain.destroy();
    this.tls?.destroy();
  }
}

export interface Post {
  url: string;
  body: Buffer;
  headers: Record<string, string>;
  points: number;
}

/** Each agent's samples as the gzip JSON batches it would post to `base`'s ingest path with its token. */
export function collectorPosts(base: string, samples: WireSample[][], tokens: string[], batch: number): Post[][] {
  return samples.map((list, i) => {
    const out: Post[] = [];
    for (let k = 0; k < list.length; k += batch) {
      const part = list.slice(k, k + batch);
      out.push({
        url: `${base}/api/v1/samples`,
        body: gzipSync(JSON.stringify({ samples: part })),
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${tokens[i]}` },
        points: part.length,
      });
    }
    return out;
  });
}

/** One worker per agent, each sending its own posts in turn; points/s of the accepted ones and every latency. */
export async function drive(http: BenchHttp, posts: Post[][]): Promise<{ rate: number; latencies: number[]; failed: number }> {
  const latencies: number[] = [];
  let failed = 0;
  let points = 0;
  const started = performance.now();
  await Promise.all(
    posts.map(async (mine) => {
      for (const p of mine) {
        const r = await http.send(p.url, 'POST', p.body, p.headers);
        latencies.push(r.ms);
        if (r.status >= 300) failed++;
        else points += p.points;
      }
    }),
  );
  return { rate: points / ((performance.now() - started) / 1000), latencies, failed };
}

/** Waits (at most 60 s) until a process uses under 10 % of a core over half a second. */
export async function quiet(pid: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  let before = cpuSeconds(pid);
  while (Date.now() < deadline) {
    await sleep(500);
    const now = cpuSeconds(pid);
    if (now - before < 0.05) return;
    before = now;
  }
}

/** `count` agents made on the state as enrolment makes them (round robin over the agencies), with their tokens. */
export async function makeAgents(state: StateSql, agencies: Agency[], count: number, hostPrefix = 'bench'): Promise<{ id: string; agency: string; token: string }[]> {
  await syncAgencies(state, agencies);
  const out = [];
  for (let i = 0; i < count; i++) {
    const made = await createAgent(state.db, { agency: agencies[i % agencies.length].id, hostname: `${hostPrefix}-${i}` });
    out.push({ id: made.agent.id, agency: made.agent.agency, token: made.token });
  }
  return out;
}

/** `canhgac-collector serve` as its own process (with BENCH_COLLECTOR_NODE_ARGS); its output shown with BENCH_COLLECTOR_STDOUT. */
export function spawnCollector(configFile: string): ChildProcess {
  return spawn(process.execPath, [...COLLECTOR_NODE_ARGS, COLLECTOR_BIN, 'serve', '--config', configFile], { stdio: ['ignore', process.env.BENCH_COLLECTOR_STDOUT ? 'inherit' : 'ignore', 'ignore'] });
}

/** Waits (bounded) until the collector at `url` says it is ready for samples. */
export async function collectorReady(http: BenchHttp, url: string, timeoutMs = 120_000): Promise<void> {
  await waitFor(async () => (JSON.parse((await http.send(`${url}/readyz`, 'GET')).text) as { checks: { influxdb: { ok: boolean } } }).checks.influxdb.ok, { what: `collector ${url} ready`, timeoutMs });
}

/** Points of the agentSamples mix stored in `database` (one field of each measurement counted). */
export async function storedPoints(influxUrl: string, database: string, where = ''): Promise<number> {
  let n = 0;
  for (const [m, field] of [['tcp', 'up'], ['ping', 'up'], ['http', 'up'], ['host', 'cpu_percent']]) {
    const series = await influxQuery(influxUrl, `SELECT count("${field}") FROM "${m}"${where}`, database);
    n += Number(series[0]?.values[0][1] ?? 0);
  }
  return n;
}
