import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VideoconfCheckResponse } from '../protocol/index.ts';
import { createAdminToken } from '../collector/state/admin-tokens.ts';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { AGENT_BIN, COLLECTOR_BIN, runCli, startProcess, waitFor, writeYaml } from './support/agent.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';

const skip = missing({ commands: ['influxd', 'ping'] });

// Network safety: the endpoints are 127.0.0.1-3 with servers started here; nothing leaves the machine.

/** A SIP stack on loopback UDP that answers every OPTIONS with 200 (copying the dialog headers). */
async function sipResponder(): Promise<{ port: number; close(): void }> {
  const s = dgram.createSocket('udp4');
  s.on('message', (msg, rinfo) => {
    const lines = msg.toString().split('\r\n');
    const pick = (n: string) => lines.find((l) => l.toLowerCase().startsWith(`${n}:`)) ?? '';
    const answer = ['SIP/2.0 200 OK', pick('via'), pick('from'), `${pick('to')};tag=x`, pick('call-id'), pick('cseq'), 'Content-Length: 0', '', ''].join('\r\n');
    s.send(answer, rinfo.port, rinfo.address);
  });
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return { port: s.address().port, close: () => s.close() };
}

/**
 * Pre-meeting readiness on demand, with real parts: influxd, the collector over HTTPS, a real agent
 * process (`canhgac-agent run`) with a videoconf check of three loopback endpoints, and the operator's
 * `canhgac-collector meeting-check` as its own process.
 */
