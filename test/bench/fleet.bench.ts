// Central configuration at scale: 1,000 simulated agents long-polling one collector (its own process):
// the time from a profile change to every agent having its new configuration (p50/p99, by the API and
// by `config push`), and the collector's RSS and CPU while the 1,000 poll idle.
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCollectorConfig } from '../../collector/config.ts';
import { statePath } from '../../collector/service.ts';
import { createAdminToken } from '../../collector/state/admin-tokens.ts';
import { syncAgencies } from '../../collector/state/agencies.ts';
import { sqliteStateSql } from '../../collector/state/sql/connect.ts';
import { createAgent } from '../../collector/state/agents.ts';
import { openDb } from '../../collector/state/db.ts';
import { AGENT_CONFIG_HEADER, APPLY_CONFIG_KIND, configHash, formatConfigHeader, type AgentConfigState, type ApplyConfigPayload, type CommandPollResponse } from '../../protocol/index.ts';
import { POLL_WAIT_SECONDS } from '../../agent/command-poller.ts';
import { freePort, startInfluxd } from '../../scripts/lib/influxd.ts';
import { COLLECTOR_BIN, runCli, startProcess, waitFor, writeYaml } from '../support/agent.ts';
import { TEST_AGENCIES } from '../support/collector.ts';
import { cpuSeconds, percentile, rssBytes, sleep, table } from './lib.ts';

const AGENTS = Number(process.env.BENCH_AGENTS ?? 1000);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const ROUNDS = 3;

/**
 * One simulated agent: what `canhgac-agent run` does on the command channel, without checks. It polls
 * with the agent's wait and headers, applies an `apply-config` by hashing what it got (as the agent
 * does), posts the result, and polls again (never sooner than a second after the last poll began).
 */
class SimAgent {
  state: AgentConfigState = { off: false, hash: 'none' };
  /** When each version arrived. */
  readonly got = new Map<number, number>();
  private stopped = false;

  constructor(
    private readonly base: string,
    private readonly token: string,
    private readonly pool: http.Agent,
  ) {}

  private request(method: string, path: string, body?: unknown, timeoutMs = (POLL_WAIT_SECONDS + 15) * 1000): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(`${this.base}${path}`, {
        method,
        agent: this.pool,
        timeout: timeoutMs,
        headers: { authorization: `Bearer ${this.token}`, 'x-canhgac-checks': 'host,tcp', [AGENT_CONFIG_HEADER]: formatConfigHeader(this.state), ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(data);
    });
  }

  async run(): Promise<void> {
    while (!this.stopped) {
      const started = Date.now();
      try {
        const res = await this.request('GET', `/api/v1/agent/commands?wait=${POLL_WAIT_SECONDS}`);
        for (const cmd of (res.body as CommandPollResponse | undefined)?.commands ?? []) if (cmd.kind === APPLY_CONFIG_KIND) await this.apply(cmd.id, cmd.payload as ApplyConfigPayload);
      } catch {
        await sleep(3000);
      }
      await sleep(Math.max(0, 1000 - (Date.now() - started)));
    }
  }

  private async apply(id: string, p: ApplyConfigPayload): Promise<void> {
    const now = Date.now();
    this.got.set(p.version, now);
    this.state = { off: false, profile: p.profile ?? undefined, version: p.version, hash: configHash(p.profile, p.checks) };
    const at = new Date(now).toISOString();
    await this.request('POST', `/api/v1/agent/commands/${id}/result`, { status: 'done', message: 'applied', startedAt: at, finishedAt: at, samples: [] });
  }

  stop(): void {
    this.stopped = true;
  }
}

