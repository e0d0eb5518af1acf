// The public status page under a crowd: /status with 200 concurrent clients for 20 s on loopback
// (autocannon), against the same collector's /healthz as the floor in the same run, and the InfluxDB
// query requests influxd counted during the run (goal: at most one per 30 s refresh).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startInfluxd, freePort } from '../../scripts/lib/influxd.ts';
import { COLLECTOR_BIN, startProcess, waitFor, writeYaml } from '../support/agent.ts';
import { TEST_AGENCIES } from '../support/collector.ts';
import { table } from './lib.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONNECTIONS = 200;
const SERVICES = 12;

async function queryRequests(influxUrl: string): Promise<number> {
  const vars = (await (await fetch(`${influxUrl}/debug/vars`)).json()) as Record<string, { name?: string; values?: Record<string, number> }>;
  const httpd = Object.values(vars).find((v) => v?.name === 'httpd');
  return httpd?.values?.queryReq ?? NaN;
}

async function load(url: string): Promise<{ rps: number; p99: number; errors: number; non2xx: number }> {
  // As browsers do: gzip accepted.
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, pipelining: 1, headers: { 'accept-encoding': 'gzip, deflate, br' } });
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-status-bench-'));
  const influx = await startInfluxd({ dir: join(dir, 'influxd') });
  const port = await freePort();
  const services = Array.from({ length: SERVICES }, (_, i) => ({
    id: `he-thong-${i + 1}`,
    name: { vi: `Hệ thống dùng chung ${i + 1}`, en: `Shared system ${i + 1}` },
    probes: [
      { measurement: 'http', tags: { url: `https://he-thong-${i + 1}.example.gov.vn/` } },
      { measurement: 'tcp', tags: { target: `he-thong-${i + 1}.example.gov.vn`, port: '443' } },
    ],
  }));
  const config = writeYaml(join(dir, 'collector.yaml'), {
    listen: { host: '127.0.0.1', port, plainHttp: true, maxConnectionsPerAddress: 1000 },
    dataDir: join(dir, 'data'),
    influx: { url: influx.url, database: 'statusbench' },
    agencies: TEST_AGENCIES,
    status: { enabled: true, services },
  });
  const collector = startProcess(COLLECTOR_BIN, ['serve', '--config', config]);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, { what: 'collector ready', timeoutMs: 60_000, intervalMs: 200 });
    await fetch(`${base}/status`);
    const healthz = await load(`${base}/healthz`);
    const q0 = await queryRequests(influx.url);
    const status = await load(`${base}/status`);
    const q1 = await queryRequests(influx.url);
    const page = await fetch(`${base}/status`, { headers: { 'accept-encoding': 'identity' } });
    const bytes = (await page.arrayBuffer()).byteLength;
    const gz = await fetch(`${base}/status`, { headers: { 'accept-encoding': 'gzip' } });
    const gzBytes = Number(gz.headers.get('content-length'));
    await gz.arrayBuffer();
    const periods = Math.ceil(SECONDS / 30);
    console.log(`${CONNECTIONS} connections for ${SECONDS} s each, ${SERVICES} services × 2 probes, page ${bytes} bytes (${gzBytes} gzipped); collector in its own process; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    console.log(
      table(
        ['endpoint', 'requests/s', 'p99 ms', 'errors', 'non-2xx', 'ratio to /healthz', 'InfluxDB queries during run', 'refresh periods'],
        [
          ['/healthz (floor)', healthz.rps, healthz.p99, healthz.errors, healthz.non2xx, 1, '-', '-'],
          ['/status', status.rps, status.p99, status.errors, status.non2xx, status.rps / healthz.rps, q1 - q0, periods],
        ],
      ),
    );
    console.log(`\ngoals: ratio ≥ 0.5 (${status.rps / healthz.rps >= 0.5 ? 'met' : 'NOT met'}), p99 < 50 ms (${status.p99 < 50 ? 'met' : 'NOT met'}), at most one query per refresh period (${q1 - q0 <= periods ? 'met' : 'NOT met'})`);
  } finally {
    await collector.stop();
    await influx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
