// Agent footprint with the demo's checks (ping, tcp, http, host) beside Debian's node_exporter +
// blackbox_exporter doing the comparable job (host metrics + ICMP, TCP and HTTP probes of the same
// loopback targets), scraped at the same interval. Everything stays on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort, startInfluxd } from '../../scripts/lib/influxd.ts';
import { startTestCollector } from '../support/collector.ts';
import { AGENT_BIN, runCli } from '../support/agent.ts';
import { cpuSeconds, median, rssBytes, sleep, table } from './lib.ts';

const INTERVAL_S = 5;
const CYCLES = Number(process.env.BENCH_CYCLES ?? 8);

const dir = mkdtempSync(join(tmpdir(), 'canhgac-bench-footprint-'));
const influx = await startInfluxd();
const tc = await startTestCollector(influx.url, { https: true });
const tcp = createServer((s) => s.end());
await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
const tcpPort = (tcp.address() as { port: number }).port;
const collectorPort = new URL(tc.url).port;
const children: ChildProcess[] = [];

try {
  // --- Canh Gác agent
  const tokenFile = join(dir, 'agent.token');
  const agentFile = join(dir, 'agent.yaml');
  writeFileSync(
    agentFile,
    stringify({
      collector: { url: tc.url, tokenFile, ca: tc.caFile },
      agent: { maxSplay: '0s', statusInterval: `${INTERVAL_S}s`, sendInterval: '1s' },
      checks: [
        { type: 'ping', targets: ['127.0.0.1', '::1'], count: 5, interval: `${INTERVAL_S}s` },
        { type: 'tcp', targets: [`127.0.0.1:${tcpPort}`, '127.0.0.1:9'], interval: `${INTERVAL_S}s` },
        { type: 'http', targets: [`${tc.url}/healthz`], ca: tc.caFile, interval: `${INTERVAL_S}s` },
        { type: 'host', interval: `${INTERVAL_S}s` },
      ],
    }),
  );
  // As shipped: one bundled file (what the single executable carries), no TypeScript at run time.
  const bundled = join(import.meta.dirname, '..', '..', '.tmp', 'bench-agent.mjs');
  const entry = join(dir, 'entry.ts');
  writeFileSync(entry, `import { main } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'agent', 'cli.ts'))};\nprocess.exitCode = await main(process.argv.slice(2));\n`);
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundled,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);" },
  });
  const e = await runCli(AGENT_BIN, ['enroll', '--config', agentFile, '--code', tc.enrollCode('so-y-te')]);
  if (e.code !== 0) throw new Error(e.stderr);
  const srcFile = join(dir, 'agent-src.yaml');
  writeFileSync(srcFile, stringify({ ...parse(readFileSync(agentFile, 'utf8')), collector: { url: tc.url, tokenFile: join(dir, 'src.token'), ca: tc.caFile }, outbox: { dir: join(dir, 'outbox-src') } }));
  const e2 = await runCli(AGENT_BIN, ['enroll', '--config', srcFile, '--code', tc.enrollCode('so-y-te')]);
  if (e2.code !== 0) throw new Error(e2.stderr);
  const agent = spawn(process.execPath, [bundled, 'run', '--config', agentFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  const agentSrc = spawn(process.execPath, [AGENT_BIN, 'run', '--config', srcFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(agent, agentSrc);

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
        http: { prober: 'http', timeout: '5s', http: { tls_config: { ca_file: tc.caFile } } },
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
    `module=http&target=${encodeURIComponent(`${tc.url}/healthz`)}`,
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
  const start = { agent: cpuSeconds(agent.pid!), src: cpuSeconds(agentSrc.pid!), peers: cpuSeconds(ne.pid!) + cpuSeconds(bb.pid!) };
  const rss = { agent: [] as number[], src: [] as number[], peers: [] as number[] };
  for (let i = 0; i < CYCLES; i++) {
    await scrape();
    // Idle RSS: sampled mid-way between cycles.
    await sleep((INTERVAL_S * 1000) / 2);
    rss.agent.push(rssBytes(agent.pid!));
    rss.src.push(rssBytes(agentSrc.pid!));
    rss.peers.push(rssBytes(ne.pid!) + rssBytes(bb.pid!));
    await sleep((INTERVAL_S * 1000) / 2);
  }
  const cpu = {
    agent: (cpuSeconds(agent.pid!) - start.agent) / CYCLES,
    src: (cpuSeconds(agentSrc.pid!) - start.src) / CYCLES,
    peers: (cpuSeconds(ne.pid!) + cpuSeconds(bb.pid!) - start.peers) / CYCLES,
  };
  const mb = (b: number) => b / 1024 / 1024;
  console.log(`Agent footprint, ${CYCLES} cycles of ${INTERVAL_S}s (ping x2 of 5 packets, tcp x2, https x1, host); peers scraped at the same interval\n`);
  console.log(
    table(
      ['metric', 'Canh Gác agent (bundled, as shipped)', 'node_exporter + blackbox_exporter', 'ratio (agent / peers)', 'agent from source (tsx)'],
      [
        ['idle RSS, median (MB)', mb(median(rss.agent)), mb(median(rss.peers)), median(rss.agent) / median(rss.peers), mb(median(rss.src))],
        ['idle RSS, max (MB)', mb(Math.max(...rss.agent)), mb(Math.max(...rss.peers)), Math.max(...rss.agent) / Math.max(...rss.peers), mb(Math.max(...rss.src))],
        ['CPU per cycle (ms)', cpu.agent * 1000, cpu.peers * 1000, cpu.agent / cpu.peers, cpu.src * 1000],
        ['processes', 1, 2, 0.5, 1],
      ],
    ),
  );
} finally {
  for (const c of children) c.kill('SIGTERM');
  tcp.close();
  await tc.close();
  await influx.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
