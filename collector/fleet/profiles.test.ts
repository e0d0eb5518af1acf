// Profile files, one rule per file in collector/testdata/profiles/ with the exact message (file, key,
// what was expected), the checks across files, variables, versions with who and when, and the diff.
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, configHash, FLEET_LIMITS } from '../../protocol/index.ts';
import type { Agency } from '../config.ts';
import { listAudit } from '../state/audit.ts';
import { createAgent } from '../state/agents.ts';
import { syncAgencies } from '../state/agencies.ts';
import { sqliteStateSql } from '../state/sql/connect.ts';
import { openDb } from '../state/db.ts';
import { latestProfileVersions, profileHistory } from '../state/fleet.ts';
import { lineDiff } from './diff.ts';
import { FleetModel } from './model.ts';
import { checkProfiles, putProfile, syncProfiles } from './sync.ts';
import { fillVariables } from './template.ts';

const CORPUS = join(import.meta.dirname, '..', 'testdata', 'profiles');
const AGENCIES = [
  { id: 'so-y-te', name: 'Sở Y tế', level: 'department', contacts: [], locale: 'vi', vars: { portalUrl: 'https://soyte.example.gov.vn/', subnet: '127.0.1.0/24' } },
  { id: 'so-tu-phap', name: 'Sở Tư pháp', level: 'department', contacts: [], locale: 'vi' },
] as unknown as Agency[];

const EXPECTED: Record<string, string> = {
  'duplicate-name.yaml': 'checks[1].name: "gateway" is used twice; every check of a profile needs its own name',
  'expression.yaml': `checks[0].targets[0]: "\${agency.portalUrl || 'https://x/'}" is not a variable: expected \${agency.NAME} (no expressions); $\${ writes a literal \${`,
  'missing-name.yaml': 'checks[0].name: missing; expected a name of 1 to 128 characters (checks merge with an agent’s own by name)',
  'not-a-list.yaml': 'checks: expected a list of at most 200 checks, each with a type and a name, got a mapping',
  'unclosed.yaml': 'checks[0].targets[0]: "${" is not closed; write ${agency.NAME}, or $${ for a literal ${',
  'unknown-agency.yaml': 'agencies[0]: unknown agency "so-tai-chinh" (known: so-y-te, so-tu-phap)',
  'unknown-key.yaml': 'collector: unknown key (known keys: description, agencies, agents, checks)',
  'unknown-variable.yaml': 'checks[0].targets[0]: unknown variable ${agency.portalUrl} for agency so-tu-phap (it has: id, name); add it to agencies[].vars in the collector config',
};

const dirs: string[] = [];
function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-profiles-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const configOf = (dir: string) => ({ fleet: { profilesDir: dir, profilesDirGiven: true }, agencies: AGENCIES });
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return 'no error';
}

