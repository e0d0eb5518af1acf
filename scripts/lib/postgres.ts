// Starts a real PostgreSQL (Debian's postgresql-15) on loopback for the tests, benchmarks and the demo:
// its own data directory and port, run as an unprivileged user because postgres refuses to run as root.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './influxd.ts';

/** The superuser the tests' cluster is made with; its password is in `passwordFile`. */
const SUPERUSER = 'canhgac';

export interface Postgres {
  /** postgres://canhgac@127.0.0.1:PORT/ (no password: it is in passwordFile). */
  host: string;
  port: number;
  user: string;
  password: string;
  passwordFile: string;
  dir: string;
  process: ChildProcess;
  /** A new empty database and its URL (without the password). */
  createDatabase(name: string): Promise<string>;
  /** Runs one statement as the superuser in `database` (default `postgres`). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  /** Stops the server, keeping the data directory (for a restart with `restart`). */
  pause(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The bin directory of the newest PostgreSQL Debian installed (initdb and postgres are not on PATH). */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'postgres')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

/**
 * As root, the cluster runs as Debian's `postgres` user (postgres refuses root); otherwise as us. The
 * processes are spawned with that uid directly (not through runuser, which would stand between our
 * signals and the postmaster).
 */
export function runAs(): { uid?: number; gid?: number } {
  if (userInfo().uid !== 0) return {};
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0) throw new Error('running as root and there is no `postgres` user to run PostgreSQL as (apt-get install -y postgresql-15)');
  return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function initCluster(bin: string, dir: string, password: string, as: ReturnType<typeof runAs>): void {
  const pwfile = join(dir, 'initdb-password');
  writeFileSync(pwfile, password, { mode: 0o600 });
  if (as.uid !== undefined) {
    chownSync(dir, as.uid, as.gid!);
    chownSync(pwfile, as.uid, as.gid!);
  }
  const data = join(dir, 'data');
  const args = ['-D', data, '-U', SUPERUSER, `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync'];
  const r = spawnSync(join(bin, 'initdb'), args, { encoding: 'utf8', timeout: 60_000, ...as, cwd: dir });
  rmSync(pwfile, { force: true });
  if (r.status !== 0) throw new Error(`initdb failed (${r.status}): ${r.stderr || r.stdout}`);
}

function startServer(bin: string, dir: string, port: number, as: ReturnType<typeof runAs>): ChildProcess {
  // Durability settings off: a test cluster is thrown away, and fsync would dominate the run time.
  const args = ['-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'];
  return spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...as, cwd: dir });
}

async function waitReady(port: number, password: string, child: ChildProcess, log: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline && i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`postgres exited ${child.exitCode}: ${log()}`);
    const c = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres', connectionTimeoutMillis: 1000 });
    try {
      await c.connect();
      await c.end();
      return;
    } catch {
      await c.end().catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`postgres did not accept connections on 127.0.0.1:${port} within ${timeoutMs} ms: ${log()}`);
}

export async function startPostgres(opts: { readyTimeoutMs?: number } = {}): Promise<Postgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql-15');
  const as = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-postgres-'));
  chmodSync(dir, 0o700);
  const password = `pw-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
  initCluster(bin, dir, password, as);
  const passwordFile = join(dir, '..', `${dir.split('/').pop()}.password`);
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  const port = await freePort();
  let stderr = '';
  let child = startServer(bin, dir, port, as);
  const track = (c: ChildProcess) => c.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  track(child);
  await waitReady(port, password, child, () => stderr, opts.readyTimeoutMs);

  const query = async <T,>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<T[]> => {
    const c = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database, connectionTimeoutMillis: 5000 });
    await c.connect();
    try {
      return (await c.query(sql, params)).rows as T[];
    } finally {
      await c.end();
    }
  };
  const halt = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGINT'); // fast shutdown: disconnects clients, stops cleanly
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    host: '127.0.0.1',
    port,
    user: SUPERUSER,
    password,
    passwordFile,
    dir,
    get process() {
      return child;
    },
    query,
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      await query(`CREATE DATABASE ${name}`);
      return `postgres://${SUPERUSER}@127.0.0.1:${port}/${name}`;
    },
    pause: halt,
    async restart() {
      await halt();
      child = startServer(bin, dir, port, as);
      track(child);
      await waitReady(port, password, child, () => stderr, opts.readyTimeoutMs);
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
      rmSync(passwordFile, { force: true });
    },
  };
}
