// The Linux time synchronisation check: a time daemon running and in sync (systemd-timesyncd,
// chrony, ntpd).
import type { HostEnv } from '../env.ts';
import { fail, pass, type Finding, type Thresholds } from '../finding.ts';

/** `timedatectl show`: KEY=value lines. */
export function parseKeyValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out.set(line.slice(0, i).trim(), line.slice(i + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, min: 60_000 };

/** `Offset: +1.234ms` from `timedatectl timesync-status`, in milliseconds. */
export function parseTimesyncOffset(text: string): number | undefined {
  const m = /^\s*Offset:\s*([+-]?[\d.]+)\s*(ns|us|µs|ms|s|min)\b/m.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : undefined;
}

export interface ChronyTracking {
  synchronised: boolean;
  offsetMs?: number;
  leap: string;
}

/** `chronyc -n tracking`: `Leap status : Normal`, `System time : 0.000012 seconds slow of NTP time`. */
export function parseChronyTracking(text: string): ChronyTracking | undefined {
  const leap = /^Leap status\s*:\s*(.+)$/m.exec(text)?.[1]?.trim();
  if (!leap) return undefined;
  const sys = /^System time\s*:\s*([\d.]+) seconds (fast|slow)/m.exec(text);
  const offsetMs = sys ? Number(sys[1]) * 1000 * (sys[2] === 'fast' ? 1 : -1) : undefined;
  return { synchronised: leap !== 'Not synchronised', offsetMs, leap };
}

const DAEMONS = ['chronyd', 'ntpd', 'systemd-timesyncd', 'openntpd', 'timesyncd'];

/** Names of time daemons in the process table (/proc/N/comm). */
export async function runningTimeDaemons(env: HostEnv): Promise<string[]> {
  const found = new Set<string>();
  const pids = (await env.listDir('/proc')).filter((n) => /^\d+$/.test(n));
  for (const pid of pids.slice(0, 20_000)) {
    const comm = (await env.readText(`/proc/${pid}/comm`))?.trim();
    if (comm && DAEMONS.includes(comm)) found.add(comm === 'timesyncd' ? 'systemd-timesyncd' : comm);
  }
  return [...found].sort();
}

const fmtMs = (ms: number) => (Math.abs(ms) >= 1000 ? `${(ms / 1000).toFixed(3)} s` : `${ms.toFixed(3)} ms`);

function judgeOffset(source: string, offsetMs: number | undefined, limits: Thresholds): Finding {
  if (offsetMs === undefined) return pass(`${source}: synchronised`);
  if (Math.abs(offsetMs) > limits.maxClockOffsetMs) return fail(`${source}: synchronised but offset ${fmtMs(offsetMs)} exceeds ${fmtMs(limits.maxClockOffsetMs)}`);
  return pass(`${source}: synchronised, offset ${fmtMs(offsetMs)}`);
}

export async function checkTimeSync(env: HostEnv, limits: Thresholds): Promise<Finding> {
  const notes: string[] = [];
  const td = await env.run('timedatectl', ['show'], { timeoutMs: 10_000 });
  if (td.code === 0 && td.stdout.includes('NTP')) {
    const kv = parseKeyValues(td.stdout);
    if (kv.get('NTPSynchronized') === 'yes') {
      const status = await env.run('timedatectl', ['timesync-status'], { timeoutMs: 10_000 });
      return judgeOffset('systemd (timedatectl)', status.code === 0 ? parseTimesyncOffset(status.stdout) : undefined, limits);
    }
    notes.push(kv.get('NTP') === 'yes' ? 'timedatectl: NTP on but not synchronised' : 'timedatectl: NTP off');
  }
  const chrony = await env.run('chronyc', ['-n', 'tracking'], { timeoutMs: 10_000 });
  if (chrony.code === 0) {
    const t = parseChronyTracking(chrony.stdout);
    if (t?.synchronised) return judgeOffset(`chrony (leap status ${t.leap})`, t.offsetMs, limits);
    if (t) notes.push(`chrony: ${t.leap}`);
  }
  const daemons = await runningTimeDaemons(env);
  if (notes.length > 0) return fail(notes.join('; ') + (daemons.length ? ` (running: ${daemons.join(', ')})` : ''));
  // No daemon we can query (no systemd, no chronyc): a running NTP daemon is the best evidence left.
  if (daemons.length > 0) return pass(`${daemons.join(', ')} running (offset not readable)`);
  return fail('no time synchronisation running (systemd-timesyncd, chronyd, ntpd, openntpd)');
}
