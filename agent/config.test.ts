import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../protocol/index.ts';
import { AGENT_BIN, runCli } from '../test/support/agent.ts';
import { checkTypes } from './checks/registry.ts';
import { main } from './cli.ts';
import { parseAgentConfig } from './config.ts';

const KNOWN = checkTypes().join(', ');

/** The CLI's own entry point in this process (fast); the spawned cases below prove the real exit code. */
async function cliInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string) => ((stdout += c), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string) => ((stderr += c), true)) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'canhgac-agent-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each invalid config, the exact message a person gets, and exit code 2 from the real CLI. */
const CASES: { name: string; yaml: string; messages: string[] }[] = [
  { name: 'not a mapping', yaml: '- 1\n- 2\n', messages: ['expected a mapping with at least a `checks` key'] },
  { name: 'broken YAML', yaml: 'checks: [\n', messages: ['line 2 column 1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'] },
  { name: 'missing checks', yaml: 'agent: {}\n', messages: ['checks: missing; expected a list of checks, each with a type'] },
  { name: 'unknown top-level key', yaml: 'checks: []\ncolector: {}\n', messages: ['colector: unknown key (known keys: collector, agent, outbox, checks, remoteConfig, remotePolicy, selfUpdate)'] },
  { name: 'unknown check type', yaml: 'checks:\n  - type: pong\n', messages: [`checks[0].type: unknown check type "pong" (known: ${KNOWN})`] },
  { name: 'check without type', yaml: 'checks:\n  - targets: [127.0.0.1]\n', messages: [`checks[0].type: missing; expected one of ${KNOWN}`] },
  { name: 'bad interval', yaml: 'checks:\n  - type: tcp\n    targets: ["127.0.0.1:22"]\n    interval: soon\n', messages: ['checks[0].interval: expected a duration such as 30s, 5m or 1h, got "soon"'] },
  { name: 'interval too short', yaml: 'checks:\n  - type: host\n    interval: 100ms\n', messages: ['checks[0].interval: must be at least 1s, got "100ms"'] },
  { name: 'timeout longer than interval', yaml: 'checks:\n  - type: tcp\n    targets: ["127.0.0.1:22"]\n    interval: 10s\n    timeout: 20s\n', messages: ['checks[0].timeout: must not be longer than the interval (10s), got "20s"'] },
  { name: 'empty targets', yaml: 'checks:\n  - type: ping\n    targets: []\n', messages: ['checks[0].targets: needs at least 1 item: expected a list of host names or IP addresses, got an empty list'] },
  { name: 'tcp target without port', yaml: 'checks:\n  - type: tcp\n    targets: ["127.0.0.1"]\n', messages: ['checks[0].targets[0]: expected host:port (or [IPv6]:port) with a port from 1 to 65535, got "127.0.0.1"'] },
  { name: 'unknown key in a check', yaml: 'checks:\n  - type: host\n    colour: red\n', messages: ['checks[0].colour: unknown key (known keys: type, name, group, interval, timeout, enabled)'] },
  { name: 'wrong type of value', yaml: 'checks:\n  - type: ping\n    targets: [127.0.0.1]\n    count: many\n', messages: ['checks[0].count: expected a whole number from 1 to 100, got "many"'] },
  { name: 'bad log level', yaml: 'agent:\n  logLevel: loud\nchecks: []\n', messages: ['agent.logLevel: expected one of "debug", "info", "warn", "error", got "loud"'] },
  {
    name: 'plain HTTP to a remote collector',
    yaml: 'collector:\n  url: http://collector.example.vn:8443\n  tokenFile: /tmp/t\nchecks: []\n',
    messages: ['collector.url: plain HTTP is refused for a collector that is not on this machine; use https:// (got "http://collector.example.vn:8443")'],
  },
  { name: 'collector without token file', yaml: 'collector:\n  url: https://collector.example.vn:8443\nchecks: []\n', messages: ['collector.tokenFile: missing; expected a path where the agent token is kept'] },
  {
    name: 'several mistakes at once',
    yaml: 'agent:\n  logLevel: loud\nchecks:\n  - type: pong\n  - type: tcp\n    targets: ["x"]\n',
    messages: [
      'agent.logLevel: expected one of "debug", "info", "warn", "error", got "loud"',
      `checks[0].type: unknown check type "pong" (known: ${KNOWN})`,
      'checks[1].targets[0]: expected host:port (or [IPv6]:port) with a port from 1 to 65535, got "x"',
    ],
  },
];

describe('agent config errors: file, key path, what was expected; exit 2; nothing started', () => {
  it.each(CASES)('$name', async ({ name, yaml, messages }) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, yaml);
    const r = await cliInProcess(['once', '--config', file, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`configuration error:\n${messages.map((m) => `${file}: ${m}`).join('\n')}\n`);
  });

  it('exits with code 2 from the real process', async () => {
    const file = join(dir, 'real-process.yaml');
    writeFileSync(file, 'checks:\n  - type: pong\n');
    const r = await runCli(AGENT_BIN, ['once', '--config', file, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`configuration error:\n${file}: checks[0].type: unknown check type "pong" (known: ${KNOWN})\n`);
  });

  it('names a missing file', async () => {
    const file = join(dir, 'nope.yaml');
    const r = await cliInProcess(['run', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`configuration error:\n${file}: file not found\n`);
  });

  it('refuses `run` before enrolment with the command to run, and starts nothing', async () => {
    const file = join(dir, 'not-enrolled.yaml');
    writeFileSync(file, `collector:\n  url: https://127.0.0.1:9\n  tokenFile: ${join(dir, 'missing.token')}\nchecks:\n  - type: host\n`);
    const r = await runCli(AGENT_BIN, ['run', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no agent token in ${join(dir, 'missing.token')}: enrol this agent first with`);
    expect(r.stderr).toContain(`canhgac-agent enroll --config ${file} --code CODE`);
  });
});

describe('a check type named like a member of Object.prototype is an unknown type, not a crash', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('type: %s', (type) => {
    const file = join(dir, `type-${type}.yaml`);
    let thrown: unknown;
    try {
      parseAgentConfig(file, { checks: [{ type }] });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).message).toBe(`${file}: checks[0].type: unknown check type ${JSON.stringify(type)} (known: ${KNOWN})`);
  });

  it('check-config exits 2 with the message, from the real process', async () => {
    const file = join(dir, 'type-constructor-cli.yaml');
    writeFileSync(file, 'checks:\n  - type: constructor\n');
    const r = await runCli(AGENT_BIN, ['check-config', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`configuration error:\n${file}: checks[0].type: unknown check type "constructor" (known: ${KNOWN})\n`);
  });
});
