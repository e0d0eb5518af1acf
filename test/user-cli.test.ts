import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../collector/cli/index.ts';
import { openDb } from '../collector/state/db.ts';
import { sqliteStateSql } from '../collector/state/sql/connect.ts';
import { checkLogin } from '../collector/state/users.ts';
import { COLLECTOR_BIN, runCli, writeYaml } from './support/agent.ts';
import { TEST_AGENCIES } from './support/collector.ts';

/** `canhgac-collector user ...` as a process: the first admin, scoped users, passwords, bad input. */
describe('user CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-user-cli-'));
  const config = writeYaml(join(dir, 'collector.yaml'), { listen: { host: '127.0.0.1', port: 0, plainHttp: true }, dataDir: join(dir, 'data'), agencies: TEST_AGENCIES });
  const cli = (...args: string[]) => runCli(COLLECTOR_BIN, ['user', ...args, '--config', config]);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the first admin with a generated password, printed once, that logs in', async () => {
    const r = await cli('add', '--admin', '--name', 'quantri');
    expect(r.code, r.stderr).toBe(0);
    const password = r.stdout.trim();
    expect(password).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(r.stderr).toContain('user quantri (admin) created');
    const db = openDb(join(dir, 'data', 'state.db'));
    try {
      expect((await checkLogin(sqliteStateSql(db), 'quantri', password))?.role).toBe('admin');
      expect(JSON.stringify(db.prepare('SELECT * FROM users').all())).not.toContain(password);
    } finally {
      db.close();
    }
  }, 60_000);

  it('adds an agency-scoped viewer from a password file, lists users, changes a password', async () => {
    // In process (the same main() as the binary): a process start costs seconds on a busy machine.
    const file = join(dir, 'pw');
    writeFileSync(file, 'mat-khau-so-y-te\n');
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let listed = '';
    try {
      expect(await main(['user', 'add', '--role', 'viewer', '--agency', 'so-y-te', '--name', 'xem.soyte', '--password-file', file, '--config', config])).toBe(0);
      out.mockClear();
      expect(await main(['user', 'list', '--json', '--config', config])).toBe(0);
      listed = out.mock.calls.map((c) => String(c[0])).join('');
      writeFileSync(file, 'mat-khau-moi-2026\n');
      expect(await main(['user', 'passwd', '--name', 'xem.soyte', '--password-file', file, '--config', config])).toBe(0);
    } finally {
      out.mockRestore();
    }
    const users = JSON.parse(listed) as { name: string; role: string; agency?: string }[];
    expect(users.map((u) => [u.name, u.role, u.agency])).toEqual([['quantri', 'admin', undefined], ['xem.soyte', 'viewer', 'so-y-te']]);
    const db = openDb(join(dir, 'data', 'state.db'));
    try {
      expect(await checkLogin(sqliteStateSql(db), 'xem.soyte', 'mat-khau-so-y-te')).toBeUndefined();
      expect(await checkLogin(sqliteStateSql(db), 'xem.soyte', 'mat-khau-moi-2026')).toBeDefined();
    } finally {
      db.close();
    }
  }, 30_000);

  it('refuses bad input with a reason and exit code 2', async () => {
    const cases: [string[], string][] = [
      [['add', '--name', 'x', '--role', 'root'], '--role: expected viewer, operator or admin, got "root"'],
      [['add', '--name', 'y', '--agency', 'so-khong-co'], '--agency: unknown agency "so-khong-co"'],
      [['add', '--admin', '--name', 'quantri'], 'a user "quantri" exists already'],
      [['add', '--name', 'bad name'], '--name: expected letters, digits'],
      [['passwd', '--name', 'nobody'], '--name: no user "nobody"'],
      [['add'], '--name NAME is required'],
    ];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      for (const [args, message] of cases) {
        spy.mockClear();
        const code = await main(['user', ...args, '--config', config]);
        expect(code, args.join(' ')).toBe(2);
        expect(spy.mock.calls.map((c) => String(c[0])).join('')).toContain(message);
      }
    } finally {
      spy.mockRestore();
    }
  }, 30_000);

  it('refuses an inherited property name as a role (user add and token create) and stores nothing', async () => {
    // `'constructor' in ROLE_RANK` is true: a role check written that way let it through.
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      for (const argv of [
        ['user', 'add', '--name', 'ctor', '--role', 'constructor'],
        ['token', 'create', '--name', 'ctor', '--role', 'constructor'],
      ]) {
        spy.mockClear();
        expect(await main([...argv, '--config', config]), argv.join(' ')).toBe(2);
        expect(spy.mock.calls.map((c) => String(c[0])).join('')).toContain('--role: expected viewer, operator or admin, got "constructor"');
      }
    } finally {
      spy.mockRestore();
    }
    const db = openDb(join(dir, 'data', 'state.db'));
    try {
      expect(db.prepare("SELECT count(*) AS n FROM users WHERE name = 'ctor'").get()).toEqual({ n: 0 });
      expect(db.prepare("SELECT count(*) AS n FROM admin_tokens WHERE name = 'ctor'").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  }, 30_000);
});
