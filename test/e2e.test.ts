import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { AGENT_BIN, runCli, startProcess, waitFor, writeYaml } from './support/agent.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';

const skip = missing({ commands: ['influxd', 'ping'] });

/**
 * The foundation slice with real parts: influxd, the collector over HTTPS with its generated
 * certificate, a one-time code, a real agent process that enrols and runs its schedule against
 * loopback targets; then InfluxQL shows what a user would look for.
 */
describe.skipIf(skip)('end to end: agent → collector → InfluxDB', () => {
  let influx: Influxd;
  let tc: TestCollector;
  let dir: string;
  let tcpServer: Server;
  let httpServer: HttpServer;
  let openPort: number;
  let closedPort: number;
  let httpPort: number;
  let agentId: string;

  beforeAll(async () => {
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url, { https: true });
    dir = mkdtempSync(join(tmpdir(), 'canhgac-e2e-'));
    tcpServer = createServer((s) => s.end());
    await new Promise<void>((r) => tcpServer.listen(0, '127.0.0.1', r));
    openPort = (tcpServer.address() as { port: number }).port;
    const closer = createServer();
    await new Promise<void>((r) => closer.listen(0, '127.0.0.1', r));
    closedPort = (closer.address() as { port: number }).port;
    await new Promise((r) => closer.close(r));
    httpServer = createHttpServer((_q, s) => s.end('ok'));
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
    httpPort = (httpServer.address() as { port: number }).port;
  });

  afterAll(async () => {
    tcpServer?.close();
    httpServer?.close();
    await tc?.close();
    await influx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('enrols with a one-time code, runs a cycle and lands every measurement with the right tags', async () => {
    const tokenFile = join(dir, 'agent.token');
    const config = writeYaml(join(dir, 'agent.yaml'), {
      collector: { url: tc.url, tokenFile, ca: tc.caFile },
      agent: { maxSplay: '0s', sendInterval: '200ms', statusInterval: '2s' },
      checks: [
        { type: 'ping', name: 'loopback', group: 'lan', targets: ['127.0.0.1'], count: 3, interval: '2s', timeout: '1s' },
        { type: 'tcp', targets: [`127.0.0.1:${openPort}`, `127.0.0.1:${closedPort}`], interval: '2s', timeout: '1s' },
        { type: 'http', name: 'portal', targets: [`http://127.0.0.1:${httpPort}/`], interval: '2s', timeout: '1s' },
        { type: 'host', interval: '2s', timeout: '2s' },
      ],
    });
    const code = await tc.enrollCode('so-y-te');
    const enrolled = await runCli(AGENT_BIN, ['enroll', '--config', config, '--code', code]);
    expect(enrolled.stderr).toBe('');
    expect(enrolled.code).toBe(0);
    expect(enrolled.stdout).toMatch(/enrolled as agent (\S+) of Sở Y tế \(so-y-te\)/);
    agentId = /enrolled as agent (\S+)/.exec(enrolled.stdout)![1];
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);

    // The same code cannot enrol a second agent.
    const again = await runCli(AGENT_BIN, ['enroll', '--config', config, '--code', code]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not accepted \(unknown, already used or expired\)/);

    const agent = startProcess(AGENT_BIN, ['run', '--config', config]);
    const db = tc.config.influx.database;
    try {
      await waitFor(
        async () => {
          const names = rows(await influx.query('SHOW MEASUREMENTS', db)).map((r) => r.name);
          return ['ping', 'tcp', 'http', 'host', 'host_disk', 'agent_status'].every((m) => names.includes(m));
        },
        { timeoutMs: 30_000, what: `all measurements in InfluxDB (agent output: ${agent.output()})` },
      );
    } finally {
      expect(await agent.stop('SIGTERM')).toBe(0);
    }
    expect(agent.output()).toMatch(/agent stopped/);

    const q = async (sql: string) => rows(await influx.query(sql, db));
    const ping = await q(`SELECT * FROM ping WHERE agency = 'so-y-te' ORDER BY time DESC LIMIT 1`);
    expect(ping[0]).toMatchObject({ agent: agentId, target: '127.0.0.1', name: 'loopback', group: 'lan', result: 'ok', up: 1, sent: 3, received: 3, loss_percent: 0 });
    expect(ping[0].rtt_avg_ms as number).toBeGreaterThan(0);
    expect(ping[0].rtt_avg_ms as number).toBeLessThan(100);

    const open = await q(`SELECT * FROM tcp WHERE port = '${openPort}' ORDER BY time DESC LIMIT 1`);
    expect(open[0]).toMatchObject({ agency: 'so-y-te', agent: agentId, result: 'ok', up: 1 });
    expect(open[0].connect_ms as number).toBeGreaterThan(0);
    const closed = await q(`SELECT * FROM tcp WHERE port = '${closedPort}' ORDER BY time DESC LIMIT 1`);
    expect(closed[0]).toMatchObject({ agency: 'so-y-te', agent: agentId, result: 'refused', up: 0 });

    const http = await q(`SELECT * FROM http ORDER BY time DESC LIMIT 1`);
    expect(http[0]).toMatchObject({ agency: 'so-y-te', agent: agentId, name: 'portal', result: 'ok', up: 1, status_code: 200 });

    const host = await q(`SELECT * FROM host ORDER BY time DESC LIMIT 1`);
    expect(host[0]).toMatchObject({ agency: 'so-y-te', agent: agentId });
    expect(host[0].cpu_percent as number).toBeGreaterThanOrEqual(0);
    expect(host[0].cpu_percent as number).toBeLessThanOrEqual(100);
    expect(host[0].uptime_seconds as number).toBeGreaterThan(0);
    const disks = await q(`SELECT * FROM host_disk WHERE mount = '/' ORDER BY time DESC LIMIT 1`);
    expect(disks[0].used_percent as number).toBeGreaterThan(0);

    const status = await q(`SELECT * FROM agent_status ORDER BY time DESC LIMIT 1`);
    expect(status[0]).toMatchObject({ agency: 'so-y-te', agent: agentId, version: '0.1.0', dropped_samples: 0 });
    expect(status[0].rss_bytes as number).toBeGreaterThan(10_000_000);

    // The collector knows the agent and when it was last seen.
    const list = await runCli(join(AGENT_BIN, '..', 'canhgac-collector.js'), ['agent', 'list', '--json', '--config', tc.configFile]);
    expect(list.code).toBe(0);
    const agents = JSON.parse(list.stdout) as { id: string; agency: string; lastSeen?: number; version?: string }[];
    expect(agents.find((a) => a.id === agentId)).toMatchObject({ agency: 'so-y-te', version: '0.1.0' });
    expect(agents.find((a) => a.id === agentId)!.lastSeen).toBeGreaterThan(Date.now() - 60_000);

    // Hourly roll-ups exist as continuous queries for the measurements.
    const cqs = rows(await influx.query('SHOW CONTINUOUS QUERIES'));
    expect(cqs.map((c) => c.name)).toEqual(expect.arrayContaining(['cq_ping_1h', 'cq_tcp_1h', 'cq_host_1h']));
    const rps = rows(await influx.query(`SHOW RETENTION POLICIES ON "${db}"`));
    expect(rps).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: 'raw', duration: '720h0m0s', default: true }),
      expect.objectContaining({ name: 'rollup_1h', duration: '17520h0m0s' }),
    ]));
  }, 90_000);
});
