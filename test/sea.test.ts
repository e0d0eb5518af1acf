import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { bundleAgent, postjectPath, singleExecutable } from '../deploy/agent/build-agent.ts';
import { validateSample, VERSION } from '../protocol/index.ts';
import { inCI } from './support/require.ts';

/**
 * The agent as agencies get it: `npm run build:agent`'s bundle and Linux single executable, copied
 * into an empty directory (no node_modules, no tsx, no sources) and run there.
 * Network safety: the config probes a TCP server on 127.0.0.1 started here.
 */

function why(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'the single executable is built for linux-x64 here';
  if (postjectPath()) return undefined;
  if (inCI) throw new Error('CI=true and postject is not installed (npm install)');
  console.warn('SKIPPED: needs postject (npm install)');
  return 'needs postject';
}

function exec(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(why())('agent single executable (linux-x64)', () => {
  let build: string;
  let run: string;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    build = mkdtempSync(join(tmpdir(), 'canhgac-sea-build-'));
    run = mkdtempSync(join(tmpdir(), 'canhgac-sea-run-'));
    const bundle = await bundleAgent(build);
    const exe = singleExecutable(bundle, build);
    for (const f of ['canhgac-agent', 'canhgac-agent.cjs', 'oui.tsv.br']) copyFileSync(join(build, f), join(run, f));
    copyFileSync(exe, join(run, 'canhgac-agent'));
    server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
    writeFileSync(join(run, 'agent.yaml'), stringify({ checks: [{ type: 'host' }, { type: 'tcp', targets: [`127.0.0.1:${port}`] }] }));
  }, 120_000);

  afterAll(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    for (const d of [build, run]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('the bundle is one CommonJS file that needs neither tsx nor node_modules', async () => {
    const text = readFileSync(join(run, 'canhgac-agent.cjs'), 'utf8');
    expect(text).not.toMatch(/require\(["']tsx/);
    expect(text).not.toMatch(/\bimport\s*\(\s*["'](?!node:)[^"']+["']\s*\)/);
    const r = await exec(process.execPath, ['canhgac-agent.cjs', '--version'], run);
    expect(r.stdout.trim()).toBe(VERSION);
  });

  it('`canhgac-agent --version` prints the version', async () => {
    const r = await exec(join(run, 'canhgac-agent'), ['--version'], run);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
  });

  it('`canhgac-agent once --json` runs the checks of a loopback config and prints valid samples', async () => {
    const r = await exec(join(run, 'canhgac-agent'), ['once', '--config', 'agent.yaml', '--json'], run);
    expect(r.code, r.stderr).toBe(0);
    const samples = JSON.parse(r.stdout) as unknown[];
    for (const s of samples) expect(validateSample(s)).toMatchObject({ ok: true });
    const byName = (m: string) => samples.filter((s) => (s as { measurement: string }).measurement === m) as { tags: Record<string, string>; fields: Record<string, number> }[];
    expect(byName('host')).toHaveLength(1);
    expect(byName('tcp')[0]).toMatchObject({ tags: { target: '127.0.0.1', port: String(port), result: 'ok' }, fields: { up: 1 } });
    expect(byName('agent_status')[0].tags.version).toBe(VERSION);
  });

  it('a config error still exits 2 with the file and key named', async () => {
    writeFileSync(join(run, 'bad.yaml'), stringify({ checks: [{ type: 'tcp', targets: ['127.0.0.1:99999'] }] }));
    const r = await exec(join(run, 'canhgac-agent'), ['once', '--config', 'bad.yaml'], run);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml: checks\[0\]/);
  });
});
