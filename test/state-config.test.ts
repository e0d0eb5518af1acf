// The collector's `state:` key through the real `canhgac-collector` binary: a mistake in it, or a
// PostgreSQL that cannot be reached at start (refused, silent, wrong password, no such database), is one
// clear line naming the URL without its password, exit code 2, and nothing left started or created.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCollectorConfig } from '../collector/config.ts';
import { freePort } from '../scripts/lib/influxd.ts';
import { startPostgres, type Postgres } from '../scripts/lib/postgres.ts';
import { COLLECTOR_BIN, runCli, writeYaml } from './support/agent.ts';
import { TEST_AGENCIES } from './support/collector.ts';
import { missing } from './support/require.ts';

const dir = mkdtempSync(join(tmpdir(), 'canhgac-state-config-'));
const SECRET = 'Hunter2-not-for-logs';

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A collector config in its own directory, listening on `port`, with `state` as given. */
function configWith(name: string, state: Record<string, unknown>, port = 0): { file: string; dataDir: string } {
  const home = join(dir, name);
  mkdirSync(home, { recursive: true });
  const dataDir = join(home, 'data');
  const file = writeYaml(join(home, 'collector.yaml'), { listen: { host: '127.0.0.1', port, plainHttp: true }, dataDir, influx: { url: 'http://127.0.0.1:9' }, agencies: TEST_AGENCIES, state });
  return { file, dataDir };
}

