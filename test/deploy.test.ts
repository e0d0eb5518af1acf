import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCollectorConfig } from '../collector/config.ts';
import { buildDashboards } from '../dashboards/build.ts';
import { freePort, rows, startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { ROOT, waitFor } from './support/agent.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';

const DEPLOY = join(ROOT, 'deploy');

/** Units with the executable path pointed at one that exists here, so verify judges the rest. */
function verifyUnit(unit: string, tmp: string): { code: number | null; output: string } {
  const text = readFileSync(join(DEPLOY, 'systemd', unit), 'utf8').replace(/^ExecStart=(\S+)/m, `ExecStart=${process.execPath}`);
  const file = join(tmp, unit);
  writeFileSync(file, text);
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', file], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

function unitKeys(unit: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const line of readFileSync(join(DEPLOY, 'systemd', unit), 'utf8').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) keys.set(m[1], m[2]);
  }
  return keys;
}

describe.skipIf(missing({ commands: ['systemd-analyze'] }))('systemd units', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'canhgac-units-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.each(['canhgac-agent.service', 'canhgac-collector.service'])('%s passes systemd-analyze verify without a warning', (unit) => {
    const r = verifyUnit(unit, tmp);
    expect(r.output).toBe('');
    expect(r.code).toBe(0);
  });

  it('the agent unit is hardened: own user, read-only system, no new privileges, CAP_NET_RAW only', () => {
    const k = unitKeys('canhgac-agent.service');
    expect(k.get('User')).toBe('canhgac');
    expect(k.get('ProtectSystem')).toBe('strict');
    expect(k.get('NoNewPrivileges')).toBe('yes');
    expect(k.get('CapabilityBoundingSet')).toBe('CAP_NET_RAW');
    expect(k.get('AmbientCapabilities')).toBe('CAP_NET_RAW');
    expect(k.get('ExecStart')).toContain('--config /etc/canhgac/agent.yaml');
    expect(k.get('RestartPreventExitStatus')).toBe('2');
    // Self-update's guard runs before every start, on the executable the unit starts (test/self-update.test.ts runs this very line).
    expect(k.get('ExecStartPre')).toBe('-/bin/sh /opt/canhgac/canhgac-agent-guard /opt/canhgac/canhgac-agent /var/lib/canhgac/update');
  });

  it('the collector unit runs as its own user with no capability', () => {
    const k = unitKeys('canhgac-collector.service');
    expect(k.get('User')).toBe('canhgac-collector');
    expect(k.get('CapabilityBoundingSet')).toBe('');
    expect(k.get('ProtectSystem')).toBe('strict');
    expect(k.get('StateDirectory')).toBe('canhgac-collector');
  });

  it('verify catches a broken unit (the check can fail)', () => {
    writeFileSync(join(tmp, 'broken.service'), '[Service]\nExecStart=relative/path\nProtectSystem=sometimes\n');
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(tmp, 'broken.service')], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toMatch(/ProtectSystem|ExecStart|absolute/);
  });
});

describe('data centre compose file', () => {
  const compose = parse(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8')) as {
    services: Record<string, { image?: string; build?: unknown; volumes?: string[]; environment?: Record<string, string> }>;
  };

  it('runs InfluxDB 1.8, Grafana and the collector, every image pinned to a version', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['collector', 'grafana', 'influxdb']);
    expect(compose.services.influxdb.image).toMatch(/^influxdb:1\.8\.\d+$/);
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.image, name).toMatch(/^[\w./-]+:\d+\.\d+\.\d+(-[\w.]+)?(@sha256:[0-9a-f]{64})?$/);
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(compose.services.collector.image).toBe(`canhgac-collector:${pkg.version}`);
    const dockerfile = readFileSync(join(DEPLOY, 'compose', 'collector.Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20\.\d+\.\d+-bookworm-slim$/m);
  });

  it('mounts the Grafana provisioning and the built dashboards, and the paths exist', () => {
    const mounts = compose.services.grafana.volumes!.map((v) => v.split(':'));
    expect(mounts).toContainEqual(['./grafana/provisioning', '/etc/grafana/provisioning', 'ro']);
    expect(mounts).toContainEqual(['./grafana/dashboards', '/var/lib/grafana/dashboards/canhgac', 'ro']);
    const provider = parse(readFileSync(join(DEPLOY, 'grafana/provisioning/dashboards/canhgac.yaml'), 'utf8')) as { providers: { options: { path: string } }[] };
    expect(provider.providers[0].options.path).toBe('/var/lib/grafana/dashboards/canhgac');
    for (const [host] of mounts) if (host.startsWith('./')) expect(existsSync(join(DEPLOY, host)), host).toBe(true);
    // Exactly the boards the dashboards code builds: none missing, none left over from a removed board.
    expect(readdirSync(join(DEPLOY, 'grafana/dashboards')).filter((f) => f.endsWith('.json')).sort()).toEqual(buildDashboards().map((d) => d.file).sort());
  });

  it('takes every secret from deploy/.env (documented in env.example), none written in the file', () => {
    const text = readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8');
    const required = [...text.matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]);
    const example = readFileSync(join(DEPLOY, 'compose', 'env.example'), 'utf8');
    for (const v of new Set(required)) expect(example, v).toMatch(new RegExp(`^${v}=`, 'm'));
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [k, v] of Object.entries(s.environment ?? {})) if (/PASSWORD/.test(k)) expect(v, `${name}.${k}`).toMatch(/^\$\{\w+:\?/);
    }
  });

  it("the collector's compose config is valid for the collector itself", () => {
    const cfg = loadCollectorConfig(join(DEPLOY, 'compose', 'collector.yaml'));
    expect(cfg.influx.url).toBe('http://influxdb:8086');
    expect(cfg.influx.passwordFile).toBe('/run/secrets/influx_write_password');
  });
});

