// `canhgac-collector release keygen|sign|add|list|rollout` in process: a signed build stored with its
// metadata, and every bad input (wrong key, changed file, damaged signature, bad version, duplicate) refused.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../cli/index.ts';
import { openDb } from '../state/db.ts';
import { listAudit } from '../state/audit.ts';
import { sqliteStateSql } from '../state/sql/connect.ts';
import { getRelease, releaseFile } from './store.ts';
import { stringify } from 'yaml';

const TEST_AGENCIES = [
  { id: 'so-y-te', name: 'Sở Y tế', level: 'department', contacts: ['it@soyte.example.vn'] },
  { id: 'ubnd-cang-long', name: 'UBND huyện Càng Long', level: 'district', district: 'Càng Long', contacts: ['vp@canglong.example.vn'] },
];

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await main(argv);
    return { code, stdout: out.mock.calls.map((c) => String(c[0])).join(''), stderr: err.mock.calls.map((c) => String(c[0])).join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('release CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-release-cli-'));
  const config = join(dir, 'collector.yaml');
  writeFileSync(config, stringify({ listen: { host: '127.0.0.1', port: 0, plainHttp: true }, dataDir: join(dir, 'data'), agencies: TEST_AGENCIES }));
  const key = join(dir, 'release.key');
  const otherKey = join(dir, 'other.key');
  const build = join(dir, 'canhgac-agent');
  writeFileSync(build, Buffer.concat([Buffer.from('\x7fELF'), Buffer.alloc(300_000, 7)]));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keygen writes a 0600 private key, prints only the public line, and never overwrites a key', async () => {
    const r = await cli(['release', 'keygen', '--out', key]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const pem = readFileSync(key, 'utf8');
    expect(pem).toContain('BEGIN PRIVATE KEY');
    const pub = readFileSync(`${key}.pub`, 'utf8').trim();
    expect(pub).toMatch(/^MCowBQYDK2VwAyEA[A-Za-z0-9+/]{43}=$/);
    expect(r.stdout).toContain(`publicKey: ${pub}`);
    expect(r.stdout).not.toContain(pem.split('\n')[1]);
    const again = await cli(['release', 'keygen', '--out', key]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists already');
    expect(readFileSync(key, 'utf8')).toBe(pem);
    expect((await cli(['release', 'keygen', '--out', otherKey])).code).toBe(0);
  });

  it('sign writes one base64 line; add checks it against the public key and stores the build and its metadata', async () => {
    const s = await cli(['release', 'sign', '--key', key, '--file', build]);
    expect(s.code, s.stderr).toBe(0);
    expect(readFileSync(`${build}.sig`, 'utf8')).toMatch(/^[A-Za-z0-9+/]{86}==\n$/);
    const a = await cli(['release', 'add', '--config', config, '--file', build, '--signature', `${build}.sig`, '--version', '0.2.0', '--platform', 'linux-x64', '--public-key', `${key}.pub`]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toContain('release 0.2.0 (linux-x64) stored');
    const stored = releaseFile(join(dir, 'data'), '0.2.0', 'linux-x64');
    expect(readFileSync(stored).equals(readFileSync(build))).toBe(true);
    const db = openDb(join(dir, 'data', 'state.db'));
    try {
      expect(await getRelease(sqliteStateSql(db), '0.2.0', 'linux-x64')).toMatchObject({ size: 300_004, sha256: createHash('sha256').update(readFileSync(build)).digest('hex'), signature: readFileSync(`${build}.sig`, 'utf8').trim() });
      expect(await listAudit(sqliteStateSql(db), { action: 'release_add' })).toHaveLength(1);
    } finally {
      db.close();
    }
    const l = await cli(['release', 'list', '--config', config]);
    expect(l.stdout).toMatch(/0\.2\.0\s+linux-x64\s+300004/);
  });

  it('refuses a duplicate version, a signature by another key, a changed file, a damaged signature and a bad version', async () => {
    const add = (version: string, sig = `${build}.sig`, file = build) => cli(['release', 'add', '--config', config, '--file', file, '--signature', sig, '--version', version, '--public-key', `${key}.pub`]);
    const dup = await add('0.2.0');
    expect([dup.code, dup.stderr]).toEqual([1, expect.stringContaining('0.2.0 (linux-x64) is stored already')]);
    const other = join(dir, 'other.sig');
    expect((await cli(['release', 'sign', '--key', otherKey, '--file', build, '--out', other])).code).toBe(0);
    const wrongKey = await add('0.3.0', other);
    expect([wrongKey.code, wrongKey.stderr]).toEqual([1, expect.stringContaining('the signature does not match')]);
    const changed = join(dir, 'changed');
    writeFileSync(changed, Buffer.concat([readFileSync(build), Buffer.from('x')]));
    expect((await add('0.3.0', `${build}.sig`, changed)).stderr).toContain('the signature does not match');
    const damaged = join(dir, 'damaged.sig');
    writeFileSync(damaged, 'not a signature\n');
    expect((await add('0.3.0', damaged)).stderr).toContain('not a release signature');
    expect((await add('1.2')).stderr).toContain('--version: expected three numbers');
    expect((await add('0.3.0', `${build}.sig`, join(dir, 'missing'))).stderr).toContain('cannot read it (ENOENT)');
    expect(existsSync(join(dir, 'data', 'releases', '0.3.0'))).toBe(false);
    const missing = await cli(['release', 'add', '--config', config, '--file', build]);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('--signature, --version required')]);
    const badKey = await cli(['release', 'sign', '--key', `${key}.pub`, '--file', build]);
    expect([badKey.code, badKey.stderr]).toEqual([1, expect.stringContaining('not a PEM private key')]);
  });

  it('rollout needs a stored version and known agencies', async () => {
    expect((await cli(['release', 'rollout', '--config', config, '--version', '9.9.9'])).stderr).toContain('no stored release 9.9.9');
    expect((await cli(['release', 'rollout', '--config', config, '--version', '0.2.0', '--agencies', 'so-khac'])).stderr).toContain('unknown agency so-khac');
    expect((await cli(['release', 'rollout', '--config', config, '--version', '0.2.0', '--percent', '150'])).code).toBe(2);
    const r = await cli(['release', 'rollout', '--config', config, '--version', '0.2.0', '--channel', 'pilot', '--percent', '50', '--agencies', 'so-y-te']);
    expect(r.stdout).toContain('rollout pilot: 0.2.0 to 50% of agencies so-y-te');
  });
});
