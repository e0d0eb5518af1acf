// Intrusion signals: the same synthetic auth.log of 1,000,000 lines (300 attacking sources among ordinary
// sshd, PAM, cron and sudo traffic) read by the auth_events check (`canhgac-agent once`) and by fail2ban
// (`fail2ban-regex LOGFILE sshd`, the stock filter) in the same run: lines per second, the set of offending
// sources each finds (fail2ban's jail defaults, maxretry 5 within findtime 10m, applied to its matches;
// the check configured alike), and the agent's RSS while it reads against its RSS reading an empty log.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { median, rssBytes, table } from './lib.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const LINES = Number(process.env.BENCH_AUTH_LINES ?? 1_000_000);
const ATTACKERS = 300;
const FUMBLERS = 2000;
const PROBERS = 20;
const SPAN_MS = 6 * 3600_000;

/** A small deterministic generator (mulberry32), so every run reads the same log. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const stamp = (t: number) => {
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.toLocaleString('en-US', { month: 'short' })} ${String(d.getDate()).padStart(2, ' ')} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};

const attackerIp = (i: number) => `203.0.${113 + (i >> 8)}.${i & 255}`;
const fumblerIp = (i: number) => `198.51.${100 + (i >> 8)}.${i & 255}`;
const proberIp = (i: number) => `192.0.2.${i + 1}`;
const adminIp = (i: number) => `10.20.${i >> 8}.${i & 255}`;

/**
 * The log: attackers fail all along (about 4 a minute each, some as invalid users); fumblers fail 3 times
 * once (below any threshold); probers try 3 invalid user names in a minute (fail2ban counts each twice:
 * the `Invalid user` line and the `Failed password for invalid user` line); the rest is ordinary traffic.
 */
function writeLog(file: string): { lines: number } {
  const r = rng(17);
  const out: string[] = [];
  const start = Date.now() - SPAN_MS - 60_000;
  const step = SPAN_MS / LINES;
  const special = new Map<number, string[]>();
  const at = (i: number, ...lines: string[]) => special.set(i, [...(special.get(i) ?? []), ...lines]);
  for (let f = 0; f < FUMBLERS; f++) {
    const base = Math.floor(r() * (LINES - 2000));
    for (let k = 0; k < 3; k++) at(base + k * 500, `sshd[${3000 + f}]: Failed password for ketoan from ${fumblerIp(f)} port ${20000 + k} ssh2`);
  }
  for (let p = 0; p < PROBERS; p++) {
    const base = Math.floor(r() * (LINES - 2000));
    for (let k = 0; k < 3; k++) at(base + k * 100, `sshd[${5000 + p}]: Invalid user test${k} from ${proberIp(p)} port ${30000 + k}`, `sshd[${5000 + p}]: Failed password for invalid user test${k} from ${proberIp(p)} port ${30000 + k} ssh2`);
  }
  let n = 0;
  for (let i = 0; n < LINES; i++) {
    const t = stamp(start + i * step);
    const extra = special.get(i);
    if (extra) for (const l of extra) if (n < LINES) (out.push(`${t} srv-web ${l}`), n++);
    if (n >= LINES) break;
    const x = r();
    const pid = 1000 + Math.floor(r() * 60000);
    if (x < 0.42) {
      const a = Math.floor(r() * ATTACKERS);
      const port = 1024 + Math.floor(r() * 60000);
      if (r() < 0.8) out.push(`${t} srv-web sshd[${pid}]: Failed password for root from ${attackerIp(a)} port ${port} ssh2`), n++;
      else {
        out.push(`${t} srv-web sshd[${pid}]: Invalid user oracle from ${attackerIp(a)} port ${port}`), n++;
        if (n < LINES) out.push(`${t} srv-web sshd[${pid}]: Failed password for invalid user oracle from ${attackerIp(a)} port ${port} ssh2`), n++;
      }
      if (n < LINES && r() < 0.3) out.push(`${t} srv-web sshd[${pid}]: Connection closed by authenticating user root ${attackerIp(a)} port ${port} [preauth]`), n++;
    } else if (x < 0.55) {
      const a = Math.floor(r() * 500);
      out.push(`${t} srv-web sshd[${pid}]: Accepted publickey for deploy from ${adminIp(a)} port ${40000 + (pid % 20000)} ssh2: ED25519 SHA256:Qm9vYmFyYmF6cXV4`), n++;
    } else if (x < 0.7) {
      out.push(`${t} srv-web sshd[${pid}]: pam_unix(sshd:session): session ${r() < 0.5 ? 'opened' : 'closed'} for user deploy${r() < 0.5 ? '(uid=1001) by (uid=0)' : ''}`), n++;
    } else if (x < 0.85) {
      out.push(`${t} srv-web CRON[${pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`), n++;
    } else if (x < 0.93) {
      out.push(`${t} srv-web sshd[${pid}]: Received disconnect from ${adminIp(pid % 500)} port ${40000 + (pid % 20000)}:11: disconnected by user`), n++;
    } else {
      out.push(`${t} srv-web sudo[${pid}]:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx`), n++;
    }
  }
  writeFileSync(file, out.join('\n') + '\n');
  return { lines: n };
}

interface Run {
  wallMs: number;
  stdout: string;
  code: number | null;
  rss: number[];
}

/** Runs a command to completion, sampling its RSS every 20 ms. */
function measure(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    const rss: number[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.resume();
    const timer = setInterval(() => {
      try {
        const r = rssBytes(child.pid!);
        if (r > 0) rss.push(r); // 0 once the process has exited
      } catch {
        /* exited */
      }
    }, 20);
    const kill = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000);
    child.on('close', (code) => {
      clearInterval(timer);
      clearTimeout(kill);
      resolve({ wallMs: performance.now() - started, stdout: Buffer.concat(chunks).toString(), code, rss });
    });
  });
}