describe.skipIf(skip)('meeting-check: every agent with the videoconf check runs it now', () => {
  let influx: Influxd;
  let tc: TestCollector;
  let dir: string;
  let sip: { port: number; close(): void };
  let h323: Server;
  let closedPort: number;
  let agent: ReturnType<typeof startProcess> | undefined;
  let agentId: string;
  let firstAnswer: VideoconfCheckResponse | undefined;
  let operator: string | undefined;
  const operatorToken = async () => (operator ??= await createAdminToken(tc.collector.state, 'vc-operator', 'operator'));

  beforeAll(async () => {
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url, { https: true });
    dir = mkdtempSync(join(tmpdir(), 'canhgac-meeting-'));
    sip = await sipResponder();
    h323 = createServer((s) => s.destroy());
    h323.listen(0, '127.0.0.1');
    await once(h323, 'listening');
    const closer = createServer();
    closer.listen(0, '127.0.0.1');
    await once(closer, 'listening');
    closedPort = (closer.address() as { port: number }).port;
    await new Promise((r) => closer.close(r));

    const tokenFile = join(dir, 'agent.token');
    const config = writeYaml(join(dir, 'agent.yaml'), {
      collector: { url: tc.url, tokenFile, ca: tc.caFile },
      // The schedule is far away: whatever the test sees comes from the on-demand command.
      agent: { maxSplay: '300s', sendInterval: '200ms', statusInterval: '60s' },
      checks: [
        {
          type: 'videoconf',
          name: 'hoi-nghi',
          interval: '300s',
          timeout: '2s',
          count: 20,
          endpoints: [
            { name: 'ubnd-tinh', address: '127.0.0.1', sip: [{ transport: 'udp', port: sip.port }], h323: { port: (h323.address() as { port: number }).port } },
            { name: 'huyen-cang-long', address: '127.0.0.2', h323: { port: closedPort } },
            { name: 'huyen-cau-ke', address: '127.0.0.3' },
          ],
        },
      ],
    });
    const enrolled = await runCli(AGENT_BIN, ['enroll', '--config', config, '--code', await tc.enrollCode('ubnd-cang-long')]);
    expect(enrolled.code).toBe(0);
    agentId = /enrolled as agent (\S+)/.exec(enrolled.stdout)![1];
    agent = startProcess(AGENT_BIN, ['run', '--config', config]);
    // Ready once the agent's long poll has told the collector it runs videoconf.
    await waitFor(async () => tc.collector.db!.prepare("SELECT 1 FROM agent_polls WHERE agent_id = ? AND checks LIKE '%videoconf%'").get(agentId) !== undefined, {
      timeoutMs: 20_000,
      what: "the agent's first command poll",
    }).catch((err: Error) => {
      throw new Error(`${err.message}; agent output: ${agent!.output()}`);
    });
  }, 60_000);

  /** The API itself, from this process (no CLI start-up). */
  const call = (token?: string, body = '{"wait":2}') =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(
        `${tc.url}/api/v1/videoconf/check`,
        { method: 'POST', ca: readFileSync(tc.caFile!), headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  afterAll(async () => {
    await agent?.stop('SIGTERM');
    sip?.close();
    h323?.close();
    await tc?.close();
    await influx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('returns fresh results, measured after the request, for every endpoint within 10 s', async () => {
    const before = Date.now();
    const r = await runCli(COLLECTOR_BIN, ['meeting-check', '--config', tc.configFile, '--json'], { timeoutMs: 30_000 });
    const took = Date.now() - before;
    expect(r.stderr).toBe('');
    const body = JSON.parse(r.stdout) as VideoconfCheckResponse;
    firstAnswer = body;
    expect(Date.parse(body.answeredAt) - Date.parse(body.requestedAt)).toBeLessThan(10_000);
    expect(took).toBeLessThan(15_000); // the process start and the minted token included
    expect(body.agents).toEqual([expect.objectContaining({ agent: agentId, agency: 'ubnd-cang-long', status: 'answered' })]);
    expect(body.endpoints.map((e) => e.endpoint).sort()).toEqual(['huyen-cang-long', 'huyen-cau-ke', 'ubnd-tinh']);
    for (const e of body.endpoints) {
      expect(e.fresh).toBe(true);
      expect(e.agency).toBe('ubnd-cang-long');
      // Measured after the request: not a cached value (same clock: agent and collector share this machine).
      expect(Date.parse(e.measuredAt!)).toBeGreaterThanOrEqual(Date.parse(body.requestedAt));
      expect(e.fields).toMatchObject({ sent: 20, received: 20, loss_percent: 0 });
    }
    const by = Object.fromEntries(body.endpoints.map((e) => [e.endpoint, e]));
    expect(by['ubnd-tinh']).toMatchObject({ ready: 1, address: '127.0.0.1', fields: { sip_up: 1, h323_up: 1 } });
    expect(by['huyen-cang-long']).toMatchObject({ ready: 0, fields: { h323_up: 0, reason: 'H.323 refused' } });
    expect(by['huyen-cau-ke']).toMatchObject({ ready: 1 });
    expect(body.summary).toEqual({ endpoints: 3, ready: 2, notReady: 1, agentsAsked: 1, agentsAnswered: 1 });
    // Not every endpoint is ready: a script gating a meeting on it sees a failure.
    expect(r.code).toBe(1);
  });

  it('a second request measures again (no cache) and prints the board for people', async () => {
    const a = firstAnswer!;
    const table = await runCli(COLLECTOR_BIN, ['meeting-check', '--config', tc.configFile], { timeoutMs: 30_000 });
    expect(table.code).toBe(1);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^ENDPOINT\s+AGENCY\s+READY\s+LOSS%\s+RTT ms\s+JITTER ms\s+MOS\s+SIP\s+H\.323\s+HTTPS\s+SNMP\s+MEASURED\s+REASON$/);
    // Not-ready endpoints come first.
    expect(lines[1]).toMatch(/^huyen-cang-long\s+ubnd-cang-long\s+NO\s+0\.0\s+.*DOWN.*H\.323 refused$/);
    expect(table.stdout).toMatch(/^ubnd-tinh\s+ubnd-cang-long\s+yes\s+0\.0\s/m);
    expect(table.stdout).toMatch(/3 endpoints: 2 ready, 1 not ready; 1 of 1 agents answered in \d+\.\d s/);
    // Each request measures anew: this one's values are all newer than the first test's.
    const again = await call(await operatorToken(), '{}');
    expect(again.status).toBe(200);
    const b = JSON.parse(again.body) as VideoconfCheckResponse;
    expect(b.summary).toMatchObject({ endpoints: 3, agentsAnswered: 1 });
    for (const e of b.endpoints) expect(Date.parse(e.measuredAt!)).toBeGreaterThan(Math.max(...a.endpoints.map((x) => Date.parse(x.measuredAt!))));
  });

  it('the API needs an operator: no token is 401, a viewer 403, another agency sees nothing of this one', async () => {
    expect((await call()).status).toBe(401);
    expect((await call(await createAdminToken(tc.collector.state, 'viewer-vc', 'viewer'))).status).toBe(403);
    const other = await call(await createAdminToken(tc.collector.state, 'op-so-y-te', 'operator', 'so-y-te'));
    expect(other.status).toBe(200);
    expect(JSON.parse(other.body)).toMatchObject({ agents: [], endpoints: [], summary: { agentsAsked: 0 } });
  });

  it('an agent that stops answering is shown as such, with its endpoints last values from InfluxDB', async () => {
    // The samples of the earlier runs went through the outbox into InfluxDB.
    await waitFor(async () => (await influx.query(`SELECT count("ready") FROM "videoconf"`, tc.config.influx.database)).length > 0, { what: 'videoconf samples in InfluxDB' });
    expect(await agent!.stop('SIGTERM')).toBe(0);
    const r = await call(await operatorToken());
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body) as VideoconfCheckResponse;
    expect(body.agents).toEqual([expect.objectContaining({ agent: agentId, status: 'no_answer' })]);
    expect(body.endpoints.map((e) => [e.endpoint, e.fresh, e.ready]).sort()).toEqual([
      ['huyen-cang-long', false, 0],
      ['huyen-cau-ke', false, 0],
      ['ubnd-tinh', false, 0],
    ]);
    expect(body.endpoints.find((e) => e.endpoint === 'ubnd-tinh')!.fields).toMatchObject({ last_ready: 1 });
  });
});