describe.skipIf(missing({ commands: ['influxd', 'sha256sum'] }))('backup and restore scripts (real influxd, live collector)', () => {
  let source: Influxd;
  let target: Influxd;
  let tc: TestCollector;
  let work: string;
  let sourceRpc: number;
  let targetRpc: number;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'canhgac-backup-'));
    sourceRpc = await freePort();
    targetRpc = await freePort();
    source = await startInfluxd({ rpcPort: sourceRpc });
    target = await startInfluxd({ rpcPort: targetRpc });
    tc = await startTestCollector(source.url);
    const code = await tc.enrollCode('so-tu-phap');
    const res = await fetch(`${tc.url}/api/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, hostname: 'backup-test', version: 't' }) });
    const { token } = (await res.json()) as { token: string };
    const samples = Array.from({ length: 20 }, (_, i) => ({ measurement: 'tcp', tags: { target: '127.0.0.1', port: String(4000 + i), result: 'ok' }, fields: { up: 1, connect_ms: 0.5 }, time: new Date(Date.now() - i * 1000).toISOString() }));
    const posted = await fetch(`${tc.url}/api/v1/samples`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ samples }) });
    expect(posted.status).toBe(200);
  });

  afterAll(async () => {
    await tc?.close();
    await source?.stop();
    await target?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const env = (rpc: number, dataDir: string, extra: Record<string, string> = {}) => ({ ...process.env, CANHGAC_DATA_DIR: dataDir, CANHGAC_COLLECTOR_DIR: ROOT, INFLUX_RPC: `127.0.0.1:${rpc}`, INFLUX_DB: tc.config.influx.database, ...extra });

  it('backs up while the collector runs and restores state and time series elsewhere', async () => {
    const b = spawnSync('sh', [join(DEPLOY, 'backup', 'backup.sh'), join(work, 'backups')], { env: env(sourceRpc, tc.config.dataDir), encoding: 'utf8', timeout: 60_000 });
    expect(b.status, b.stderr).toBe(0);
    const [dir] = readdirSync(join(work, 'backups'));
    expect(dir).toMatch(/^canhgac-\d{8}T\d{6}Z$/);
    const backup = join(work, 'backups', dir);
    expect(readFileSync(join(backup, 'SHA256SUMS'), 'utf8')).toMatch(/state\.db/);

    const restoredData = join(work, 'restored');
    const r = spawnSync('sh', [join(DEPLOY, 'backup', 'restore.sh'), backup], { env: env(targetRpc, restoredData), encoding: 'utf8', timeout: 60_000 });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);

    const state = new Database(join(restoredData, 'state.db'), { readonly: true });
    const agents = state.prepare('SELECT agency FROM agents').all() as { agency: string }[];
    state.close();
    expect(agents.map((a) => a.agency)).toContain('so-tu-phap');
    // influxd reopens the restored shards a moment after `influxd restore` returns ("engine is closed" until then).
    const count = await waitFor(
      async () => {
        try {
          return rows(await target.query('SELECT count("up") AS n FROM "raw"."tcp"', tc.config.influx.database));
        } catch (err) {
          if (/engine is closed/.test((err as Error).message)) return undefined;
          throw err;
        }
      },
      { what: 'restored shards to open', timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(count[0].n).toBe(20);
  });

  it('refuses a backup whose files do not match their checksums', () => {
    const [dir] = readdirSync(join(work, 'backups'));
    const backup = join(work, 'backups', dir);
    writeFileSync(join(backup, 'state.db'), 'tampered');
    const r = spawnSync('sh', [join(DEPLOY, 'backup', 'restore.sh'), backup], { env: env(targetRpc, join(work, 'other')), encoding: 'utf8', timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(existsSync(join(work, 'other', 'state.db'))).toBe(false);
  });
});

describe('Windows service files (checked statically: no Windows here)', () => {
  const ps1 = readFileSync(join(DEPLOY, 'windows', 'install-agent.ps1'), 'utf8');
  const xml = readFileSync(join(DEPLOY, 'windows', 'CanhGacAgent.xml'), 'utf8');

  it('the service runs the agent on the one config file the agent itself defaults to on Windows', () => {
    // agent/config.ts: C:\ProgramData\CanhGac\agent.yaml on win32.
    expect(xml).toContain('<arguments>run --config "%ProgramData%\\CanhGac\\agent.yaml"</arguments>');
    expect(ps1).toContain("$DataDir = Join-Path $env:ProgramData 'CanhGac'");
    expect(ps1).toContain("$Config = Join-Path $DataDir 'agent.yaml'");
    expect(xml).toContain(`<id>${/\$ServiceName = '(\w+)'/.exec(ps1)![1]}</id>`);
  });

  it('the service gives the agent the V8 flags of the systemd unit', () => {
    const unit = readFileSync(join(DEPLOY, 'systemd', 'canhgac-agent.service'), 'utf8');
    const flags = /^Environment=NODE_OPTIONS=(.+)$/m.exec(unit)?.[1];
    expect(flags).toBeTruthy();
    expect(xml).toContain(`<env name="NODE_OPTIONS" value="${flags}" />`);
  });

  it('the install script copies exactly the files the Windows build steps put in the bundle', () => {
    const copied = /foreach \(\$f in ([^)]+)\)/.exec(ps1)![1].split(',').map((s) => s.trim().replace(/'/g, ''));
    const steps = readFileSync(join(DEPLOY, 'docs', 'operations.md'), 'utf8');
    for (const f of copied) expect(steps, f).toContain(f);
    expect(copied).toContain('oui.tsv.br');
  });
});
