// Both command lines answer --help and -h after every subcommand (exit 0, the usage on stdout), and
// still refuse an option they do not know (exit 2), so a typo never passes for a working command.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main as agentMain } from '../agent/cli.ts';
import { main as collectorMain, GROUPS } from '../collector/cli/index.ts';
import { AGENT_BIN, COLLECTOR_BIN, runCli } from './support/agent.ts';

/** Every collector subcommand and sub-subcommand, as typed. */
const COLLECTOR_COMMANDS = [
  'serve',
  'check-config',
  'enroll-code',
  'agent list',
  'agent revoke',
  'agent rotate',
  'token create',
  'token revoke',
  'devices',
  'certs',
  'web-findings',
  'alerts list',
  'alerts ack',
  'silence add',
  'silence list',
  'silence remove',
  'notifications',
  'test-mail',
  'channels',
  'test-channel',
  'user add',
  'user passwd',
  'user list',
  'report',
  'meeting-check',
  'config check',
  'config diff',
  'config push',
  'release keygen',
  'release sign',
  'release add',
  'release list',
  'release rollout',
  'spool clear-gap',
  'state migrate',
  'version',
];

const AGENT_COMMANDS = ['once', 'run', 'enroll', 'check-config', 'update-check', 'version'];

// Help must not need a config: this one does not exist, and nothing may try to read it.
const NO_CONFIG = ['--config', '/nonexistent/canhgac-cli-help.yaml'];

async function inProcess(main: (argv: string[]) => Promise<number>, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
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

describe('--help and -h on every subcommand', () => {
  afterAll(() => vi.restoreAllMocks());

  it('the walk below covers every collector command group', () => {
    const walked = new Set(COLLECTOR_COMMANDS.map((c) => c.split(' ')[0]));
    expect(GROUPS.flatMap((g) => g.commands).filter((c) => !walked.has(c))).toEqual([]);
  });

  it.each(COLLECTOR_COMMANDS.flatMap((c) => [[c, '--help'], [c, '-h']]))('canhgac-collector %s %s', async (command, flag) => {
    const r = await inProcess(collectorMain, [...command.split(' '), flag, ...NO_CONFIG]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`canhgac-collector ${command}`);
    expect(r.stdout).toContain('--help');
  });

  it.each(AGENT_COMMANDS.flatMap((c) => [[c, '--help'], [c, '-h']]))('canhgac-agent %s %s', async (command, flag) => {
    const r = await inProcess(agentMain, [command, flag, ...NO_CONFIG]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`canhgac-agent ${command}`);
  });

  it('help wins over whatever else is on the line (a refused value, a missing option)', async () => {
    const r = await inProcess(collectorMain, ['token', 'create', '--role', 'constructor', '-h', ...NO_CONFIG]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('canhgac-collector token create');
  });

  it('an option a subcommand does not take is still a usage error (exit 2), shown with the usage of its group', async () => {
    const cases: [typeof collectorMain, string[], string][] = [
      [collectorMain, ['token', 'create', '--name', 'x', '--filter', 'new'], "Unknown option '--filter'"],
      [collectorMain, ['agent', 'revoke', 'a1', '--bogus'], "Unknown option '--bogus'"],
      [collectorMain, ['serve', '--bogus'], "Unknown option '--bogus'"],
      [collectorMain, ['silence', 'add', '--to', 'x@example.vn'], "Unknown option '--to'"],
      [collectorMain, ['devices', 'so-y-te'], 'unexpected argument "so-y-te"'],
      [agentMain, ['once', '--bogus'], "Unknown option '--bogus'"],
      [agentMain, ['run', '--code', 'ABCD'], 'run does not take --code'],
    ];
    for (const [main, argv, message] of cases) {
      const r = await inProcess(main, [...argv, ...NO_CONFIG]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toContain(message);
      expect(r.stderr, argv.join(' ')).toMatch(new RegExp(`canhgac-(collector|agent) ${argv[0]} `));
    }
  });

  it('the real binaries: help exits 0, an unknown option exits 2', async () => {
    // A few processes only (each start costs seconds on a busy machine); in-process above is the same main().
    const [revoke, serve, once, bad, badAgent] = await Promise.all([
      runCli(COLLECTOR_BIN, ['agent', 'revoke', '--help']),
      runCli(COLLECTOR_BIN, ['serve', '-h']),
      runCli(AGENT_BIN, ['once', '--help']),
      runCli(COLLECTOR_BIN, ['token', 'create', '--name', 'x', '--filter', 'new', ...NO_CONFIG]),
      runCli(AGENT_BIN, ['once', '--bogus', ...NO_CONFIG]),
    ]);
    expect([revoke.code, serve.code, once.code, bad.code, badAgent.code]).toEqual([0, 0, 0, 2, 2]);
    expect(revoke.stdout).toContain('canhgac-collector agent revoke ID');
    expect(serve.stdout).toContain('canhgac-collector serve');
    expect(once.stdout).toContain('canhgac-agent once');
    expect(bad.stderr).toContain("Unknown option '--filter'");
  }, 60_000);
});
