// Central check configuration with real parts: influxd, the collector, three `canhgac-agent run`
// processes of two agencies. A profile change reaches all three within one poll, its new check's samples
// land in InfluxDB and a removed check stops; invalid profiles and profiles outside remotePolicy are
// refused with the reasons in the API and the console while every agent keeps measuring; the CLI's
// diff and push; an agent restarted while the collector is out of reach starts with its last good one.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetAgentStatus } from '../protocol/index.ts';
import { createAdminToken } from '../collector/state/admin-tokens.ts';
import { createUser } from '../collector/state/users.ts';
import { freePort, rows, startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { AGENT_BIN, COLLECTOR_BIN, runCli, startProcess, waitFor, writeYaml } from './support/agent.ts';
import { startTestCollector, TEST_AGENCIES, type TestCollector } from './support/collector.ts';
import { consoleLogin } from './support/console-session.ts';
import { missing } from './support/require.ts';

const skip = missing({ commands: ['influxd'] });

// Network safety: every target is a TCP listener this test opens on 127.0.0.1; the one "outside"
// address (127.0.1.5) is only written in a profile that the agents refuse, never probed.

async function listener(): Promise<Server> {
  const s = createServer((c) => c.destroy());
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}
const portOf = (s: Server) => (s.address() as { port: number }).port;

describe.skipIf(skip)('fleet: profiles pushed to three real agents of two agencies', () => {
  let influx: Influxd;
  let tc: TestCollector;
  let root: string;
  let certs: string;
  let admin: string;
  const servers: Server[] = [];
  const agents: { id: string; agency: string; dir: string; config: string; proc?: ReturnType<typeof startProcess> }[] = [];
  const gatewayTarget = () => `127.0.0.1:${portOf(servers[2])}`;

  const profile = (checks: string) => `description: Sở, ngành\nagencies: [so-y-te, so-tu-phap]\nchecks:\n${checks}`;
  const GATEWAY = () => `  - { type: tcp, name: gateway, interval: 1s, targets: ["${gatewayTarget()}"] }\n`;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${tc.url}${path}`, { method, headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const fleetState = async () => ((await api('GET', '/api/v1/fleet/agents')).body.agents as FleetAgentStatus[]).filter((a) => agents.some((x) => x.id === a.agent));
  const put = async (yaml: string) => {
    const r = await api('PUT', '/api/v1/fleet/profiles/so-nganh', { yaml });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return Date.now();
  };
  /** Until every agent is in `state` for `version` (its applied one, or the refused one). */
  const allAt = (state: string, version: number) =>
    waitFor(
      async () => {
        const s = await fleetState();
        return s.length === 3 && s.every((a) => a.state === state && (state === 'rejected' ? a.desiredVersion === version : a.appliedVersion === version)) && s;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: `all three agents ${state} at version ${version}: ${agents.map((a) => a.proc?.output().slice(-600)).join('\n---\n')}` },
    );
  /** Samples of a tcp check per agent since `since` (ms). */
  const counts = async (name: string, since: number) => {
    const q = `SELECT count("up") FROM "tcp" WHERE "name" = '${name}' AND time > ${since}ms GROUP BY "agent"`;
    return new Map(rows(await influx.query(q, tc.config.influx.database)).map((r) => [r.agent as string, r.count as number]));
  };
  const everyAgentMeasured = (name: string, since: number) =>
    waitFor(async () => {
      const c = await counts(name, since);
      return agents.every((a) => (c.get(a.id) ?? 0) > 0) && c;
    }, { timeoutMs: 15_000, what: `${name} samples of all three agents in InfluxDB` });

  beforeAll(async () => {
    influx = await startInfluxd();
    for (let i = 0; i < 3; i++) servers.push(await listener());
    root = mkdtempSync(join(tmpdir(), 'canhgac-fleet-'));
    certs = join(root, 'certs');
    mkdirSync(certs);
    mkdirSync(join(root, 'profiles'));
    writeFileSync(join(root, 'profiles', 'so-nganh.yaml'), profile(`  - { type: tcp, name: portal, interval: 1s, targets: ["\${agency.portal}"] }\n`));
    const agencies = TEST_AGENCIES.map((a) => ({ ...a, vars: { portal: `127.0.0.1:${portOf(servers[a.id === 'so-y-te' ? 0 : 1])}` } }));
    tc = await startTestCollector(influx.url, { extra: { agencies, fleet: { profilesDir: join(root, 'profiles') } } });
    admin = await createAdminToken(tc.collector.state, 'fleet-admin', 'admin');
    for (const [i, agency] of ['so-y-te', 'so-y-te', 'so-tu-phap'].entries()) {
      const { agentId, token } = await tc.enrolAgent(agency, `pc-${i}`);
      const dir = join(root, `agent-${i}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'agent.token'), token + '\n', { mode: 0o600 });
      const config = writeYaml(join(dir, 'agent.yaml'), {
        collector: { url: tc.url, tokenFile: join(dir, 'agent.token') },
        agent: { maxSplay: '0s', sendInterval: '200ms', statusInterval: '60s', sampleLog: join(dir, 'samples.jsonl') },
        remotePolicy: { networks: ['127.0.0.0/24'], paths: [certs], checkTypes: ['host', 'tcp', 'cert_file'] },
        // The agent's own check, which must keep running whatever the collector sends.
        checks: [{ type: 'tcp', name: 'local-port', interval: '2s', targets: [`127.0.0.1:${portOf(servers[0])}`] }],
      });
      agents.push({ id: agentId, agency, dir, config });
    }
    for (const a of agents) a.proc = startProcess(AGENT_BIN, ['run', '--config', a.config]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.proc?.stop()));
    for (const s of servers) s.close();
    await tc?.close();
    await influx?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('each agent gets its agency’s variables at start-up, and the samples are in InfluxDB', async () => {
    const start = Date.now() - 60_000;
    const state = await allAt('applied', 1);
    expect(state.map((a) => a.profile)).toEqual(['so-nganh', 'so-nganh', 'so-nganh']);
    await everyAgentMeasured('portal', start);
    const targets = rows(await influx.query(`SELECT last("up") FROM "tcp" WHERE "name" = 'portal' GROUP BY "agency", "target", "port"`, tc.config.influx.database)).map((r) => `${r.agency} ${r.target}:${r.port}`);
    expect(targets.sort()).toEqual([`so-tu-phap 127.0.0.1:${portOf(servers[1])}`, `so-y-te 127.0.0.1:${portOf(servers[0])}`].sort());
  });

  it('a profile change reaches all three within one poll; the new check measures and the removed one stops', async () => {
    const changedAt = await put(profile(GATEWAY()));
    await allAt('applied', 2);
    // Within one poll: the held polls are woken, far sooner than the 20 s a poll is held.
    expect(Date.now() - changedAt).toBeLessThan(10_000);
    await everyAgentMeasured('gateway', changedAt);
    const settled = Date.now() + 1500;
    await new Promise((r) => setTimeout(r, 4000));
    expect([...(await counts('portal', settled)).values()]).toEqual([]);
    await everyAgentMeasured('local-port', changedAt);
  });

  it('an invalid profile is refused by each agent with the reason in the API and the console; all keep measuring', async () => {
    const at = await put(profile(`${GATEWAY()}  - { type: tcp, name: broken, interval: soon, targets: ["${gatewayTarget()}"] }\n`));
    const state = await allAt('rejected', 3);
    for (const a of state) {
      expect(a.appliedVersion).toBe(2);
      expect(a.reasons).toEqual(['checks[1].interval: expected a duration such as 30s, 5m or 1h, got "soon"']);
    }
    await everyAgentMeasured('gateway', at + 1000);
    await everyAgentMeasured('local-port', at + 1000);
    await createUser(tc.collector.state, { name: 'qt.fleet', password: 'qt-fleet-password-1', role: 'viewer' });
    const { cookie } = await consoleLogin(tc.url, 'qt.fleet', 'qt-fleet-password-1', '/console/fleet');
    const page = await (await fetch(`${tc.url}/console/fleet`, { headers: { cookie } })).text();
    expect(page.match(/data-fleet-state="rejected"/g)).toHaveLength(3);
    expect(page).toContain('checks[1].interval: expected a duration such as 30s, 5m or 1h, got &quot;soon&quot;');
  });

  it('a profile outside remotePolicy (network, path, check type) is refused with the reasons; the last good one keeps running', async () => {
    const at = await put(
      profile(
        `${GATEWAY()}  - { type: tcp, name: scan, targets: ["127.0.1.5:22"] }\n  - { type: cert_file, name: keys, paths: [/etc/ssl/private] }\n  - { type: discovery, name: sweep, subnets: [127.0.0.0/30] }\n`,
      ),
    );
    const state = await allAt('rejected', 4);
    for (const a of state) {
      expect(a.appliedVersion).toBe(2);
      expect(a.reasons).toEqual([
        'checks[1].targets[0]: 127.0.1.5 is outside remotePolicy.networks: 127.0.0.0/24',
        `checks[2].paths[0]: /etc/ssl/private is not under remotePolicy.paths: ${certs}`,
        'checks[3].type: check type discovery is not in remotePolicy.checkTypes (host, tcp, cert_file)',
      ]);
    }
    await everyAgentMeasured('gateway', at + 1000);
    const logs = readFileSync(join(agents[0].dir, 'samples.jsonl'), 'utf8');
    expect(logs).not.toContain('127.0.1.5');
  });

  it('config diff and config push work on the files; the running collector sends the pushed version', async () => {
    const file = join(root, 'profiles', 'so-nganh.yaml');
    writeFileSync(file, profile(`${GATEWAY()}  - { type: cert_file, name: certs, interval: 1h, paths: ["${certs}"] }\n`));
    const diff = await runCli(COLLECTOR_BIN, ['config', 'diff', '--config', tc.configFile]);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('--- served: so-nganh version 4');
    expect(diff.stdout).toContain(`+  - { type: cert_file, name: certs, interval: 1h, paths: ["${certs}"] }`);
    expect(diff.stdout).toContain('-  - { type: tcp, name: scan, targets: ["127.0.1.5:22"] }');
    const push = await runCli(COLLECTOR_BIN, ['config', 'push', '--config', tc.configFile]);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout).toContain('so-nganh: version 5');
    await allAt('applied', 5);
    const versions = (await api('GET', '/api/v1/fleet/profiles/so-nganh')).body.versions as { version: number; by: string }[];
    expect(versions.map((v) => v.version)).toEqual([5, 4, 3, 2, 1]);
    expect(versions[1].by).toBe('fleet-admin');
  });

  it('an agent restarted while the collector is out of reach starts with its last good configuration', async () => {
    const a = agents[2];
    const stored = join(a.dir, 'remote-config.json');
    expect(statSync(stored).mode & 0o777).toBe(0o600);
    expect((JSON.parse(readFileSync(stored, 'utf8')) as { payload: { version: number } }).payload.version).toBe(5);
    await a.proc!.stop();
    const closed = await freePort();
    const doc = readFileSync(a.config, 'utf8').replace(tc.url, `http://127.0.0.1:${closed}`);
    writeFileSync(a.config, doc);
    chmodSync(a.config, 0o644);
    const restarted = Date.now();
    a.proc = startProcess(AGENT_BIN, ['run', '--config', a.config]);
    await waitFor(
      async () =>
        readFileSync(join(a.dir, 'samples.jsonl'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .some((l) => {
            const s = JSON.parse(l) as { measurement: string; tags: Record<string, string>; time: string };
            return s.measurement === 'tcp' && s.tags.name === 'gateway' && Date.parse(s.time) > restarted;
          }),
      { timeoutMs: 20_000, what: `gateway samples after the restart: ${a.proc.output()}` },
    );
    expect(a.proc.output()).toContain('starting with the last configuration from the collector');
  });
});
