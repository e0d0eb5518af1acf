// The child process of test/memory-ceiling.test.ts: a day of the agent compressed into seconds. Every
// configured check runs on its own interval of simulated minutes, as the scheduler would run it; the
// samples go through the real disk outbox and sender to the real collector; memory is reported hourly.
import { appendFileSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { loadAgentConfig } from '../../agent/config.ts';
import { CollectorClient } from '../../agent/collector-client.ts';
import { outboxDir } from '../../agent/daemon.ts';
import { createLogger } from '../../agent/log.ts';
import { DiskOutbox } from '../../agent/outbox-disk.ts';
import { confirmDelivery, runCheck } from '../../agent/run-check.ts';
import { Sender } from '../../agent/sender.ts';
import { agentStatusSample } from '../../agent/status.ts';
import { readToken } from '../../agent/token-store.ts';

/*
 * What is compressed: the waiting between runs, nothing else. Each simulated minute runs the checks
 * that are due (together, as the scheduler does when their times coincide), appends their samples
 * and the agent_status sample to the outbox, confirms delivery, nudges the sender and goes on at once.
 * The checks' own bursts are as short as their configs allow (the test configures count 1 or 2).
 */

interface Args {
  config: string;
  minutes: number;
  /** A syslog file the auth_events check reads: a few sshd lines are appended every simulated minute. */
  authLog?: string;
}

const args = JSON.parse(process.argv[2]) as Args;
const exposed = (globalThis as { gc?: () => void }).gc;
if (!exposed) throw new Error('run with --expose-gc');
/*
 * A full collection that also compacts, like the ones V8's memory reducer does once a process has been
 * idle a few seconds. A real agent is idle between its runs and gets those; this compressed day never
 * is, and without them V8 keeps fragmented heap pages it would have given back. Each hourly reading asks
 * for one, so it reads what the agent needs, not what a never-idle process accumulates.
 */
const gc = () => {
  setFlagsFromString('--compact-on-every-full-gc');
  exposed();
  setFlagsFromString('--no-compact-on-every-full-gc');
};

const config = loadAgentConfig(args.config);
const log = createLogger({ level: 'warn', json: true, write: (l) => process.stderr.write(`${l}\n`) });
const collector = config.collector!;
const outbox = new DiskOutbox({ dir: outboxDir(config), maxBytes: config.outbox.maxBytes, maxAgeMs: config.outbox.maxAgeMs, log });
const client = new CollectorClient(collector.url, { ca: collector.ca });
const sender = new Sender({ client, outbox, log, tokenFile: collector.tokenFile, token: readToken(collector.tokenFile)!, intervalMs: 1000, minBackoffMs: 200, maxBackoffMs: 2000 });
sender.start();

const every = new Map(config.checks.map((e) => [e, Math.max(1, Math.round(e.config.intervalMs / 60_000))]));
/** Resident memory by kind (kB): the brk heap of malloc's main arena, other anonymous mappings (V8's heap pages, thread arenas), files. */
function residentByKind(): { brk: number; anon: number; file: number } {
  const out = { brk: 0, anon: 0, file: 0 };
  let kind: keyof typeof out = 'anon';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) kind = head[1] === '[heap]' ? 'brk' : head[1] === '' || head[1].startsWith('[') ? 'anon' : 'file';
    else if (line.startsWith('Rss:')) out[kind] += Number(line.split(/\s+/)[1]);
  }
  return out;
}

