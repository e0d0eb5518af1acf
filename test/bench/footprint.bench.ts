// Agent footprint with the demo's checks (ping, tcp, http, host) beside Debian's node_exporter +
// blackbox_exporter doing the comparable job (host metrics + ICMP, TCP and HTTP probes of the same
// loopback targets), scraped at the same interval. Everything stays on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { bundleAgent } from '../../deploy/agent/build-agent.ts';
import { freePort, startInfluxd } from '../../scripts/lib/influxd.ts';
import { startTestCollector } from '../support/collector.ts';
import { AGENT_BIN, ROOT, runCli } from '../support/agent.ts';
import { makePki } from '../support/pki.ts';
import { cpuSeconds, median, rssBytes, sleep, table } from './lib.ts';

const INTERVAL_S = 5;
const CYCLES = Number(process.env.BENCH_CYCLES ?? 8);
/** Extra V8 flag sets to compare, `;`-separated (e.g. "--lite-mode;--max-semi-space-size=2"), given on node's command line. */
const EXTRA_FLAGS = (process.env.BENCH_FLAGS ?? '').split(';').map((s) => s.trim()).filter(Boolean);
/** Extra environments to compare, `;`-separated, each `K=V K2=V2` (e.g. "MALLOC_TRIM_THRESHOLD_=0"), on top of the shipped one; `K=-` leaves K out. */
const EXTRA_ENVS = (process.env.BENCH_ENVS ?? '').split(';').map((s) => s.trim()).filter(Boolean);

