// The `host` check: CPU, memory, load, uptime and disk use of the machine the agent runs on.
import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';
import { defineCheck, type CheckContext } from '../types.ts';
import { hostSpec } from './spec.ts';

export const hostCheck = defineCheck({ ...hostSpec, run: runHost });

// File systems that hold no user data: their "use" is meaningless or always 100 %.
const PSEUDO_FS = new Set([
  'tmpfs', 'devtmpfs', 'overlay', 'overlayfs', 'proc', 'sysfs', 'squashfs', 'devpts', 'cgroup', 'cgroup2',
  'securityfs', 'debugfs', 'tracefs', 'configfs', 'fusectl', 'mqueue', 'hugetlbfs', 'pstore', 'bpf',
  'autofs', 'binfmt_misc', 'ramfs', 'rpc_pipefs', 'nsfs', 'efivarfs', 'iso9660', 'udf', 'fuse.lxcfs',
  'fuse.gvfsd-fuse', 'fuse.portal', 'fuse.snapfuse', 'nullfs', 'shm', 'none', 'aufs',
]);
const PSEUDO_MOUNT = /^\/(proc|sys|dev|run)(\/|$)|^\/snap\//;

export interface DiskRow {
  fs: string;
  type: string;
  mount: string;
  size: number;
  used: number;
  available: number;
}

/** Real, non-empty file systems, one per mount point; exported for tests. */
export function realDisks(rows: readonly DiskRow[]): DiskRow[] {
  const byMount = new Map<string, DiskRow>();
  for (const r of rows) {
    const type = (r.type ?? '').toLowerCase();
    if (PSEUDO_FS.has(type) || PSEUDO_MOUNT.test(r.mount ?? '') || !r.mount || !(r.size > 0)) continue;
    if (!byMount.has(r.mount)) byMount.set(r.mount, r);
  }
  return [...byMount.values()];
}

type CpuTimes = { idle: number; total: number };

function cpuTimes(): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const c of os.cpus()) {
    idle += c.times.idle;
    total += c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
  }
  return { idle, total };
}

// Busy share since the previous run, so that the value covers the whole interval instead of an instant.
let previousCpu: CpuTimes | undefined;

async function cpuPercent(signal: AbortSignal): Promise<number> {
  let before = previousCpu;
  if (!before) {
    // First run: nothing to compare with yet, so measure over a short window.
    before = cpuTimes();
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 500);
      signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
  }
  const now = cpuTimes();
  previousCpu = now;
  const total = now.total - before.total;
  if (total <= 0) return 0;
  return Math.min(100, Math.max(0, Math.round((1 - (now.idle - before.idle) / total) * 10000) / 100));
}

const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 10000) / 100 : 0);

/** /proc/mounts escapes space, tab, newline and backslash as octal. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Linux: /proc/mounts + statfs, asynchronous. systeminformation's fsSize runs `df` with execSync,
 * which blocks the event loop for tens of milliseconds and skews the timings of concurrent probes.
 */
async function linuxDisks(): Promise<DiskRow[]> {
  const text = await readFile('/proc/mounts', 'utf8');
  const rows: DiskRow[] = [];
  for (const line of text.split('\n')) {
    const [fs, mountRaw, type] = line.split(' ');
    if (!fs || !mountRaw || !type) continue;
    const mount = unescapeMount(mountRaw);
    if (PSEUDO_FS.has(type.toLowerCase()) || PSEUDO_MOUNT.test(mount)) continue;
    try {
      const st = await statfs(mount);
      const size = st.blocks * st.bsize;
      rows.push({ fs, type, mount, size, used: (st.blocks - st.bfree) * st.bsize, available: st.bavail * st.bsize });
    } catch {
      // A mount we may not read (permissions, a stale network share) is left out rather than failing the check.
    }
  }
  return rows;
}

// systeminformation (about 4 MB of an agent's memory once loaded) is needed only where /proc is not.
const systeminformation = async () => (await import('systeminformation')).default;

async function listDisks(): Promise<DiskRow[]> {
  return process.platform === 'linux' ? linuxDisks() : ((await (await systeminformation()).fsSize()) as DiskRow[]);
}

export interface MemoryFigures {
  total: number;
  /** What can be given to programs without swapping (MemAvailable); 0 when unknown. */
  available: number;
}

/** /proc/meminfo in bytes, read the way systeminformation's mem() reads it; exported for tests. */
export function parseMeminfo(text: string): MemoryFigures {
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
  const total = kb('MemTotal');
  // Kernels before 3.14 have no MemAvailable: free + buffers + page cache is the old estimate.
  const available = kb('MemAvailable') || kb('MemFree') + kb('Buffers') + kb('Cached');
  return { total, available };
}

async function memory(): Promise<MemoryFigures> {
  if (process.platform === 'linux') return parseMeminfo(await readFile('/proc/meminfo', 'utf8'));
  return (await systeminformation()).mem();
}

async function runHost(_config: unknown, ctx: CheckContext): Promise<void> {
  const host = os.hostname();
  const [cpu, mem, disks] = await Promise.all([cpuPercent(ctx.signal), memory(), listDisks().catch((err: unknown) => {
    ctx.log.warn('cannot list file systems', { error: err });
    return [] as DiskRow[];
  })]);
  if (ctx.signal.aborted) return;
  const total = mem.total || os.totalmem();
  // "available" excludes reclaimable caches, as people expect from `free` and Task Manager.
  const used = total - (mem.available || os.freemem());
  ctx.recorder.record('host', { host }, {
    cpu_percent: cpu,
    mem_used_percent: pct(used, total),
    mem_total_bytes: Math.round(total),
    load1: Math.round(os.loadavg()[0] * 100) / 100,
    uptime_seconds: Math.floor(os.uptime()),
  });
  for (const d of realDisks(disks)) {
    // used/(used+available) like df: the root-reserved blocks count as unavailable, not as free.
    const usable = d.used + d.available;
    ctx.recorder.record('host_disk', { host, mount: d.mount }, {
      used_percent: pct(d.used, usable > 0 ? usable : d.size),
      free_bytes: Math.round(d.available),
      total_bytes: Math.round(d.size),
    });
  }
}
