// LAN sweep of a /24 with 30 and 100 live hosts: Canh Gác's discovery check beside `fping` and
// `nmap -sn`, on the same namespace LAN, in the same run, each started with an empty neighbour table.
// Root only; every probe runs inside the scanner namespace of a LAN this script creates and deletes.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROUNDS = 3;
const SELF = fileURLToPath(import.meta.url);
const ROOT = join(SELF, '..', '..', '..');

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4]);
else await main();

/** Inside the scanner namespace: one discovery run in process, timed around the check itself. */
async function child(subnet: string, stateDir: string): Promise<void> {
  const { parseAgentConfig } = await import('../../agent/config.ts');
  const { runCheck } = await import('../../agent/run-check.ts');
  const { createLogger } = await import('../../agent/log.ts');
  // timeout 300ms: the same wait as fping's -t300 below.
  const cfg = parseAgentConfig('bench.yaml', { checks: [{ type: 'discovery', subnets: [subnet], timeout: '300ms', stateFile: join(stateDir, 'state.json') }] });
  const started = performance.now();
  const run = await runCheck(cfg.checks[0], createLogger({ level: process.env.BENCH_DEBUG ? 'debug' : 'error' }));
  const ms = performance.now() - started;
  const summary = run.samples.find((s) => s.measurement === 'lan_summary');
  process.stdout.write(JSON.stringify({ ms, devices: summary?.fields.devices ?? -1, error: run.error?.message }) + '\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function runIn(ns: string, cmd: string[]): Promise<{ ms: number; stdout: string; code: number | null }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const c = spawn('ip', ['netns', 'exec', ns, ...cmd], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const t = setTimeout(() => c.kill('SIGKILL'), 120_000);
    c.on('close', (code) => {
      clearTimeout(t);
      resolve({ ms: performance.now() - started, stdout, code });
    });
  });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('skipped: the discovery benchmark builds a namespace LAN and needs root');
    return;
  }
  for (const cmd of ['ip', 'fping', 'nmap']) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
      console.log(`skipped: needs \`${cmd}\``);
      return;
    }
  }
  const { createLan } = await import('../support/netns-lan.ts');
  const rows: string[][] = [];
  for (const live of [30, 100]) {
    const lan = createLan({ hosts: live });
    const stateDir = mkdtempSync(join(tmpdir(), 'canhgac-bench-discovery-'));
    const results: Record<string, { ms: number[]; found: number[] }> = { 'Canh Gác discovery': { ms: [], found: [] }, 'fping -a -r1 -t300 -i1 -g': { ms: [], found: [] }, 'nmap -sn -n': { ms: [], found: [] } };
    try {
      const cold = () => spawnSync('ip', ['-n', lan.scannerNs, 'neigh', 'flush', 'all']);
      const notScanner = (ips: string[]) => ips.filter((ip) => ip !== lan.scannerIp).length;
      for (let round = 0; round < ROUNDS; round++) {
        cold();
        const f = await runIn(lan.scannerNs, ['fping', '-a', '-q', '-r1', '-t300', '-i1', '-g', lan.subnetA]);
        results['fping -a -r1 -t300 -i1 -g'].ms.push(f.ms);
        results['fping -a -r1 -t300 -i1 -g'].found.push(notScanner(f.stdout.split('\n').filter((l) => /^\d/.test(l.trim()))));
        cold();
        const n = await runIn(lan.scannerNs, ['nmap', '-sn', '-n', '-oG', '-', lan.subnetA]);
        results['nmap -sn -n'].ms.push(n.ms);
        results['nmap -sn -n'].found.push(notScanner([...n.stdout.matchAll(/^Host: (\S+) .*Status: Up/gm)].map((m) => m[1])));
        cold();
        const c = await runIn(lan.scannerNs, [process.execPath, '--import', 'tsx', SELF, '--child', lan.subnetA, stateDir]);
        const out = JSON.parse(c.stdout.trim().split('\n').pop()!) as { ms: number; devices: number; error?: string };
        if (out.error) console.error(`Canh Gác run failed: ${out.error}`);
        results['Canh Gác discovery'].ms.push(out.ms);
        results['Canh Gác discovery'].found.push(out.devices);
      }
    } finally {
      lan.teardown();
      rmSync(stateDir, { recursive: true, force: true });
    }
    const fpingMs = median(results['fping -a -r1 -t300 -i1 -g'].ms);
    for (const [tool, r] of Object.entries(results)) {
      rows.push([
        String(live),
        tool,
        `${r.found.join(' / ')}${r.found.every((x) => x === live) ? ' (exact)' : ''}`,
        (median(r.ms) / 1000).toFixed(2),
        r.ms.map((m) => (m / 1000).toFixed(2)).join(' / '),
        (median(r.ms) / fpingMs).toFixed(2),
      ]);
    }
  }
  console.log('| live hosts on the /24 | tool | devices found per run | median s | runs s | time / fping |');
  console.log('| ---: | --- | --- | ---: | --- | ---: |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(
    `\n${ROUNDS} rounds, tools interleaved, scanner neighbour table flushed before every run. Canh Gác is timed around the whole` +
      ' check (ICMP sweep + neighbour table + TCP probe + 8 risky-service probes per device + vendors + reverse DNS), in process' +
      ' (Node start-up excluded); fping and nmap as processes. The scanner itself is not counted for any tool.',
  );
}