/** The environment of the agent's systemd unit (NODE_OPTIONS, MALLOC_ARENA_MAX): what the shipped agent runs with. */
function shippedEnvironment(): Record<string, string> {
  const unit = readFileSync(join(ROOT, 'deploy', 'systemd', 'canhgac-agent.service'), 'utf8');
  return Object.fromEntries([...unit.matchAll(/^Environment="?([A-Z_]+)=([^"\n]*)"?$/gm)].map((m) => [m[1], m[2]]));
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const loadBefore = load();
const dir = mkdtempSync(join(tmpdir(), 'canhgac-bench-footprint-'));
const influx = await startInfluxd();
const tc = await startTestCollector(influx.url, { https: true });
// TLS sessions the collector accepts: every one comes from an agent (the probed web page is another server).
let collectorHandshakes = 0;
tc.collector.app.server.on('secureConnection', () => collectorHandshakes++);
const tcp = createServer((s) => s.end());
await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
const tcpPort = (tcp.address() as { port: number }).port;
const pki = await makePki();
const web = createHttpsServer({ key: pki.leaves.good.key, cert: pki.leaves.good.chainPem }, (_req, res) => res.end('ok'));
await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
const webUrl = `https://127.0.0.1:${(web.address() as { port: number }).port}/`;
const children: ChildProcess[] = [];

interface Variant {
  label: string;
  child: ChildProcess;
}

try {
  const checks = [
    { type: 'ping', targets: ['127.0.0.1', '::1'], count: 5, interval: `${INTERVAL_S}s` },
    { type: 'tcp', targets: [`127.0.0.1:${tcpPort}`, '127.0.0.1:9'], interval: `${INTERVAL_S}s` },
    { type: 'http', targets: [webUrl], ca: pki.rootFile, interval: `${INTERVAL_S}s` },
    { type: 'host', interval: `${INTERVAL_S}s` },
  ];
  const agentConfig = async (name: string) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      stringify({
        collector: { url: tc.url, tokenFile: join(dir, `${name}.token`), ca: tc.caFile },
        agent: { maxSplay: '0s', statusInterval: `${INTERVAL_S}s`, sendInterval: '1s' },
        outbox: { dir: join(dir, `outbox-${name}`) },
        checks,
      }),
    );
    const e = await runCli(AGENT_BIN, ['enroll', '--config', file, '--code', await tc.enrollCode('so-y-te')]);
    if (e.code !== 0) throw new Error(e.stderr);
    return file;
  };
  // As shipped: deploy/agent/build-agent.ts's one CommonJS file (what the single executable carries).
  const bundled = await bundleAgent(join(ROOT, '.tmp', 'bench-agent'));
  const shipped = shippedEnvironment();
  const plans: { label: string; args: (config: string) => string[]; env?: NodeJS.ProcessEnv }[] = [
    { label: `bundled, as shipped (${Object.entries(shipped).map(([k, v]) => `${k}=${v}`).join(' ') || 'no environment'})`, args: (c) => [bundled, 'run', '--config', c], env: { NODE_OPTIONS: '', ...shipped } },
    { label: 'bundled, no V8 flags', args: (c) => [bundled, 'run', '--config', c], env: { NODE_OPTIONS: '' } },
    // On node's command line: NODE_OPTIONS (all a single executable can be given) refuses most V8 flags.
    ...EXTRA_FLAGS.map((flags) => ({ label: `bundled, node ${flags}`, args: (c: string) => [...flags.split(/\s+/), bundled, 'run', '--config', c], env: { NODE_OPTIONS: '' } })),
    ...EXTRA_ENVS.map((vars) => ({
      label: `bundled, as shipped + ${vars}`,
      args: (c: string) => [bundled, 'run', '--config', c],
      // `K=-` leaves K out of the shipped environment (to measure what one setting buys).
      env: Object.fromEntries(
        Object.entries({ NODE_OPTIONS: '', ...shipped, ...Object.fromEntries(vars.split(/\s+/).map((kv) => kv.split('=', 2) as [string, string])) }).filter(([, v]) => v !== '-'),
      ) as Record<string, string>,
    })),
    { label: 'bundled, MALLOC_ARENA_MAX=2 only', args: (c) => [bundled, 'run', '--config', c], env: { NODE_OPTIONS: '', MALLOC_ARENA_MAX: '2' } },
    { label: 'from source (tsx)', args: (c) => [AGENT_BIN, 'run', '--config', c], env: { NODE_OPTIONS: '' } },
  ];
  const variants: Variant[] = [];
  for (const [i, p] of plans.entries()) {
    const file = await agentConfig(`agent${i}`);
    const child = spawn(process.execPath, p.args(file), { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...p.env } });
    children.push(child);
    variants.push({ label: p.label, child });
  }

  // --- Peers: node_exporter + blackbox_exporter, scraped like Prometheus would.
  const nePort = await freePort();
  const bbPort = await freePort();
  const bbConfig = join(dir, 'blackbox.yml');
  writeFileSync(
    bbConfig,
    stringify({
      modules: {
        icmp: { prober: 'icmp', timeout: '2s', icmp: { preferred_ip_protocol: 'ip4' } },
        icmp6: { prober: 'icmp', timeout: '2s', icmp: { preferred_ip_protocol: 'ip6' } },
        tcp: { prober: 'tcp', timeout: '5s' },
        http: { prober: 'http', timeout: '5s', http: { tls_config: { ca_file: pki.rootFile } } },
      },
    }),
  );
  const ne = spawn('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${nePort}`], { stdio: 'ignore' });
  const bb = spawn('prometheus-blackbox-exporter', [`--config.file=${bbConfig}`, `--web.listen-address=127.0.0.1:${bbPort}`], { stdio: 'ignore' });
  children.push(ne, bb);
  await sleep(2000);
  const probes = [
    `module=icmp&target=127.0.0.1`,
    `module=icmp6&target=::1`,
    `module=tcp&target=127.0.0.1:${tcpPort}`,
    `module=tcp&target=127.0.0.1:9`,
    `module=http&target=${encodeURIComponent(webUrl)}`,
  ];
  const scrape = async () => {
    await Promise.all([
      fetch(`http://127.0.0.1:${nePort}/metrics`).then((r) => r.text()),
      ...probes.map((p) => fetch(`http://127.0.0.1:${bbPort}/probe?${p}`).then((r) => r.text())),
    ]);
  };

  // Warm up one cycle, then measure CYCLES cycles.
  await scrape();
  await sleep(INTERVAL_S * 1000);
  const pids = variants.map((v) => v.child.pid!);
  const peerCpu = () => cpuSeconds(ne.pid!) + cpuSeconds(bb.pid!);
  const start = { agents: pids.map(cpuSeconds), peers: peerCpu(), handshakes: collectorHandshakes };
  const rss = { agents: pids.map(() => [] as number[]), peers: [] as number[] };
  for (let i = 0; i < CYCLES; i++) {
    await scrape();
    // Idle RSS: sampled mid-way between cycles.
    await sleep((INTERVAL_S * 1000) / 2);
    pids.forEach((pid, j) => rss.agents[j].push(rssBytes(pid)));
    rss.peers.push(rssBytes(ne.pid!) + rssBytes(bb.pid!));
    await sleep((INTERVAL_S * 1000) / 2);
  }
  const cpu = { agents: pids.map((pid, j) => (cpuSeconds(pid) - start.agents[j]) / CYCLES), peers: (peerCpu() - start.peers) / CYCLES };
  const handshakesPerCycle = (collectorHandshakes - start.handshakes) / CYCLES / variants.length;
  const mb = (b: number) => b / 1024 / 1024;
  console.log(`Agent footprint, ${CYCLES} cycles of ${INTERVAL_S}s (ping x2 of 5 packets, tcp x2, https x1, host); peers scraped at the same interval; load average before ${loadBefore}, after ${load()}\n`);
  const peerRss = median(rss.peers);
  console.log(
    table(
      ['agent', 'idle RSS, median (MB)', 'idle RSS, max (MB)', 'CPU per cycle (ms)', 'RSS ratio to peers', 'CPU ratio to peers'],
      [
        ...variants.map((v, j) => [v.label, mb(median(rss.agents[j])), mb(Math.max(...rss.agents[j])), cpu.agents[j] * 1000, median(rss.agents[j]) / peerRss, cpu.agents[j] / cpu.peers]),
        ['node_exporter + blackbox_exporter (2 processes)', mb(peerRss), mb(Math.max(...rss.peers)), cpu.peers * 1000, 1, 1],
      ],
    ),
  );
  console.log(`\nTLS handshakes to the collector per agent and cycle (keep-alive: the sender and the command poll reuse their connections): ${handshakesPerCycle.toFixed(2)}`);
} finally {
  for (const c of children) c.kill('SIGTERM');
  tcp.close();
  web.close();
  await tc.close();
  await influx.stop();
  pki.cleanup();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