/** Sources that reach `maxretry` failures within `findtime` seconds: fail2ban's ban decision, on its matches. */
function offendersOf(matches: Map<string, number[]>, maxretry: number, findtimeS: number): Set<string> {
  const out = new Set<string>();
  for (const [ip, times] of matches) {
    times.sort((a, b) => a - b);
    for (let i = maxretry - 1; i < times.length; i++) if (times[i] - times[i - maxretry + 1] <= findtimeS) (out.add(ip), (i = times.length));
  }
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-auth-bench-'));
  try {
    const log = join(dir, 'auth.log');
    const generated = writeLog(log);
    const empty = join(dir, 'empty.log');
    writeFileSync(empty, '');
    const config = (file: string, state: string) =>
      writeFileSync(
        join(dir, `${state}.yaml`),
        stringify({ checks: [{ type: 'auth_events', logFiles: [file], stateFile: join(dir, `${state}.json`), backfill: '1d', maxLinesPerRun: 2_000_000, timeout: '5m', interval: '10m', bruteForce: { failures: 5, within: '10m' } }] }),
      );
    config(empty, 'idle');
    config(log, 'full');
    const agent = (name: string) => measure(process.execPath, [join(ROOT, 'bin', 'canhgac-agent.js'), 'once', '--json', '--config', join(dir, `${name}.yaml`)]);
    const idle = await agent('idle');
    const ours = await agent('full');
    if (ours.code !== 0) throw new Error(`canhgac-agent once exited ${ours.code}`);
    const samples = JSON.parse(ours.stdout) as { measurement: string; tags: Record<string, string>; fields: Record<string, number | string> }[];
    const summary = samples.find((s) => s.measurement === 'auth_summary')!;
    const ourSet = new Set(samples.filter((s) => s.measurement === 'auth_finding' && (s.tags.kind === 'brute_force' || s.tags.kind === 'password_spraying')).map((s) => String(s.fields.source)));

    const f2b = await measure('fail2ban-regex', ['-o', 'row', log, 'sshd']);
    const matches = new Map<string, number[]>();
    for (const line of f2b.stdout.split('\n')) {
      const m = /^\['([^']+)',\s*([\d.]+),/.exec(line);
      if (!m) continue;
      const list = matches.get(m[1]) ?? [];
      list.push(Number(m[2]));
      matches.set(m[1], list);
    }
    const f2bSet = offendersOf(matches, 5, 600);
    const f2bFailures = [...matches.values()].reduce((a, l) => a + l.length, 0);

    const onlyOurs = [...ourSet].filter((s) => !f2bSet.has(s)).sort();
    const onlyF2b = [...f2bSet].filter((s) => !ourSet.has(s)).sort();
    const attackersFound = Array.from({ length: ATTACKERS }, (_, i) => attackerIp(i)).filter((ip) => ourSet.has(ip)).length;
    const readMs = Number(summary.fields.read_ms);
    const mb = (b: number) => b / 1048576;
    const peak = (r: Run) => Math.max(...r.rss, 0);
    const reading = ours.rss.slice(Math.floor(ours.rss.length / 4));
    const rows: (string | number)[][] = [
      ['lines read', Number(summary.fields.lines_read), generated.lines, '-'],
      ['wall time, whole process (s)', ours.wallMs / 1000, f2b.wallMs / 1000, (f2b.wallMs / ours.wallMs)],
      ['lines/s, whole process', generated.lines / (ours.wallMs / 1000), generated.lines / (f2b.wallMs / 1000), (f2b.wallMs / ours.wallMs)],
      ['lines/s, reading and detecting only (read_ms)', generated.lines / (readMs / 1000), '-', '-'],
      ['failures counted', Number(summary.fields.failures), f2bFailures, '-'],
      ['offending sources (≥ 5 failures in 10 min)', ourSet.size, f2bSet.size, '-'],
      [`of the ${ATTACKERS} attackers`, attackersFound, Array.from({ length: ATTACKERS }, (_, i) => attackerIp(i)).filter((ip) => f2bSet.has(ip)).length, '-'],
      ['peak RSS (MB)', mb(peak(ours)), mb(peak(f2b)), '-'],
      ['agent RSS reading an empty log, peak (MB)', mb(peak(idle)), '-', '-'],
      ['agent RSS above idle while reading, peak (MB)', mb(peak(ours) - peak(idle)), '-', '-'],
      ['agent RSS while reading, last 3/4: min / median / max (MB)', `${mb(Math.min(...reading)).toFixed(1)} / ${mb(median(reading)).toFixed(1)} / ${mb(Math.max(...reading)).toFixed(1)}`, '-', '-'],
    ];
    console.log(`${generated.lines} lines (${(statSync(log).size / 1048576).toFixed(0)} MB), ${ATTACKERS} attacking sources, ${FUMBLERS} sources with 3 failures, ${PROBERS} sources trying 3 invalid user names; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    console.log(table(['', 'Canh Gác auth_events', 'fail2ban-regex sshd', 'ratio (fail2ban time / ours)'], rows));
    console.log(`\nsources only the check flags: ${onlyOurs.length ? onlyOurs.join(', ') : 'none'}`);
    console.log(`sources only fail2ban flags: ${onlyF2b.length ? `${onlyF2b.join(', ')} (each tried 3 invalid user names: fail2ban counts the "Invalid user" line and the "Failed password for invalid user" line of one attempt as two failures, the check counts one attempt once)` : 'none'}`);
    if (f2b.code !== 0) console.log(`fail2ban-regex exited ${f2b.code}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
