// A PostgreSQL primary and one streaming replica on loopback, built the way deploy/ha/postgresql/README.md
// says (its conf.d file and pg_hba.conf lines, a replication role, pg_basebackup -R), for the failover test.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from './influxd.ts';
import { postgresBinDir, runAs } from './postgres.ts';

const RECIPE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy', 'ha', 'postgresql');
/** Debian's superuser name; the collector's role and database are both `canhgac`, as in the recipe. */
const SUPERUSER = 'postgres';
type As = ReturnType<typeof runAs>;

export interface PgNode {
  name: string;
  port: number;
  data: string;
  /** Its Unix socket's directory. */
  socketDir: string;
  readonly process: ChildProcess;
  /** One statement on this node (default: as the superuser, database `postgres`), bounded to 10 s. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], as?: { database?: string; user?: string; password?: string }): Promise<T[]>;
  /** `kill -9` of the postmaster: no shutdown checkpoint, no goodbye to the replica. */
  kill9(): Promise<void>;
  log(): string;
}

export interface PostgresPair {
  dir: string;
  /** Built as the primary (a failover may change that). */
  readonly pg1: PgNode;
  /** Built as pg-1's streaming replica. */
  readonly pg2: PgNode;
  /** The collector's role `canhgac` (owner of the database `canhgac`): its password and a 0600 file of it. */
  appPassword: string;
  appPasswordFile: string;
  /** Debian's `pg_ctlcluster 15 main promote` for `node` (it runs `pg_ctl promote`, which waits until done). */
  promote(node: PgNode): void;
  /**
   * The recipe's step 5 for a failed primary: `pg_rewind -R` of its data directory against `source` (the
   * promoted node), then started again on its port, a standby streaming from `source`.
   */
  rewind(node: PgNode, source: PgNode): Promise<void>;
  stop(): Promise<void>;
}

function secret(): string {
  return `pw-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
}

function own(path: string, as: As, mode: number): void {
  chmodSync(path, mode);
  if (as.uid !== undefined) chownSync(path, as.uid, as.gid!);
}

function run(bin: string, args: string[], as: As, cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 60_000, ...as, cwd, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  return r.stdout + r.stderr;
}

/**
 * Where a node runs: its listen address, the network namespace it runs in (none: this one), and the
 * address the recipe's collector lines (10.0.0.11, .12) become; the nodes' own lines become loopback.
 */
export interface Placement {
  listen: string;
  netns?: string;
  collectors: string;
}
const LOOPBACK: Placement = { listen: '127.0.0.1', collectors: '127.0.0.1' };

/** The recipe's pg_hba.conf lines with this machine's addresses, then the test's own superuser lines. */
function hbaFromRecipe(where: Placement): string {
  const recipe = readFileSync(join(RECIPE, 'pg_hba.conf'), 'utf8')
    .replace(/\b10\.0\.0\.1[12]\/32\b/g, `${where.collectors}/32`)
    .replace(/\b10\.0\.0\.\d{1,3}\/32\b/g, '127.0.0.1/32');
  return `${recipe}\nlocal   all          ${SUPERUSER}       trust\nhost    all          ${SUPERUSER}       127.0.0.1/32     scram-sha-256\n`;
}

async function waitAccepting(bin: string, node: { port: number; socketDir: string; process: ChildProcess; log(): string }, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 600 && Date.now() < deadline; i++) {
    if (node.process.exitCode !== null) throw new Error(`postgres on ${node.port} exited ${node.process.exitCode}: ${node.log()}`);
    // pg_isready asks for no login: 0 once the server takes connections (a hot standby included).
    // Its Unix socket: reachable from here whichever network namespace the server runs in.
    if (spawnSync(join(bin, 'pg_isready'), ['-q', '-h', node.socketDir, '-p', String(node.port), '-t', '1'], { timeout: 3000 }).status === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`postgres on port ${node.port} did not accept connections within ${timeoutMs} ms: ${node.log()}`);
}

/** postgres itself, run as `as`, inside `where.netns` when given (entered as root, then the uid dropped). */
function spawnPostgres(bin: string, args: string[], as: As, where: Placement, cwd: string): ChildProcess {
  if (!where.netns) return spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...as, cwd });
  const drop = as.uid !== undefined ? ['setpriv', `--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups'] : [];
  return spawn('ip', ['netns', 'exec', where.netns, ...drop, join(bin, 'postgres'), ...args], { stdio: ['ignore', 'ignore', 'pipe'], cwd });
}