function profileText(version: number): string {
  // A realistic profile: a portal per agency from its variables, the province's shared systems, the gateway.
  const extra = Array.from({ length: 10 }, (_, i) => `  - { type: http, name: he-thong-${i + 1}, interval: 5m, targets: ["https://he-thong-${i + 1}.example.gov.vn/"] }`).join('\n');
  return `description: bench round ${version}\nagencies: [${TEST_AGENCIES.map((a) => a.id).join(', ')}]\nchecks:\n  - { type: http, name: cong-thong-tin, interval: 5m, targets: ["\${agency.portalUrl}"] }\n  - { type: tcp, name: gateway-${version}, interval: 1m, targets: ["\${agency.gateway}"] }\n${extra}\n`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-fleet-bench-'));
  const influx = await startInfluxd({ dir: join(dir, 'influxd') });
  const port = await freePort();
  mkdirSync(join(dir, 'profiles'));
  writeFileSync(join(dir, 'profiles', 'so-nganh.yaml'), profileText(1));
  const agencies = TEST_AGENCIES.map((a, i) => ({ ...a, vars: { portalUrl: `https://${a.id}.example.gov.vn/`, gateway: `127.0.${i}.1:443` } }));
  const configFile = writeYaml(join(dir, 'collector.yaml'), {
    // 1,000 agents poll from this one address: the per-address connection ceiling (256 by default) is raised.
    listen: { host: '127.0.0.1', port, plainHttp: true, maxConnectionsPerAddress: 3000 },
    dataDir: join(dir, 'data'),
    influx: { url: influx.url, database: 'fleetbench' },
    agencies,
    fleet: { profilesDir: join(dir, 'profiles') },
  });
  // Enrolled in the state database before the collector starts (as 1,000 `enroll` calls would leave it).
  const db = openDb(statePath(loadCollectorConfig(configFile)));
  await syncAgencies(sqliteStateSql(db), agencies as never);
  const tokens: string[] = [];
  for (let i = 0; i < AGENTS; i++) tokens.push((await createAgent(sqliteStateSql(db).db, { agency: agencies[i % agencies.length].id, hostname: `pc-${i}`, version: 'bench' })).token);
  const admin = await createAdminToken(sqliteStateSql(db), 'bench-admin', 'admin');
  db.close();

  const collector = startProcess(COLLECTOR_BIN, ['serve', '--config', configFile]);
  const base = `http://127.0.0.1:${port}`;
  const pool = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const sims = tokens.map((t) => new SimAgent(base, t, pool));
  try {
    await waitFor(async () => (await fetch(`${base}/healthz`)).status === 200, { what: 'collector up', timeoutMs: 60_000, intervalMs: 200 });
    const pid = collector.child.pid!;
    const startedAt = Date.now();
    void Promise.all(sims.map((s, i) => sleep((i * 5000) / AGENTS).then(() => s.run())));
    await waitFor(async () => sims.every((s) => s.got.has(1)), { what: 'every agent with version 1', timeoutMs: 120_000, intervalMs: 500 });
    const first = percentile(sims.map((s) => s.got.get(1)! - startedAt), 100);
    await sleep(POLL_WAIT_SECONDS * 1000 + 2000);

    const rss0 = rssBytes(pid);
    const cpu0 = cpuSeconds(pid);
    const t0 = Date.now();
    let rssMax = rss0;
    while (Date.now() - t0 < IDLE_SECONDS * 1000) {
      await sleep(1000);
      rssMax = Math.max(rssMax, rssBytes(pid));
    }
    const cpuPercent = ((cpuSeconds(pid) - cpu0) / ((Date.now() - t0) / 1000)) * 100;

    const rounds: (string | number)[][] = [];
    for (let v = 2; v < 2 + ROUNDS; v++) {
      const byPush = v === 1 + ROUNDS;
      let changed: number;
      if (byPush) {
        writeFileSync(join(dir, 'profiles', 'so-nganh.yaml'), profileText(v));
        changed = Date.now();
        const r = await runCli(COLLECTOR_BIN, ['config', 'push', '--config', configFile]);
        if (r.code !== 0) throw new Error(`config push: ${r.stderr}`);
      } else {
        changed = Date.now();
        const r = await fetch(`${base}/api/v1/fleet/profiles/so-nganh`, { method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ yaml: profileText(v) }) });
        if (r.status !== 200) throw new Error(`PUT: ${r.status} ${await r.text()}`);
      }
      await waitFor(async () => sims.every((s) => s.got.has(v)), { what: `every agent with version ${v}`, timeoutMs: 120_000, intervalMs: 100 });
      const lat = sims.map((s) => (s.got.get(v)! - changed) / 1000);
      rounds.push([byPush ? `config push (file, CLI in its own process) → v${v}` : `PUT /api/v1/fleet/profiles → v${v}`, percentile(lat, 50), percentile(lat, 99), percentile(lat, 100)]);
      await sleep(3000);
    }
    const states = (await (await fetch(`${base}/api/v1/fleet/agents`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { agents: { state: string }[] };
    const applied = states.agents.filter((a) => a.state === 'applied').length;

    console.log(`${AGENTS} simulated agents in one process (command channel only, no checks), wait=${POLL_WAIT_SECONDS}s; collector in its own process with listen.maxConnectionsPerAddress raised to 3000; profile of 12 checks with per-agency variables; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    console.log(table(['profile change', 'p50 s', 'p99 s', 'max s'], rounds));
    console.log('');
    console.log(table(['collector while the agents poll idle', 'value', 'goal'], [
      [`RSS at start of the ${IDLE_SECONDS} s idle window (MB)`, rss0 / 1e6, '< 300'],
      [`RSS, highest in the window (MB)`, rssMax / 1e6, '< 300'],
      [`CPU over the window (% of one core)`, cpuPercent, '< 5'],
      ['first configuration to all agents after their start (s)', first / 1000, '-'],
      ['agents shown applied in /api/v1/fleet/agents at the end', applied, AGENTS],
    ]));
    const p99 = Math.max(...rounds.map((r) => r[2] as number));
    console.log(`\ngoals: p99 ≤ 25 s (${p99 <= 25 ? 'met' : 'NOT met'}), RSS < 300 MB (${rssMax < 300e6 ? 'met' : 'NOT met'}), CPU < 5 % (${cpuPercent < 5 ? 'met' : 'NOT met'})`);
  } finally {
    for (const s of sims) s.stop();
    pool.destroy();
    await collector.stop();
    await influx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
