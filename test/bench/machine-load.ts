// How loaded the machine was while a benchmark measured: the load average, and the CPU that processes
// other than this benchmark's own (itself and everything it started) used meanwhile.
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** Ticks (USER_HZ) of every CPU busy since boot, from /proc/stat. */
function machineBusyTicks(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: all but idle and iowait.
  return cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + (cpu[7] ?? 0);
}

/**
 * Ticks used by this process and its descendants, living ones and those they have reaped (cutime and
 * cstime): influxd, PostgreSQL and its backends, the collectors, HAProxy. Bounded by /proc's size.
 */
function ownTreeTicks(): number {
  const procs = new Map<number, { ppid: number; ticks: number }>();
  for (const name of readdirSync('/proc').slice(0, 100_000)) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
    } catch {
      // The process ended between the listing and the read.
    }
  }
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) {
    const list = children.get(p.ppid);
    if (list) list.push(pid);
    else children.set(p.ppid, [pid]);
  }
  let ticks = 0;
  const todo = [process.pid];
  for (let i = 0; i < todo.length && i < 100_000; i++) {
    ticks += procs.get(todo[i])?.ticks ?? 0;
    todo.push(...(children.get(todo[i]) ?? []));
  }
  return ticks;
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

/** The load average when the benchmark began, before it started anything: others' work only. */
const loadBefore = loadavg()[0];
const loadBeforeText = load();

/**
 * Starts watching; `end()` gives the header line of a table measured meanwhile. The load average counts
 * the benchmark's own processes too (a quiet machine shows about 2 during a table on 2 cores), so
 * "measured under load" is said when it was above 1.5 before the benchmark began, or when other
 * processes used more than 0.3 of a core on average while the table was measured.
 */
export function watchLoad(): { end(): string } {
  const t0 = Date.now();
  const busy0 = machineBusyTicks();
  const own0 = ownTreeTicks();
  const loadAtStart = load();
  return {
    end() {
      const seconds = (Date.now() - t0) / 1000;
      const others = Math.max(0, machineBusyTicks() - busy0 - (ownTreeTicks() - own0)) / 100 / Math.max(seconds, 0.001);
      const loaded = loadBefore > 1.5 || others > 0.3;
      return `load average ${loadBeforeText} before the bench, ${loadAtStart} as this table began, ${load()} at its end; other processes used ${others.toFixed(2)} cores meanwhile${loaded ? ': measured under load' : ''}`;
    },
  };
}
