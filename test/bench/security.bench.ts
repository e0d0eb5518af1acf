// Security posture: one full security cycle of the agent (`canhgac-agent once` with only the security
// check, so node's start-up is included) beside `lynis audit system --quick`, on this machine, in the
// same run. Wall time, CPU seconds and peak RSS of each tool's whole process tree (sampled from /proc
// every 50 ms: apt-get and the shells Lynis forks count too). Lynis runs with a profile that turns
// off its repository refresh, version check and network tests, so nothing leaves the machine.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { median, table } from './lib.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LYNIS_ROUNDS = Number(process.env.BENCH_LYNIS_ROUNDS ?? 1);
const LIMIT_MS = Number(process.env.BENCH_LIMIT_MS ?? 30 * 60_000);

const OFFLINE_PROFILE = `refresh-repositories=no
skip-upgrade-test=yes
upload=no
${['NETW-2704', 'NETW-2705', 'NETW-2706', 'DNS-1600', 'PKGS-7393', 'PKGS-7394', 'PKGS-7395', 'PKGS-7398'].map((t) => `skip-test=${t}`).join('\n')}
`;

interface Measured {
  wallMs: number;
  peakTreeRss: number;
  cpuSeconds: number;
  code: number | null;
  /** Killed at LIMIT_MS: its figures are lower bounds. */
  killed: boolean;
}

/** Children of every process, from /proc/N/stat (ppid is field 4). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length && out.length < 10_000) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

function treeRss(root: number): number {
  let sum = 0;
  for (const pid of processTree(root)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) sum += Number(m[1]) * 1024;
    } catch {
      /* gone */
    }
  }
  return sum;
}

/** Runs a command to its end, sampling its process tree; CPU from /usr/bin/time's rusage of the children. */
function measure(cmd: string, args: string[], cwd: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const timeFile = join(cwd, `time-${Date.now()}.txt`);
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, cmd, ...args], { cwd, stdio: ['ignore', 'ignore', 'ignore'] });
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, treeRss(child.pid!));
    }, 50);
    let killed = false;
    const killer = setTimeout(() => {
      killed = true;
      // The whole tree: /usr/bin/time, the tool and whatever it forked.
      for (const pid of processTree(child.pid!).reverse()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }, LIMIT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sampler);
      clearTimeout(killer);
      let cpu = NaN;
      try {
        const [u, s] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
        cpu = u + s;
      } catch {
        /* killed before /usr/bin/time wrote it */
      }
      resolve({ wallMs: performance.now() - started, peakTreeRss: peak, cpuSeconds: cpu, code, killed });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'canhgac-security-bench-'));
try {
  const config = join(dir, 'agent.yaml');
  writeFileSync(config, stringify({ checks: [{ type: 'security' }] }));
  writeFileSync(join(dir, 'offline.prf'), OFFLINE_PROFILE);

  const ours: Measured[] = [];
  for (let i = 0; i < ROUNDS; i++) ours.push(await measure(process.execPath, [join(ROOT, 'bin', 'canhgac-agent.js'), 'once', '--json', '--config', config], dir));
  const lynis: Measured[] = [];
  for (let i = 0; i < LYNIS_ROUNDS; i++) {
    lynis.push(
      await measure('lynis', ['audit', 'system', '--quick', '--no-colors', '--profile', join(dir, 'offline.prf'), '--report-file', join(dir, `lynis-${i}.dat`), '--logfile', join(dir, `lynis-${i}.log`)], dir),
    );
  }
  if (ours.some((m) => m.code !== 0)) throw new Error(`canhgac-agent exited with ${ours.map((m) => m.code).join(', ')}`);

  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const row = (label: string, f: (m: Measured) => number, unit = 1) => {
    const a = median(ours.map(f)) / unit;
    const b = median(lynis.map(f)) / unit;
    return [label, a, b, a / b];
  };
  console.log(
    table(
      ['one full cycle (median)', 'canhgac security', 'lynis --quick', 'ratio'],
      [row('wall time (s)', (m) => m.wallMs, 1000), row('CPU user+sys (s)', (m) => m.cpuSeconds), row('peak RSS, whole process tree (MB)', (m) => m.peakTreeRss, 1 << 20)],
    ),
  );
  if (lynis.some((m) => m.killed)) console.log(`\n**lynis was killed after ${LIMIT_MS / 60_000} min without finishing: its time and RSS are lower bounds, its CPU unknown.**`);
  console.log(
    `\n${ROUNDS} agent run(s), ${LYNIS_ROUNDS} lynis run(s) (exit ${lynis.map((m) => (m.killed ? 'killed' : m.code)).join(', ')}), load average ${load} at the end. ` +
      `The agent figure includes node's start-up and every Linux check (apt-get -s upgrade dominates); ` +
      'lynis --quick runs its ~250 tests, of which four overlap with ours.',
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
