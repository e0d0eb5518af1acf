// Starts a real influxd (Debian's `influxdb` package) on loopback for the tests, benchmarks and the
// demo, and queries it; kept in scripts/ because the demo needs it outside vitest.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real influxd (Debian's `influxdb` package) on loopback with its data in a directory of ours. */
export interface Influxd {
  url: string;
  dir: string;
  process: ChildProcess;
  query(q: string, db?: string): Promise<InfluxSeries[]>;
  stop(): Promise<void>;
}

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export function influxdPath(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v influxd'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface InfluxdOptions {
  dir?: string;
  port?: number;
  rpcPort?: number;
  readyTimeoutMs?: number;
  keepData?: boolean;
  /** More keys of the `[data]` section, e.g. `{ 'max-values-per-tag': 50 }` to provoke partial writes. */
  data?: Record<string, string | number | boolean>;
}

export async function startInfluxd(opts: InfluxdOptions = {}): Promise<Influxd> {
  const bin = influxdPath();
  if (!bin) throw new Error('influxd is not installed: apt-get install -y influxdb');
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'canhgac-influxd-'));
  mkdirSync(dir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const rpcPort = opts.rpcPort ?? (await freePort());
  const conf = join(dir, 'influxdb.conf');
  writeFileSync(
    conf,
    `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
${Object.entries(opts.data ?? {})
  .map(([k, v]) => `  ${k} = ${typeof v === 'string' ? JSON.stringify(v) : v}\n`)
  .join('')}[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:${port}"
  log-enabled = false
[continuous_queries]
  log-enabled = false
`,
  );
  const child = spawn(bin, ['run', '-config', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`influxd exited with ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 204) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`influxd did not answer /ping within the deadline: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    if (!opts.keepData && !opts.dir) rmSync(dir, { recursive: true, force: true });
  };
  return { url, dir, process: child, query: (q, db) => influxQuery(url, q, db), stop };
}

/** InfluxQL over HTTP; returns the series of the first statement (throws on an InfluxDB error). */
export async function influxQuery(url: string, q: string, db?: string): Promise<InfluxSeries[]> {
  const u = new URL('/query', url);
  u.searchParams.set('q', q);
  if (db) u.searchParams.set('db', db);
  u.searchParams.set('epoch', 'ms');
  const res = await fetch(u, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { results?: { series?: InfluxSeries[]; error?: string }[]; error?: string };
  if (body.error) throw new Error(body.error);
  const first = body.results?.[0];
  if (first?.error) throw new Error(first.error);
  return first?.series ?? [];
}

/** Rows of a series as objects keyed by column. */
export function rows(series: InfluxSeries[]): Record<string, unknown>[] {
  return series.flatMap((s) => s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })));
}