/** Diagnostics (MEMDAY_MAPS=1): anonymous mappings, their size and resident kB, grouped by size. */
function anonMaps(): string {
  const groups = new Map<string, { n: number; rss: number }>();
  let size = 0;
  let anon = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      size = (parseInt(head[2], 16) - parseInt(head[1], 16)) / 1024;
      anon = head[3] === '';
    } else if (anon && line.startsWith('Rss:')) {
      const key = size >= 65536 ? '64MB+ (thread arena or V8 reservation)' : size % 256 === 0 ? `${size} kB (V8 page multiple)` : `${size} kB`;
      const g = groups.get(key) ?? { n: 0, rss: 0 };
      g.n++;
      g.rss += Number(line.split(/\s+/)[1]);
      groups.set(key, g);
    }
  }
  return [...groups].sort((a, b) => b[1].rss - a[1].rss).slice(0, 12).map(([k, g]) => `  ${k}: ${g.n} mapping(s), ${g.rss} kB resident`).join('\n');
}

const report = async (minute: number, runs: number) => {
  // What the minute's runs still hold a moment after they end (sockets in their 200 ms close grace,
  // a request the sender has in flight) is theirs, not the agent's standing memory: it goes first.
  gc();
  await new Promise((r) => setTimeout(r, 300));
  gc();
  const m = process.memoryUsage();
  const kinds = residentByKind();
  if (process.env.MEMDAY_MAPS && (minute === 240 || minute === args.minutes)) process.stderr.write(`MAPS ${minute / 60}h\n${anonMaps()}\n`);
  if (process.env.MEMDAY_MAPS) process.stderr.write(`STATUS ${minute / 60}h ${readFileSync('/proc/self/status', 'utf8').split('\n').filter((l) => /^Rss|^VmRSS/.test(l)).map((l) => l.replace(/\s+/g, ' ')).join(' ')} kinds=${JSON.stringify(kinds)}\n`);
  process.stdout.write(`${JSON.stringify({ minute, runs, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, brk: kinds.brk * 1024, queued: outbox.stats().samples, sent: sender.sentSamples })}\n`);
};

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function authLines(minute: number): string {
  const d = new Date();
  const stamp = `${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${d.toTimeString().slice(0, 8)}`;
  // A new source every minute (the detector's per-source state must stay bounded) and a repeated one.
  const fresh = `10.${(minute >> 8) & 255}.${minute & 255}.7`;
  return [
    `${stamp} vm sshd[${1000 + minute}]: Failed password for invalid user admin from ${fresh} port 40022 ssh2`,
    `${stamp} vm sshd[${1000 + minute}]: Failed password for root from 10.255.0.1 port 40023 ssh2`,
    '',
  ].join('\n');
}

let runs = 0;
const started = performance.now();
/** Time spent in each check type's runs, to see what the compressed day is made of. */
const busyMs = new Map<string, number>();
for (let minute = 0; minute < args.minutes; minute++) {
  if (args.authLog) appendFileSync(args.authLog, authLines(minute));
  const due = config.checks.filter((e) => minute % every.get(e)! === 0);
  const cycle = performance.now();
  const done = await Promise.all(due.map((entry) => runCheck(entry, log, { deadlineMs: entry.config.intervalMs })));
  for (const run of done) {
    busyMs.set(run.entry.def.type, (busyMs.get(run.entry.def.type) ?? 0) + run.durationMs);
    outbox.append(run.samples);
    confirmDelivery(run, log);
    if (run.error) log.warn('check failed in the simulated day', { check: run.entry.id, error: run.error.message });
  }
  runs += done.length;
  outbox.append([agentStatusSample(outbox.stats(), performance.now() - cycle)]);
  sender.nudge();
  if (minute % 60 === 0) await report(minute, runs);
}
await report(args.minutes, runs);
// What was measured, then what is still queued: drained so the collector has the whole day.
await Promise.race([sender.flush().catch(() => 0), new Promise((r) => setTimeout(r, 10_000))]);
await sender.stop();
outbox.close();
client.close();
const busy = Object.fromEntries([...busyMs].sort((a, b) => b[1] - a[1]).map(([t, ms]) => [t, Math.round(ms)]));
process.stdout.write(`${JSON.stringify({ done: true, runs, seconds: (performance.now() - started) / 1000, queued: outbox.stats().samples, sent: sender.sentSamples, busy })}\n`);