describe('profile error corpus (collector/testdata/profiles/)', () => {
  it('every file has its message and every message its file', () => {
    expect(readdirSync(CORPUS).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s', (file, expected) => {
    const dir = dirWith({});
    copyFileSync(join(CORPUS, file), join(dir, file));
    expect(messageOf(() => checkProfiles(configOf(dir)))).toBe(`${join(dir, file)}: ${expected}`);
  });
});

describe('across files', () => {
  it('an agency or an agent has one profile; a bad file name and an oversized file are named', () => {
    const dir = dirWith({
      'cap-huyen.yaml': 'agencies: [so-y-te]\nagents: [pc-1]\nchecks: []\n',
      'cap-xa.yaml': 'agencies: [so-y-te]\nagents: [pc-1]\nchecks: []\n',
      'Cap_Tinh.yaml': 'checks: []\n',
      'big.yaml': `checks: []\ndescription: "${'x'.repeat(FLEET_LIMITS.profileBytes)}"\n`,
      'README.md': 'not a profile',
    });
    expect(messageOf(() => checkProfiles(configOf(dir))).split('\n')).toEqual([
      `${join(dir, 'Cap_Tinh.yaml')}: expected a file name of lowercase letters, digits and dashes ending in .yaml, such as cap-xa.yaml (the profile's name)`,
      `${join(dir, 'big.yaml')}: larger than ${FLEET_LIMITS.profileBytes} bytes`,
    ]);
    rmSync(join(dir, 'Cap_Tinh.yaml'));
    rmSync(join(dir, 'big.yaml'));
    expect(messageOf(() => checkProfiles(configOf(dir))).split('\n')).toEqual([
      `${join(dir, 'cap-xa.yaml')}: agencies[0]: so-y-te is already assigned to profile cap-huyen; an agency has one profile (give single agents another one with agents:)`,
      `${join(dir, 'cap-xa.yaml')}: agents[0]: pc-1 is already assigned to profile cap-huyen`,
    ]);
  });

  it('a directory that does not exist holds no profiles', () => {
    expect(checkProfiles(configOf(join(tmpdir(), 'canhgac-no-such-dir'))).profiles).toEqual([]);
  });
});

describe('variables', () => {
  it('fills strings only, keeps keys, writes $${ as ${, and never touches a prototype', () => {
    const issues: never[] = [];
    const v = fillVariables(
      { targets: ['${agency.portalUrl}health', '$${agency.portalUrl}', '${agency.name}'], ['${agency.id}']: 1, n: 3, ['__proto__']: { polluted: true } },
      { id: 'so-y-te', name: 'Sở Y tế', portalUrl: 'https://soyte.example.gov.vn/' },
      'so-y-te',
      'checks[0]',
      issues,
    ) as Record<string, unknown>;
    expect(issues).toEqual([]);
    expect(v.targets).toEqual(['https://soyte.example.gov.vn/health', '${agency.portalUrl}', 'Sở Y tế']);
    expect(Object.keys(v)).toEqual(['targets', '${agency.id}', 'n', '__proto__']);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('each agency gets its own values; an agent of its own profile gets that one', async () => {
    const db = openDb(':memory:');
    await syncAgencies(sqliteStateSql(db), AGENCIES);
    const a = (await createAgent(sqliteStateSql(db).db, { agency: 'so-y-te', hostname: 'pc-a' })).agent;
    const b = (await createAgent(sqliteStateSql(db).db, { agency: 'so-y-te', hostname: 'pc-b' })).agent;
    const dir = dirWith({
      'so-nganh.yaml': 'agencies: [so-y-te]\nchecks:\n  - { type: http, name: portal, targets: ["${agency.portalUrl}"] }\n',
      'rieng.yaml': `agents: [${b.id}]\nchecks:\n  - { type: ping, name: lan, targets: ["\${agency.subnet}"] }\n`,
    });
    await syncProfiles(sqliteStateSql(db), configOf(dir), { actor: 'test', actorKind: 'cli' });
    const model = new FleetModel(await latestProfileVersions(sqliteStateSql(db)), AGENCIES);
    const da = model.desired(a);
    expect(da.payload).toEqual({ profile: 'so-nganh', version: 1, hash: configHash('so-nganh', da.payload.checks), checks: [{ type: 'http', name: 'portal', targets: ['https://soyte.example.gov.vn/'] }] });
    expect(model.desired(b).payload.checks).toEqual([{ type: 'ping', name: 'lan', targets: ['127.0.1.0/24'] }]);
    expect(model.desired({ id: 'x', agency: 'so-tu-phap' })).toMatchObject({ profile: null, hash: 'none' });
    // Built once per profile version and agency.
    expect(model.desired(a)).toBe(da);
    db.close();
  });
});

describe('versions', () => {
  it('records a version only when a file changed, with who and when, and an audit entry', async () => {
    const db = openDb(':memory:');
    const state = sqliteStateSql(db);
    await syncAgencies(state, AGENCIES);
    const dir = dirWith({ 'cap-xa.yaml': 'agencies: [so-y-te]\nchecks: []\n' });
    const who = { actor: 'quantri', actorKind: 'user' as const };
    expect(await syncProfiles(state, configOf(dir), who)).toEqual([{ name: 'cap-xa', version: 1, deleted: false }]);
    expect(await syncProfiles(state, configOf(dir), who)).toEqual([]);
    expect(await putProfile(state, configOf(dir), 'cap-xa', 'agencies: [so-y-te]\nchecks:\n  - { type: host, name: may }\n', who)).toEqual([{ name: 'cap-xa', version: 2, deleted: false }]);
    // Refused as a whole: nothing written, nothing recorded.
    await expect(putProfile(state, configOf(dir), 'cap-huyen', 'agencies: [so-y-te]\nchecks: []\n', who)).rejects.toThrow(/cap-huyen.yaml: agencies\[0\]: so-y-te is already assigned to profile cap-xa/);
    expect(readdirSync(dir)).toEqual(['cap-xa.yaml']);
    expect(await putProfile(state, configOf(dir), 'cap-xa', null, who)).toEqual([{ name: 'cap-xa', version: 3, deleted: true }]);
    expect((await profileHistory(state, 'cap-xa')).map((h) => [h.version, h.deleted, h.actor])).toEqual([
      [3, true, 'quantri'],
      [2, false, 'quantri'],
      [1, false, 'quantri'],
    ]);
    expect((await listAudit(state, { action: 'config_push' })).map((e) => `${e.actor} ${e.target} ${e.detail?.replace(/\(sha256 \w+\)/, '(sha256 …)')}`)).toEqual([
      'quantri profile cap-xa deleted (version 3)',
      'quantri profile cap-xa version 2 (sha256 …)',
      'quantri profile cap-xa version 1 (sha256 …)',
    ]);
    db.close();
  });
});

describe('lineDiff', () => {
  it('shows changed lines with context, nothing when equal', () => {
    const a = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].join('\n');
    const b = ['a', 'b', 'c', 'd', 'E', 'f', 'g', 'h', 'i', 'j'].join('\n');
    expect(lineDiff(a, a, { from: 'x', to: 'y' })).toBe('');
    expect(lineDiff(a, b, { from: 'x', to: 'y' }, 1)).toBe(['--- x', '+++ y', '…', ' d', '-e', '+E', ' f', '…', ' i', '+j', ''].join('\n'));
  });
});
