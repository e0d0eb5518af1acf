// Alerting: (1) end-to-end latency from a loopback listener going down to the firing mail arriving
// at a real SMTP server, beside its floor (check interval + `for`); (2) ingest throughput through a
// real collector into influxd with the built-in rules on versus alerting off (goal: < 10 % overhead);
// (3) the engine alone, samples judged per second. Everything on loopback; bounded in count and time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCollectorConfig } from '../../collector/config.ts';
import { startAlerting } from '../../collector/alerts/service.ts';
import { openDb } from '../../collector/state/db.ts';
import { createEnrollCode } from '../../collector/state/enroll-codes.ts';
import type { WireSample } from '../../protocol/index.ts';
import { startInfluxd } from '../../scripts/lib/influxd.ts';
import { AGENT_BIN, startProcess, waitFor, writeYaml } from '../support/agent.ts';
import { startTestCollector, TEST_AGENCIES } from '../support/collector.ts';
import { startMailServer } from '../../scripts/lib/mail-server.ts';
import { median, table } from './lib.ts';

const LATENCY_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const INGEST_BATCHES = Number(process.env.BENCH_BATCHES ?? 150);
const BATCH = 500;
const CONCURRENCY = 4;
const CHECK_INTERVAL_MS = 1000;
const FOR_MS = 2000;

function mix(agent: number, count: number, t0: number): WireSample[] {
  const out: WireSample[] = [];
  for (let i = 0; i < count; i++) {
    const time = new Date(t0 - i).toISOString();
    const k = i % 5;
    if (k === 0) out.push({ measurement: 'tcp', tags: { target: `10.${agent}.0.${i % 250}`, port: '443', name: `portal-${i % 7}`, result: 'ok' }, fields: { up: 1, connect_ms: 1.2 }, time });
    else if (k === 1) out.push({ measurement: 'ping', tags: { target: `10.${agent}.1.${i % 250}`, name: 'gateway', result: 'ok' }, fields: { up: 1, sent: 5, received: 5, loss_percent: 0, rtt_min_ms: 0.4, rtt_avg_ms: 0.6, rtt_max_ms: 0.9, jitter_ms: 0.1 }, time });
    else if (k === 2) out.push({ measurement: 'http', tags: { url: `https://portal-${agent}.example.vn/${i % 13}`, name: 'portal', result: 'ok' }, fields: { up: 1, status_code: 200, response_ms: 42.5, content_bytes: 5120 }, time });
    else if (k === 3) out.push({ measurement: 'host_disk', tags: { host: `pc-${agent}`, mount: `/m${i % 4}` }, fields: { used_percent: 55, free_bytes: 1e10, total_bytes: 2e10 }, time });
    else out.push({ measurement: 'agent_status', tags: { version: '0.1.0', host: `pc-${agent}` }, fields: { queue_samples: 0, dropped_samples: 0, cycle_ms: 12, rss_bytes: 5e7 }, time });
  }
  return out;
}

