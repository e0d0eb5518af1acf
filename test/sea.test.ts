import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { bundleAgent, offlineBundle, postjectPath, singleExecutable } from '../deploy/agent/build-agent.ts';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { validateSample, VERSION } from '../protocol/index.ts';
import { inCI, missing } from './support/require.ts';

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
  let exe: string;

  beforeAll(async () => {
    build = mkdtempSync(join(tmpdir(), 'canhgac-sea-build-'));
    run = mkdtempSync(join(tmpdir(), 'canhgac-sea-run-'));
    const bundle = await bundleAgent(build);
    exe = singleExecutable(bundle, build);
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
    // Latin-1 only, so that V8 keeps the source one byte per character (half the memory of two).
    expect(text.match(/[^\x00-\xff]/g) ?? []).toEqual([]);
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

  describe.skipIf(missing({ commands: ['influxd', 'tar', 'sha256sum'] }))('offline bundle', () => {
    let influx: Influxd;
    let tc: TestCollector;
    beforeAll(async () => {
      influx = await startInfluxd();
      tc = await startTestCollector(influx.url);
    });
    afterAll(async () => {
      await tc?.close();
      await influx?.stop();
    });

    it('packs everything an agency needs, and install.sh installs, checks the config and enrols from it', async () => {
      const tarball = offlineBundle(exe, build);
      const unpack = join(run, 'unpack');
      const root = join(run, 'root');
      for (const d of [unpack, root]) mkdirSync(d);
      const untar = await exec('tar', ['-xzf', tarball, '-C', unpack], run);
      expect(untar.code, untar.stderr).toBe(0);
      const [dirName] = readdirSync(unpack);
      expect(dirName).toBe(`canhgac-agent-${VERSION}-linux-x64`);
      const bundleDir = join(unpack, dirName);
      expect(readdirSync(bundleDir).sort()).toEqual(
        ['SHA256SUMS', 'agent.yaml', 'canhgac-agent', 'canhgac-agent-guard', 'canhgac-agent.service', 'huong-dan-cai-dat.md', 'install.sh', 'oui.tsv.br'],
      );
      const code = await tc.enrollCode('ubnd-cang-long');
      const install = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn('sh', [join(bundleDir, 'install.sh'), '--collector', tc.url, '--code', code], { env: { PATH: process.env.PATH, CANHGAC_ROOT: root }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
        child.on('close', (c) => resolve({ code: c, out }));
      });
      expect(install.code, install.out).toBe(0);
      expect(install.out).toMatch(/ok, 1 check/);
      expect(install.out).toMatch(/enrolled as agent .* of UBND huyện Càng Long/);
      const installed = readFileSync(join(root, 'etc/canhgac/agent.yaml'), 'utf8');
      expect(installed).toContain(`url: ${tc.url}`);
      expect(installed).toContain(`tokenFile: ${root}/var/lib/canhgac/token`);
      expect(readFileSync(join(root, 'var/lib/canhgac/token'), 'utf8')).toMatch(/^cga_/);
      expect(existsSync(join(root, 'etc/systemd/system/canhgac-agent.service'))).toBe(true);
      expect(statSync(join(root, 'opt/canhgac/canhgac-agent')).mode & 0o111).not.toBe(0);
      expect(statSync(join(root, 'opt/canhgac/canhgac-agent-guard')).mode & 0o777).toBe(0o755);
    });

    it('refuses a damaged bundle before installing anything', async () => {
      const bundleDir = join(run, 'unpack', `canhgac-agent-${VERSION}-linux-x64`);
      writeFileSync(join(bundleDir, 'agent.yaml'), 'checks: []\n# tampered\n');
      const root = join(run, 'root2');
      const r = await new Promise<number | null>((resolve) => spawn('sh', [join(bundleDir, 'install.sh')], { env: { PATH: process.env.PATH, CANHGAC_ROOT: root }, stdio: 'ignore' }).on('close', resolve));
      expect(r).toBe(1);
      expect(existsSync(join(root, 'opt'))).toBe(false);
    });
  });

  it('a config error still exits 2 with the file and key named', async () => {
    writeFileSync(join(run, 'bad.yaml'), stringify({ checks: [{ type: 'tcp', targets: ['127.0.0.1:99999'] }] }));
    const r = await exec(join(run, 'canhgac-agent'), ['once', '--config', 'bad.yaml'], run);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml: checks\[0\]/);
  });
});