async function startNode(bin: string, name: string, data: string, as: As, superPassword: string, opts: { port?: number; where?: Placement } = {}): Promise<PgNode> {
  const port = opts.port ?? (await freePort());
  const where = opts.where ?? LOOPBACK;
  const socketDir = dirname(data);
  // fsync off: a test cluster is thrown away, and `kill -9` of a process loses nothing the kernel holds.
  const args = ['-D', data, '-p', String(port), '-k', socketDir, '-c', `listen_addresses=${where.listen}`, '-c', 'fsync=off', '-c', `cluster_name=${name}`];
  const child = spawnPostgres(bin, args, as, where, socketDir);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-6000)));
  const node: PgNode = {
    name,
    port,
    data,
    socketDir,
    process: child,
    log: () => stderr,
    async query<T>(text: string, params: unknown[] = [], who: { database?: string; user?: string; password?: string } = {}) {
      // In a namespace of its own the server is reached through its Unix socket (the superuser's `local` line).
      const c = new pg.Client({ host: where.netns ? socketDir : '127.0.0.1', port, user: who.user ?? SUPERUSER, password: who.password ?? superPassword, database: who.database ?? 'postgres', connectionTimeoutMillis: 3000, query_timeout: 10_000 });
      c.on('error', () => {});
      await c.connect();
      try {
        return (await c.query(text, params)).rows as T[];
      } finally {
        await c.end().catch(() => {});
      }
    },
    async kill9() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await exited;
    },
  };
  await waitAccepting(bin, node);
  return node;
}

