// A check whose config is absent is not loaded: shown through the module graph of a real agent
// process (every module it resolved) and the load counter of lazy.ts, never through timing.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { agentModuleGraph } from '../../test/support/agent-module-graph.ts';
import { writeYaml } from '../../test/support/agent.ts';
import { createLogger } from '../log.ts';
import { SampleRecorder } from '../recorder.ts';
import { lazyCheck, loadedCheckTypes } from './lazy.ts';
import { registry } from './registry.ts';
import { tcpSpec } from './tcp/spec.ts';

const TYPES = Object.keys(registry).sort();
/** Packages that only some checks need, and that cost the most memory once loaded. */
const HEAVY = ['npm:systeminformation', 'npm:htmlparser2', 'npm:tldts', 'npm:re2js', 'npm:entities'];

const checkCode = (modules: Set<string>) => TYPES.filter((t) => modules.has(`agent/checks/${t}/index.ts`));

describe('checks are loaded only when the config uses them', () => {
  let dir: string;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canhgac-lazy-'));
    server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => {
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('validating a config with every check type (each folder\'s sample.yaml) loads no check\'s code', async () => {
    // Validation only: the samples name documentation addresses, and check-config never probes them.
    const checks = TYPES.flatMap((t) => (parse(readFileSync(join(import.meta.dirname, t, 'sample.yaml'), 'utf8')) as { checks: unknown[] }).checks);
    const file = writeYaml(join(dir, 'all.yaml'), { checks });
    const g = await agentModuleGraph(['check-config', '--config', file]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout).toContain(`ok, ${checks.length} check(s)`);
    expect(g.modules.has('agent/checks/registry.ts')).toBe(true);
    for (const t of TYPES) expect(g.modules.has(`agent/checks/${t}/spec.ts`), `${t}/spec.ts`).toBe(true);
    expect(checkCode(g.modules), 'check code loaded by validation alone').toEqual([]);
    expect(HEAVY.filter((p) => g.modules.has(p))).toEqual([]);
    expect(g.loadedCheckTypes).toEqual([]);
  }, 90_000);

  it('`once` with only a tcp check loads the tcp check and nothing of the others', async () => {
    const file = writeYaml(join(dir, 'tcp.yaml'), { checks: [{ type: 'tcp', targets: [`127.0.0.1:${port}`] }] });
    const g = await agentModuleGraph(['once', '--config', file, '--json']);
    expect(g.code, g.stderr).toBe(0);
    const samples = JSON.parse(g.stdout) as { measurement: string; fields: { up?: number } }[];
    expect(samples.find((s) => s.measurement === 'tcp')?.fields.up).toBe(1);
    expect(checkCode(g.modules)).toEqual(['tcp']);
    expect(g.loadedCheckTypes).toEqual(['tcp']);
    // Nothing else of another check's folder but its spec (and the pure helpers a spec imports).
    const others = [...g.modules].filter((m) => /^agent\/checks\/(?!common\/|tcp\/)[a-z_]+\/(?!spec\.ts$)/.test(m));
    expect(others.every((m) => !m.endsWith('/index.ts'))).toBe(true);
    expect(HEAVY.filter((p) => g.modules.has(p))).toEqual([]);
  }, 90_000);

  it('`once` with a host check loads the host check without systeminformation on Linux', async () => {
    const file = writeYaml(join(dir, 'host.yaml'), { checks: [{ type: 'host' }] });
    const g = await agentModuleGraph(['once', '--config', file, '--json']);
    expect(g.code, g.stderr).toBe(0);
    expect(checkCode(g.modules)).toEqual(['host']);
    expect(g.modules.has('npm:systeminformation')).toBe(process.platform !== 'linux');
  }, 90_000);

  it('loads a check once, counts it, and retries a load that failed', async () => {
    let loads = 0;
    let fail = true;
    const def = lazyCheck({ ...tcpSpec, type: 'tcp' }, async () => {
      loads++;
      if (fail) throw new Error('damaged install');
      return (await import('./tcp/index.ts')).tcpCheck;
    });
    const ctx = { recorder: new SampleRecorder(), signal: new AbortController().signal, log: createLogger({ write: () => {} }) };
    const config = { type: 'tcp', targets: [`127.0.0.1:${port}`], interval: '60s', timeout: '2s', intervalMs: 60_000, timeoutMs: 2000 };
    await expect(def.run(config, ctx)).rejects.toThrow('damaged install');
    fail = false;
    await def.run(config, ctx);
    await def.run(config, ctx);
    expect(loads).toBe(2);
    expect(loadedCheckTypes()).toContain('tcp');
    expect(ctx.recorder.samples.filter((s) => s.measurement === 'tcp')).toHaveLength(2);
  });
});