/** Nothing answers on the port any more (connect refused), within 2 s. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const t = setTimeout(() => (s.destroy(), resolve(false)), 2000);
    s.once('connect', () => (clearTimeout(t), s.destroy(), resolve(false)));
    s.once('error', (err: NodeJS.ErrnoException) => (clearTimeout(t), resolve(err.code === 'ECONNREFUSED')));
  });
}

describe('state: config errors (the real binary, exit 2)', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a password in the URL', { driver: 'postgres', url: `postgres://canhgac:${SECRET}@127.0.0.1:5432/canhgac` }, /state\.url: a password does not belong in the URL .* state\.passwordFile/],
    ['postgres without a URL', { driver: 'postgres' }, /state\.url: missing; expected with driver postgres/],
    ['a URL under the default driver (sqlite)', { url: 'postgres://canhgac@127.0.0.1:5432/canhgac' }, /state\.url: only for driver postgres/],
  ];
  it.each(cases)('%s: check-config and serve name the file and the key, never the password', async (name, state, message) => {
    const { file, dataDir } = configWith(name.replace(/\W+/g, '-'), state);
    for (const command of ['check-config', 'serve']) {
      const r = await runCli(COLLECTOR_BIN, [command, '--config', file], { timeoutMs: 30_000 });
      expect(r.code, `${command}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`${file}: `);
      expect(r.stderr).toMatch(message);
      expect(r.stdout + r.stderr).not.toContain(SECRET);
    }
    expect(existsSync(dataDir), 'nothing created in dataDir').toBe(false);
  });

  it("the sample config's commented state: block is a valid PostgreSQL state", () => {
    const sample = readFileSync(join(import.meta.dirname, '..', 'deploy', 'collector.sample.yaml'), 'utf8');
    const lines = sample.split('\n');
    const start = lines.indexOf('# state:');
    expect(start, 'a commented state: block').toBeGreaterThanOrEqual(0);
    const block = [lines[start], ...lines.slice(start + 1).filter((_, i, rest) => rest.slice(0, i + 1).every((l) => l.startsWith('#   ')))];
    const doc = parse(block.map((l) => l.slice(2)).join('\n')) as { state: Record<string, unknown> };
    const config = parseCollectorConfig(join(dir, 'sample.yaml'), { agencies: TEST_AGENCIES, state: doc.state });
    expect(config.state).toMatchObject({ driver: 'postgres', poolSize: 10, statementTimeoutMs: 10_000, connectTimeoutMs: 5000 });
  });
});

describe('state: a PostgreSQL that cannot be reached at start (the real binary)', () => {
  let silent: Server;
  let silentPort: number;
  const held: Socket[] = [];

  beforeAll(async () => {
    // Accepts and never answers: only the connect timeout ends the wait.
    silent = createServer((s) => void held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  /** serve with this state: exit 2 with one line naming the URL, no port listened, nothing in dataDir. */
  async function refusedStart(name: string, state: Record<string, unknown>, secrets: string[] = []) {
    const port = await freePort();
    const { file, dataDir } = configWith(name, state, port);
    const t0 = Date.now();
    const r = await runCli(COLLECTOR_BIN, ['serve', '--config', file], { timeoutMs: 30_000 });
    const ms = Date.now() - t0;
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toContain(`canhgac-collector: cannot reach the state database ${state.url as string}: `);
    for (const s of secrets) expect(r.stdout + r.stderr).not.toContain(s);
    expect(await refused(port), 'the listen port is not left open').toBe(true);
    // Nothing half-started: no SQLite state made instead, no spool opened (and so none left locked).
    expect(existsSync(join(dataDir, 'state.db'))).toBe(false);
    expect(existsSync(join(dataDir, 'spool'))).toBe(false);
    return { line: lines[0], ms, file };
  }

  it('a closed loopback port: refused, exit 2; a CLI command on the same config too', async () => {
    const closed = await freePort();
    const url = `postgres://canhgac@127.0.0.1:${closed}/canhgac`;
    const { line, file } = await refusedStart('closed-port', { driver: 'postgres', url });
    expect(line).toMatch(/ECONNREFUSED/);
    const cli = await runCli(COLLECTOR_BIN, ['agent', 'list', '--config', file], { timeoutMs: 30_000 });
    expect(cli.code, cli.stderr).toBe(2);
    expect(cli.stderr.trim()).toBe(line);
  });

  it('a password file that cannot be read: exit 2, naming the URL and the file', async () => {
    const url = `postgres://canhgac@127.0.0.1:${await freePort()}/canhgac`;
    const port = await freePort();
    const { file } = configWith('no-password-file', { driver: 'postgres', url, passwordFile: join(dir, 'absent.password') }, port);
    const r = await runCli(COLLECTOR_BIN, ['serve', '--config', file], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(`canhgac-collector: cannot read the password file of the state database ${url}: ENOENT: no such file or directory, open '${join(dir, 'absent.password')}'`);
    expect(await refused(port)).toBe(true);
  });

  it('a server that never answers: given up after the 5 s connect timeout, exit 2', async () => {
    const url = `postgres://canhgac@127.0.0.1:${silentPort}/canhgac`;
    const { line, ms } = await refusedStart('silent', { driver: 'postgres', url });
    expect(line).toMatch(/timeout/i);
    expect(ms).toBeGreaterThanOrEqual(5000);
    expect(ms).toBeLessThan(20_000);
  });

  describe.skipIf(missing({ postgres: true }))('a real PostgreSQL 15', () => {
    let pg: Postgres;
    beforeAll(async () => {
      pg = await startPostgres();
      await pg.createDatabase('canhgac');
    }, 60_000);
    afterAll(async () => {
      await pg?.stop();
    });

    it('a wrong password file: exit 2, the reason, neither password anywhere in the output', async () => {
      const wrong = join(dir, 'wrong.password');
      writeFileSync(wrong, `${SECRET}\n`, { mode: 0o600 });
      const url = `postgres://canhgac@127.0.0.1:${pg.port}/canhgac`;
      const { line } = await refusedStart('wrong-password', { driver: 'postgres', url, passwordFile: wrong }, [SECRET, pg.password]);
      expect(line).toMatch(/password authentication failed for user "canhgac"/);
    });

    it('an unknown database: exit 2, the reason', async () => {
      const url = `postgres://canhgac@127.0.0.1:${pg.port}/no_such_db`;
      const { line } = await refusedStart('unknown-db', { driver: 'postgres', url, passwordFile: pg.passwordFile }, [pg.password]);
      expect(line).toMatch(/database "no_such_db" does not exist/);
    });

    it('no password file where the server asks for one: exit 2, told to name it', async () => {
      const url = `postgres://canhgac@127.0.0.1:${pg.port}/canhgac`;
      const { line } = await refusedStart('no-password', { driver: 'postgres', url });
      expect(line).toMatch(/the server asks for a password: name the file holding it \(state\.passwordFile\)/);
    });
  });
});