async function halt(node: PgNode): Promise<void> {
  const child = node.process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGINT'); // fast shutdown
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** initdb of `dir/name` as Debian's package makes a cluster (superuser `postgres`); its data directory. */
function initCluster(bin: string, dir: string, as: As, superPassword: string, name: string): string {
  const data = join(dir, name);
  const pwfile = join(dir, 'initdb-password');
  writeFileSync(pwfile, superPassword);
  own(pwfile, as, 0o600);
  run(join(bin, 'initdb'), ['-D', data, '-U', SUPERUSER, `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync'], as, dir);
  rmSync(pwfile);
  return data;
}

/** initdb, the recipe's conf.d file (included) and pg_hba.conf lines, then the roles and database of the recipe. */
async function makePrimary(bin: string, dir: string, as: As, superPassword: string, app: string, replication: string, where = LOOPBACK): Promise<PgNode> {
  const data = initCluster(bin, dir, as, superPassword, 'pg-1');
  const conf = join(dir, 'canhgac-replication.conf');
  copyFileSync(join(RECIPE, 'canhgac-replication.conf'), conf);
  own(conf, as, 0o644);
  // Debian reads conf.d/ from /etc; initdb's own postgresql.conf is given the file by an include.
  appendFileSync(join(data, 'postgresql.conf'), `\ninclude '${conf}'\n`);
  writeFileSync(join(data, 'pg_hba.conf'), hbaFromRecipe(where));
  own(join(data, 'pg_hba.conf'), as, 0o600);
  const primary = await startNode(bin, 'pg-1', data, as, superPassword, { where, ...(where.netns ? { port: 5432 } : {}) });
  // The recipe's `createuser --replication -P replicator`, `createuser -P canhgac`, `createdb -O canhgac canhgac`
  // and `createuser haproxy_check`, as the SQL those commands send.
  await primary.query(`CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '${replication}'`);
  await primary.query(`CREATE ROLE canhgac WITH LOGIN PASSWORD '${app}'`);
  await primary.query('CREATE ROLE haproxy_check WITH LOGIN');
  await primary.query('CREATE DATABASE canhgac OWNER canhgac');
  // What pg_rewind reads from its source, granted to replicator rather than running it as a superuser.
  for (const fn of ['pg_ls_dir(text, boolean, boolean)', 'pg_stat_file(text, boolean)', 'pg_read_binary_file(text)', 'pg_read_binary_file(text, bigint, bigint, boolean)']) {
    await primary.query(`GRANT EXECUTE ON FUNCTION pg_catalog.${fn} TO replicator`);
  }
  return primary;
}

/** The recipe's `pg_basebackup -R` from the primary into an empty directory, then start it: a hot standby. */
async function makeReplica(bin: string, dir: string, as: As, superPassword: string, primary: PgNode, replication: string): Promise<PgNode> {
  const data = join(dir, 'pg-2');
  // ~postgres/.pgpass in the recipe: the password never on a command line.
  const passfile = join(dir, 'pgpass');
  writeFileSync(passfile, `127.0.0.1:*:*:replicator:${replication}\n`);
  own(passfile, as, 0o600);
  run(join(bin, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'replicator', '-D', data, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'], as, dir, { PGPASSFILE: passfile });
  const replica = await startNode(bin, 'pg-2', data, as, superPassword);
  await waitStreaming(primary, 'async');
  // The recipe's step once the replica streams: from now on a commit waits for the replica's flush.
  await primary.query("ALTER SYSTEM SET synchronous_standby_names = '*'");
  await primary.query('SELECT pg_reload_conf()');
  await waitStreaming(primary, 'sync');
  return replica;
}

/** pg_rewind -R (it finishes the crash recovery of a `kill -9`ed target itself), then the node started again. */
async function rewindNode(bin: string, dir: string, as: As, superPassword: string, node: PgNode, source: PgNode): Promise<PgNode> {
  const conninfo = `host=127.0.0.1 port=${source.port} user=replicator dbname=postgres`;
  // A node promoted moments ago still names its old timeline in pg_control until a checkpoint: pg_rewind
  // would then see one timeline, say "no rewind required", and leave the old primary diverged.
  await source.query('CHECKPOINT');
  const said = run(join(bin, 'pg_rewind'), ['--target-pgdata', node.data, '--source-server', conninfo, '-R', '--no-sync'], as, dir, { PGPASSFILE: join(dir, 'pgpass') });
  if (!/Done!/.test(said)) throw new Error(`pg_rewind did not rewind ${node.name}: ${said}`);
  const again = await startNode(bin, node.name, node.data, as, superPassword, { port: node.port });
  await waitStreaming(source, 'async').catch((err: Error) => {
    throw new Error(`${err.message}; ${node.name} says: ${again.log()}`);
  });
  return again;
}

/** Until the primary counts a standby streaming to it, in that sync state (bounded). */
async function waitStreaming(primary: PgNode, mode: 'async' | 'sync', timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 300 && Date.now() < deadline; i++) {
    const rows = await primary.query<{ state: string; sync_state: string }>('SELECT state, sync_state FROM pg_stat_replication');
    if (rows.some((r) => r.state === 'streaming' && r.sync_state === mode)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${mode} standby streaming to ${primary.name} within ${timeoutMs} ms`);
}

/**
 * The recipe's `pg_ctlcluster 15 main promote`, Debian's own command, with the cluster's /etc directory
 * made in the test's directory (PG_CLUSTER_CONF_ROOT, postgresql-common's way to name another root).
 */
function promoteWithDebianTools(bin: string, dir: string, node: PgNode, as: As): void {
  const version = bin.split('/').at(-2)!;
  const etc = join(dir, `etc-${node.name}`);
  const conf = join(etc, version, 'main');
  mkdirSync(conf, { recursive: true });
  writeFileSync(join(conf, 'postgresql.conf'), `data_directory = '${node.data}'\nport = ${node.port}\nunix_socket_directories = '${dirname(node.data)}'\n`);
  for (const p of [etc, join(etc, version), conf, join(conf, 'postgresql.conf')]) own(p, as, p.endsWith('.conf') ? 0o644 : 0o755);
  const r = spawnSync('pg_ctlcluster', [version, 'main', 'promote'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PG_CLUSTER_CONF_ROOT: etc } });
  if (r.status !== 0) throw new Error(`pg_ctlcluster ${version} main promote failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
}

export async function startPostgresPair(): Promise<PostgresPair> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql-15');
  const as = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-pg-pair-'));
  own(dir, as, 0o700);
  const superPassword = secret();
  const appPassword = secret();
  const replication = secret();
  const nodes: PgNode[] = [];
  try {
    nodes.push(await makePrimary(bin, dir, as, superPassword, appPassword, replication));
    nodes.push(await makeReplica(bin, dir, as, superPassword, nodes[0]!, replication));
  } catch (err) {
    for (const n of nodes) await halt(n);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  // The collector's password file lives outside the cluster's directory, readable by this process only.
  const appPasswordFile = `${dir}.canhgac-password`;
  writeFileSync(appPasswordFile, `${appPassword}\n`, { mode: 0o600 });
  return {
    dir,
    get pg1() {
      return nodes[0]!;
    },
    get pg2() {
      return nodes[1]!;
    },
    appPassword,
    appPasswordFile,
    promote(node) {
      promoteWithDebianTools(bin, dir, node, as);
    },
    async rewind(node, source) {
      const i = nodes.indexOf(node);
      if (i < 0) throw new Error(`not a node of this pair: ${node.name}`);
      nodes[i] = await rewindNode(bin, dir, as, superPassword, node, source);
    },
    async stop() {
      for (const n of nodes) await halt(n);
      rmSync(dir, { recursive: true, force: true });
      rmSync(appPasswordFile, { force: true });
    },
  };
}

export interface RecipePrimary {
  node: PgNode;
  /** The password of the collectors' role `canhgac`. */
  appPassword: string;
  stop(): Promise<void>;
}

/**
 * One node made as the recipe's primary (no replica), placed by `where`: in a network namespace of the
 * test's own, listening on that namespace's address on port 5432, the collector lines for `collectors`.
 */
export async function startRecipePrimary(where: Placement): Promise<RecipePrimary> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql-15');
  const as = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-pg-recipe-'));
  own(dir, as, 0o700);
  const appPassword = secret();
  let node: PgNode;
  try {
    node = await makePrimary(bin, dir, as, secret(), appPassword, secret(), where);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    node,
    appPassword,
    async stop() {
      await halt(node);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PlainNode {
  node: PgNode;
  dir: string;
  /** The uid and gid the server runs as (`postgres` when we are root), for scripts run beside it. */
  as: { uid?: number; gid?: number };
  stop(): Promise<void>;
}

/** A fresh cluster as initdb leaves it (superuser `postgres`, trusted on its Unix socket), on loopback. */
export async function startPlainNode(): Promise<PlainNode> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql-15');
  const as = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-pg-plain-'));
  own(dir, as, 0o700);
  const superPassword = secret();
  let node: PgNode;
  try {
    node = await startNode(bin, 'plain', initCluster(bin, dir, as, superPassword, 'data'), as, superPassword);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    node,
    dir,
    as,
    async stop() {
      await halt(node);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