async function latency(influxUrl: string): Promise<number[]> {
  const smtp = await startMailServer();
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-alerts-bench-'));
  const tc = await startTestCollector(influxUrl, {
    extra: {
      alerts: { groupWait: '0s', rules: [{ name: 'target_down', for: `${FOR_MS}ms`, resolveAfter: '0s' }] },
      smtp: { host: '127.0.0.1', port: smtp.port, secure: false, starttls: false, from: 'bench@example.vn' },
    },
  });
  let listener: Server | undefined;
  const listen = async (port = 0) => {
    listener = createServer((s) => s.destroy());
    await new Promise<void>((r) => listener!.listen(port, '127.0.0.1', () => r()));
    return (listener.address() as { port: number }).port;
  };
  const port = await listen();
  const tokenFile = join(dir, 'agent.token');
  const res = await fetch(`${tc.url}/api/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: (await createEnrollCode(tc.collector.state, 'so-y-te', 600_000)).code, hostname: 'bench', version: 'bench' }) });
  writeFileSync(tokenFile, `${((await res.json()) as { token: string }).token}\n`, { mode: 0o600 });
  const config = writeYaml(join(dir, 'agent.yaml'), {
    collector: { url: tc.url, tokenFile },
    agent: { maxSplay: '0s', sendInterval: '100ms', statusInterval: '5s' },
    checks: [{ type: 'tcp', name: 'bench', targets: [`127.0.0.1:${port}`], interval: `${CHECK_INTERVAL_MS}ms`, timeout: '500ms' }],
  });
  const agent = startProcess(AGENT_BIN, ['run', '--config', config]);
  const out: number[] = [];
  try {
    await waitFor(async () => tc.collector.stats.samplesAccepted > 2, { timeoutMs: 120_000, what: 'agent samples' });
    for (let round = 0; round < LATENCY_ROUNDS; round++) {
      const before = smtp.mails.length;
      await new Promise((r) => listener!.close(r));
      const down = performance.now();
      await waitFor(async () => smtp.mails.length > before, { timeoutMs: 60_000, intervalMs: 20, what: 'firing mail' });
      out.push(performance.now() - down);
      await listen(port);
      await waitFor(async () => smtp.mails.length > before + 1, { timeoutMs: 60_000, intervalMs: 20, what: 'resolve mail' });
    }
  } finally {
    await agent.stop('SIGKILL');
    listener?.close();
    await tc.close();
    await smtp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

async function ingest(influxUrl: string, alerts: boolean): Promise<number> {
  const tc = await startTestCollector(influxUrl, {
    extra: { alerts: { enabled: alerts }, ingest: { rateLimit: { requestsPerSecond: 1e6, samplesPerSecond: 1e9 } } },
  });
  try {
    const tokens: string[] = [];
    for (const a of TEST_AGENCIES) {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${tc.url}/api/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: (await createEnrollCode(tc.collector.state, a.id, 600_000)).code, hostname: `h${i}`, version: 'bench' }) });
        tokens.push(((await res.json()) as { token: string }).token);
      }
    }
    const bodies = tokens.map((_, i) => JSON.stringify({ samples: mix(i, BATCH, Date.now()) }));
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (;;) {
          const n = next++;
          if (n >= INGEST_BATCHES) return;
          const k = n % tokens.length;
          const res = await fetch(`${tc.url}/api/v1/samples`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[k]}` }, body: bodies[k] });
          if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
        }
      }),
    );
    return (INGEST_BATCHES * BATCH) / ((performance.now() - started) / 1000);
  } finally {
    await tc.close();
  }
}

/** The engine alone: samples judged per second by the built-in rules (no HTTP, no InfluxDB). */
function engineOnly(): number {
  const config = parseCollectorConfig('/bench/collector.yaml', { agencies: TEST_AGENCIES });
  const db = openDb(':memory:');
  const alerting = startAlerting({ db, settings: config.alerting.alerts, agencies: config.agencies, timers: false });
  const batches = Array.from({ length: 200 }, (_, a) => ({ agent: { id: `a${a}`, agency: 'so-y-te' }, samples: mix(a, BATCH, Date.now()).map((s) => ({ ...s, tags: { ...s.tags, agency: 'so-y-te', agent: `a${a}` } })) }));
  const started = performance.now();
  let n = 0;
  for (let round = 0; round < 5; round++) {
    for (const b of batches) {
      alerting.observe(b.agent, b.samples);
      n += b.samples.length;
    }
  }
  const rate = n / ((performance.now() - started) / 1000);
  db.close();
  return rate;
}

const influx = await startInfluxd();
try {
  const lat = await latency(influx.url);
  const floor = CHECK_INTERVAL_MS + FOR_MS;
  console.log(`Listener down → firing mail (real agent, tcp check every ${CHECK_INTERVAL_MS} ms, for ${FOR_MS} ms, groupWait 0s, evaluation every 1 s), ${lat.length} rounds:\n`);
  console.log(
    table(
      ['measure', 'median ms', 'min ms', 'max ms', 'floor (interval + for) ms', 'ratio to floor'],
      [['down → mail', median(lat), Math.min(...lat), Math.max(...lat), floor, `${(median(lat) / floor).toFixed(2)}×`]],
    ),
  );
  const off: number[] = [];
  const on: number[] = [];
  for (let round = 0; round < 2; round++) {
    off.push(await ingest(influx.url, false));
    on.push(await ingest(influx.url, true));
  }
  const engine = engineOnly();
  console.log(`\nIngest through HTTP into influxd (${INGEST_BATCHES} batches of ${BATCH}, ${CONCURRENCY} in flight, rounds alternated, median of 2):\n`);
  console.log(
    table(
      ['alerting', 'samples/s', 'ratio to off', 'overhead'],
      [
        ['off (alerts.enabled: false)', median(off), '1.00×', '-'],
        ['built-in rules on', median(on), `${(median(on) / median(off)).toFixed(2)}×`, `${(((median(off) - median(on)) / median(off)) * 100).toFixed(1)} %`],
      ],
    ),
  );
  console.log(`\nEngine alone (built-in rules, 200 agents, all healthy): ${Math.round(engine).toLocaleString('en')} samples/s judged.`);
} finally {
  await influx.stop();
}
