// Issue 19 end to end, with real parts: two `canhgac-collector serve` on one PostgreSQL behind HAProxy, two
// influxd, a real SMTP server, three `canhgac-agent run` with sample logs. kill -9 of the collector carrying
// most agents, an alert firing across the failover, a meeting check across collectors, one influxd away.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEADER_LOCK } from '../collector/state/sql/leader-lease.ts';
import type { VideoconfCheckResponse } from '../protocol/index.ts';
import { freePort, rows, startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { startMailServer, type MailServer, type ReceivedMail } from '../scripts/lib/mail-server.ts';
import { startPostgres, type Postgres } from '../scripts/lib/postgres.ts';
import { AGENT_BIN, COLLECTOR_BIN, runCli, startProcess, waitFor, writeYaml } from './support/agent.ts';
import { TEST_AGENCIES } from './support/collector.ts';
import { readSampleLog, sampleKey, waitAllLoggedStored } from './support/durability.ts';
import { credentialKey, startHaproxy, type Haproxy } from './support/haproxy.ts';
import { missing } from './support/require.ts';

// ping: the agents' videoconf check (the meeting check) measures loopback with it.
const skip = missing({ commands: ['influxd', 'haproxy', 'ping'], postgres: true });

// Network safety: every address below is 127.0.0.1 with a server this test started.

/** The PostgreSQL database and the InfluxDB database alike. */
const DATABASE = 'ha_cluster';
/** The "a minute": node b is away this long while everything else goes on. */
const INFLUX_DOWN_MS = 60_000;
const FAILOVER_BOUND_MS = 15_000;
const SAMPLES = '/api/v1/samples';

type Proc = ReturnType<typeof startProcess>;

interface Agent {
  agency: string;
  contact: string;
  dir: string;
  file: string;
  tokenFile: string;
  sampleLog: string;
  id: string;
  proc?: Proc;
}

interface Ready {
  ready: boolean;
  role: 'leader' | 'follower';
  ingest: { samplesAccepted: number };
  influxNodes: { node: string; lagSamples: number; skippedSamples: number }[];
}

/** One alert of a mail's text: `[NGHIÊM TRỌNG] Mất kết nối tới …` or `[ĐÃ KHẮC PHỤC] …`. */
function alertsOf(m: ReceivedMail): { resolved: boolean; summary: string }[] {
  return m.text
    .split('\n')
    .map((line) => /^\[([^\]\n]{1,40})\] (.{1,300})$/.exec(line))
    .filter((x) => x !== null)
    .map((x) => ({ resolved: x[1] === 'ĐÃ KHẮC PHỤC', summary: x[2] }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const readyz = async (url: string) => (await (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) })).json()) as Ready;

function collectorDoc(o: { dataDir: string; port: number; pgUrl: string; passwordFile: string; influx: string[]; smtpPort: number }): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', port: o.port, plainHttp: true, trustedProxies: ['127.0.0.1'] },
    dataDir: o.dataDir,
    state: { driver: 'postgres', url: o.pgUrl, passwordFile: o.passwordFile },
    influx: { urls: o.influx, database: DATABASE },
    agencies: TEST_AGENCIES,
    ingest: { enrollRateLimit: { perMinute: 600, burst: 1000 } },
    alerts: {
      evaluationInterval: '200ms',
      groupWait: '1s',
      repeatInterval: { critical: '1h', warning: '1h', info: '0s' },
      storm: { maxMails: 1000, window: '10m' },
      rules: [{ name: 'target_down', for: '5s', resolveAfter: '2s' }],
    },
    smtp: { host: '127.0.0.1', port: o.smtpPort, secure: false, starttls: false, from: 'Canh Gác <canhgac@canhgac.example.vn>', maxBackoff: '1s', timeout: '5s' },
  };
}

/** `canhgac-collector serve`, once it answers /readyz with 200 (HAProxy sends it agents from then on). */
async function serve(file: string, url: string): Promise<Proc> {
  const p = startProcess(COLLECTOR_BIN, ['serve', '--config', file]);
  await waitFor(async () => (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) })).status === 200, { what: `collector ${url} ready`, timeoutMs: 120_000, intervalMs: 100 }).catch((err) => {
    throw new Error(`${(err as Error).message}; exit ${p.child.exitCode}, output: ${p.output().slice(-2000)}`);
  });
  return p;
}

describe.skipIf(skip)('two collectors on one PostgreSQL behind HAProxy, two influxd, three real agents (issue 19)', { timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'canhgac-ha-'));
  let pg: Postgres;
  let influxA: Influxd;
  let influxB: Influxd;
  let bPorts: { port: number; rpcPort: number };
  let smtp: MailServer;
  let lb: Haproxy;
  let target: Server | undefined;
  let targetPort: number;
  let pgUrl: string;
  // Collector A (started first: the leader), B, and A again after its kill (outside the balancer).
  const urls = { a: '', b: '', a2: '' };
  const procs: Partial<Record<'a' | 'b' | 'a2', Proc>> = {};
  let docA: Record<string, unknown>;
  let operatorToken: string;
  const agents: Agent[] = [];
  let leaderA: number | undefined;
  let leaderB: number | undefined;
  let influxBDownAt = 0;

  /** The PostgreSQL backend holding the leader lease (its session's pid), if any. */
  const leaderBackend = async (): Promise<number | undefined> => {
    const r = await pg.query<{ pid: number }>(
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1",
      [String(LEADER_LOCK >> 32n), String(LEADER_LOCK & 0xffffffffn)],
      DATABASE,
    );
    return r[0]?.pid;
  };
  const keyOf = (a: Agent) => credentialKey(`Bearer ${readFileSync(a.tokenFile, 'utf8').trim()}`);
  const openTarget = async () => {
    target = createServer((s) => s.destroy());
    await new Promise<void>((r) => target!.listen(targetPort, '127.0.0.1', r));
  };
  const closeTarget = () => new Promise<void>((r) => (target ? target.close(() => r()) : r()));

  async function startCollectors(): Promise<void> {
    const [portA, portB, portA2] = [await freePort(), await freePort(), await freePort()];
    [urls.a, urls.b, urls.a2] = [portA, portB, portA2].map((p) => `http://127.0.0.1:${p}`);
    const common = { pgUrl, passwordFile: pg.passwordFile, influx: [influxA.url, influxB.url], smtpPort: smtp.port };
    docA = collectorDoc({ ...common, dataDir: join(root, 'collector-a'), port: portA });
    const fileA = writeYaml(join(root, 'collector-a.yaml'), docA);
    const fileB = writeYaml(join(root, 'collector-b.yaml'), collectorDoc({ ...common, dataDir: join(root, 'collector-b'), port: portB }));
    procs.a = await serve(fileA, urls.a);
    // A alone takes the lease; B, started after, follows.
    leaderA = await waitFor(leaderBackend, { what: 'collector A taking the leader lease', timeoutMs: 15_000, intervalMs: 50 });
    procs.b = await serve(fileB, urls.b);
    // Weighted 2:1, so that the leader carries most agents: one kill -9 covers the failover of agents and of the timers.
    lb = await startHaproxy([urls.a, urls.b], { weights: [2, 1], requestLog: true });
  }

  /** Each agent enrolled through the balancer with a code the CLI made in PostgreSQL, then started. */
  async function startAgents(): Promise<void> {
    const fileA = join(root, 'collector-a.yaml');
    await Promise.all(
      TEST_AGENCIES.map(async (agency, i) => {
        const dir = join(root, `agent-${i}`);
        mkdirSync(dir, { recursive: true });
        const a: Agent = { agency: agency.id, contact: agency.contacts[0], dir, file: join(dir, 'agent.yaml'), tokenFile: join(dir, 'token'), sampleLog: join(dir, 'samples.jsonl'), id: '' };
        writeYaml(a.file, {
          collector: { url: lb.url, tokenFile: a.tokenFile },
          // agent_status every 2 s: agent_silent calls an agent silent after 3 of its intervals.
          agent: { statusInterval: '2s', maxSplay: '0s', sendInterval: '200ms', maxBackoff: '1s', sampleLog: a.sampleLog },
          outbox: { dir: join(dir, 'outbox') },
          checks: [
            { type: 'tcp', name: `cong-${a.agency}`, targets: [`127.0.0.1:${targetPort}`], interval: '1s', timeout: '500ms' },
            { type: 'videoconf', name: 'hop-truc-tuyen', interval: '300s', timeout: '1s', count: 5, endpoints: [{ name: `vc-${a.agency}`, address: '127.0.0.1' }] },
          ],
        });
        const code = await runCli(COLLECTOR_BIN, ['enroll-code', '--config', fileA, '--agency', a.agency]);
        expect(code.code, code.stderr).toBe(0);
        const enrolled = await runCli(AGENT_BIN, ['enroll', '--config', a.file, '--code', code.stdout.trim()]);
        expect(enrolled.code, enrolled.stderr).toBe(0);
        a.id = /enrolled as agent (\S+)/.exec(enrolled.stdout)![1];
        agents[i] = a;
      }),
    );
    const token = await runCli(COLLECTOR_BIN, ['token', 'create', '--config', fileA, '--name', 'ha-operator', '--role', 'operator']);
    expect(token.code, token.stderr).toBe(0);
    operatorToken = token.stdout.trim();
    for (const a of agents) a.proc = startProcess(AGENT_BIN, ['run', '--config', a.file]);
  }

  beforeAll(async () => {
    bPorts = { port: await freePort(), rpcPort: await freePort() };
    [pg, influxA, influxB, smtp] = await Promise.all([startPostgres(), startInfluxd({ dir: join(root, 'influxd-a') }), startInfluxd({ dir: join(root, 'influxd-b'), ...bPorts }), startMailServer()]);
    pgUrl = await pg.createDatabase(DATABASE);
    targetPort = await freePort();
    await openTarget();
    await startCollectors();
    await startAgents();
  }, 240_000);

  afterAll(async () => {
    for (const a of agents) {
      a?.proc?.child.kill('SIGCONT');
      await a?.proc?.stop('SIGKILL');
    }
    for (const p of Object.values(procs)) await p?.stop('SIGTERM');
    await lb?.stop();
    await closeTarget();
    await smtp?.stop();
    await influxA?.stop();
    await influxB?.stop();
    await pg?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  /** Sample posts each agent got accepted through c1 (collector A) and c2 (B) in [since, until). */
  const carried = (since: number, until = Infinity) =>
    agents.map((a) => {
      const key = keyOf(a);
      const mine = lb.requests.filter((r) => r.key === key && r.path === SAMPLES && r.status === 200 && r.at >= since && r.at < until);
      return { agent: a.agency, c1: mine.filter((r) => r.server === 'c1').length, c2: mine.filter((r) => r.server === 'c2').length };
    });

  it('both collectors carry the agents, the leader most (HAProxy weights 2:1), and the first one started holds the lease', async () => {
    const from = Date.now();
    // Three status samples each: agent_silent has learnt every agent's interval.
    await waitFor(async () => agents.every((a) => readSampleLog(a.sampleLog).filter((s) => s.measurement === 'agent_status').length >= 3), {
      what: 'three agent_status samples from each agent',
      timeoutMs: 60_000,
    });
    await sleep(Math.max(0, 6000 - (Date.now() - from)));
    const per = carried(from);
    const [ra, rb] = [await readyz(urls.a), await readyz(urls.b)];
    console.log('sample posts accepted per agent and collector before the kill (c1 = A, the leader; c2 = B):');
    console.table(per);
    console.log(`samples accepted since start: A ${ra.ingest.samplesAccepted}, B ${rb.ingest.samplesAccepted}`);
    const [c1, c2] = [per.reduce((n, p) => n + p.c1, 0), per.reduce((n, p) => n + p.c2, 0)];
    // An agent is carried by the collector that took most of its posts (each request is balanced on its own).
    const [byA, byB] = [per.filter((p) => p.c1 > p.c2).length, per.filter((p) => p.c2 > p.c1).length];
    console.log(`agents carried mostly by A: ${byA}, by B: ${byB}`);
    expect(c2, 'B carries some of the traffic').toBeGreaterThan(0);
    expect(c1, 'A carries most posts').toBeGreaterThan(c2);
    expect(byA, 'A carries most agents').toBeGreaterThan(byB);
    expect(per.every((p) => p.c1 + p.c2 > 0), 'every agent is heard').toBe(true);
    expect(await leaderBackend(), 'A still holds the lease it took alone').toBe(leaderA);
    expect([ra.role, rb.role]).toEqual(['leader', 'follower']);
  });

  it('kill -9 of the collector carrying most agents, the leader, while target_down is pending and influxd b is down: every agent goes on through the other within 15 s', async () => {
    await influxB.stop();
    influxBDownAt = Date.now();
    await closeTarget();
    const open = await waitFor(
      async () => {
        const r = await pg.query<{ agent: string; state: string }>("SELECT agent, state FROM alerts WHERE rule = 'target_down' AND state IN ('pending', 'firing') ORDER BY agent", [], DATABASE);
        return agents.every((a) => r.some((x) => x.agent === a.id)) && r;
      },
      { what: 'target_down open for the three agents', timeoutMs: 20_000, intervalMs: 100 },
    );
    console.log(`target_down at the kill: ${open.map((r) => r.state).join(', ')}`);
    expect(open, 'one open episode per agent').toHaveLength(agents.length);
    const keys = agents.map(keyOf);
    const killedAt = Date.now();
    await procs.a!.stop('SIGKILL');
    // Per agent: the first sample post sent after the kill and accepted (through B, the one left).
    const firstAccepted = (i: number) => lb.requests.find((r) => r.startedAt >= killedAt && r.key === keys[i] && r.path === SAMPLES && r.status === 200);
    const times = await waitFor(
      async () => {
        const t = agents.map((_, i) => firstAccepted(i));
        return t.every((x) => x !== undefined) && t.map((x, i) => ({ agent: agents[i].agency, server: x!.server, ms: x!.at - killedAt }));
      },
      { what: 'every agent accepted again after the kill', timeoutMs: 30_000, intervalMs: 20 },
    ).catch((err) => {
      throw new Error(`${(err as Error).message}; agents: ${agents.map((a) => a.proc!.output().slice(-500)).join(' | ')}`);
    });
    leaderB = await waitFor(async () => {
      const pid = await leaderBackend();
      return pid !== undefined && pid !== leaderA && pid;
    }, { what: 'the survivor taking the leader lease', timeoutMs: 15_000, intervalMs: 50 });
    const takeoverMs = Date.now() - killedAt;
    expect((await readyz(urls.b)).role).toBe('leader');
    const failed = keys.map((key) => lb.requests.filter((r) => r.at >= killedAt && r.key === key && r.path === SAMPLES && r.status !== 200).length);
    console.log('failover after kill -9 of collector A (ms from the kill to the first sample post sent after it and accepted):');
    console.table(times.map((t, i) => ({ ...t, failedPostsMeanwhile: failed[i] })));
    console.log(`leader lease on B ${takeoverMs} ms after the kill (upper bound: polled every 50 ms)`);
    for (const t of times) {
      expect(t.server).toBe('c2');
      expect(t.ms, `${t.agent} accepted again`).toBeLessThanOrEqual(FAILOVER_BOUND_MS);
    }
  });
  it("the leader's timers run on the survivor: an agent stopped after the failover is called silent, in one mail", async () => {
    const quiet = agents[2];
    const key = keyOf(quiet);
    const statuses = () => readSampleLog(quiet.sampleLog).filter((x) => x.measurement === 'agent_status');
    // The agent says how often it reports: B, which saw only some of its status samples before the kill,
    // must not judge by the gaps it saw (they were multiples of 2 s).
    expect(new Set(statuses().map((x) => x.fields.status_interval_ms))).toEqual(new Set([2000]));
    // A status sample logged now reaches B (the one collector left) before the agent stops.
    const from = Date.now();
    await waitFor(async () => Date.parse(statuses().at(-1)!.time) >= from, { what: 'a fresh status sample', timeoutMs: 10_000, intervalMs: 50 });
    const loggedAt = Date.now();
    await waitFor(async () => lb.requests.some((r) => r.startedAt >= loggedAt && r.key === key && r.path === SAMPLES && r.status === 200), { what: 'it accepted', timeoutMs: 10_000, intervalMs: 20 });
    const silentMail = (m: ReceivedMail) => m.to.includes(quiet.contact) && alertsOf(m).some((x) => !x.resolved && x.summary.endsWith('ngừng gửi dữ liệu'));
    const stoppedAt = Date.now();
    quiet.proc!.child.kill('SIGSTOP');
    let silentMs: number;
    try {
      await waitFor(async () => smtp.mails.some(silentMail), { what: `the agent_silent mail for ${quiet.agency}`, timeoutMs: 40_000, intervalMs: 100 });
      silentMs = Date.now() - stoppedAt;
      console.log(`agent_silent mail ${silentMs} ms after the agent stopped (statusInterval 2 s: silent after 6 s)`);
    } finally {
      quiet.proc!.child.kill('SIGCONT');
    }
    // 3 intervals of 2 s, a round (200 ms), groupWait (1 s), the mail: late by its share of the agent's
    // samples on B (3 times, 18 s and more) when B judged by the gaps it saw.
    expect(silentMs, 'called silent after 3 of its intervals').toBeLessThanOrEqual(12_000);
    expect(smtp.mails.filter(silentMail)).toHaveLength(1);
  });

  it('the alert that fired across the failover: one firing mail and one resolve mail for each target, none twice', async () => {
    const about = (a: Agent, resolved: boolean) => (m: ReceivedMail) =>
      m.to.includes(a.contact) && alertsOf(m).some((x) => x.resolved === resolved && x.summary.includes(`cong-${a.agency}`) && x.summary.includes(`:${targetPort}`));
    const silentResolved = (m: ReceivedMail) => m.to.includes(agents[2].contact) && alertsOf(m).some((x) => x.resolved && x.summary.endsWith('ngừng gửi dữ liệu'));
    await waitFor(async () => agents.every((a) => smtp.mails.some(about(a, false))), { what: 'a firing mail for every target', timeoutMs: 30_000, intervalMs: 100 });
    await openTarget();
    await waitFor(async () => agents.every((a) => smtp.mails.some(about(a, true))) && smtp.mails.some(silentResolved), {
      what: 'a resolve mail for every target and for the silent agent',
      timeoutMs: 40_000,
      intervalMs: 100,
    });
    // A second mail of any of them would come within a few rounds (200 ms each, groupWait 1 s).
    await sleep(5000);
    for (const a of agents) {
      expect(smtp.mails.filter(about(a, false)), `firing mails for cong-${a.agency}`).toHaveLength(1);
      expect(smtp.mails.filter(about(a, true)), `resolve mails for cong-${a.agency}`).toHaveLength(1);
    }
    expect(smtp.mails.filter(silentResolved)).toHaveLength(1);
    // One episode per agent in the shared state, resolved.
    const episodes = await pg.query<{ agent: string; state: string }>("SELECT agent, state FROM alerts WHERE rule = 'target_down' ORDER BY agent", [], DATABASE);
    expect(episodes).toEqual(agents.map((a) => ({ agent: a.id, state: 'resolved' })).sort((x, y) => (x.agent < y.agent ? -1 : 1)));
  });

  it('a meeting check asked at the killed collector, restarted outside the balancer, is answered by the agents whose polls the other holds', async () => {
    const fileA2 = writeYaml(join(root, 'collector-a2.yaml'), { ...docA, listen: { host: '127.0.0.1', port: Number(new URL(urls.a2).port), plainHttp: true, trustedProxies: ['127.0.0.1'] } });
    procs.a2 = await serve(fileA2, urls.a2);
    expect(await leaderBackend(), 'A, back, follows: B keeps the lease').toBe(leaderB);
    expect((await readyz(urls.a2)).role).toBe('follower');
    const since = Date.now();
    const res = await fetch(`${urls.a2}/api/v1/videoconf/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorToken}` },
      body: JSON.stringify({ wait: 10 }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const body = JSON.parse(text) as VideoconfCheckResponse;
    const took = Date.parse(body.answeredAt) - Date.parse(body.requestedAt);
    console.log(`meeting check at A (no agent reaches it): ${body.summary.agentsAnswered} of ${body.summary.agentsAsked} agents answered in ${took} ms`);
    expect(body.agents.map((x) => [x.agent, x.status]).sort()).toEqual(agents.map((a) => [a.id, 'answered']).sort());
    expect(body.summary).toMatchObject({ endpoints: agents.length, agentsAsked: agents.length, agentsAnswered: agents.length });
    expect(took).toBeLessThan(10_000);
    for (const e of body.endpoints) {
      expect(e.fresh, e.endpoint).toBe(true);
      expect(Date.parse(e.measuredAt!)).toBeGreaterThanOrEqual(Date.parse(body.requestedAt));
    }
    // The commands reached the agents and their results came back through B alone. (HAProxy logs a result
    // post once the agent has B's answer, which may be after A answered here.)
    const channel = () => lb.requests.filter((r) => r.at >= since && r.path.startsWith('/api/v1/agent/commands'));
    await waitFor(async () => channel().filter((r) => /\/result$/.test(r.path)).length >= agents.length, { what: "HAProxy's log of the three result posts", timeoutMs: 5000, intervalMs: 20 });
    expect(channel().filter((r) => r.server !== 'c2')).toEqual([]);
  });

  it('influxd b, away for a minute, catches up: both nodes hold every logged sample of every agent once, and the same count per measurement', async () => {
    await sleep(Math.max(0, INFLUX_DOWN_MS - (Date.now() - influxBDownAt)));
    const downMs = Date.now() - influxBDownAt;
    influxB = await startInfluxd({ dir: join(root, 'influxd-b'), ...bPorts });
    const backAt = Date.now();
    const collectors = [urls.a2, urls.b];
    const lagAtRestart = (await Promise.all(collectors.map(readyz))).map((r) => r.influxNodes.find((n) => n.node === influxB.url)!.lagSamples);
    await waitFor(async () => (await Promise.all(collectors.map(readyz))).every((r) => r.influxNodes.every((n) => n.lagSamples === 0)), {
      what: 'both collectors caught up with both nodes',
      timeoutMs: 90_000,
      intervalMs: 200,
    });
    console.log(`influxd b down ${(downMs / 1000).toFixed(1)} s, behind by ${lagAtRestart.join(' and ')} samples (A, B); caught up ${((Date.now() - backAt) / 1000).toFixed(1)} s after its restart`);
    for (const r of await Promise.all(collectors.map(readyz))) expect(r.influxNodes.map((n) => n.skippedSamples)).toEqual([0, 0]);

    for (const influx of [influxA, influxB]) {
      for (const a of agents) {
        const { last } = await waitAllLoggedStored({ influx, database: DATABASE, agentId: a.id, sampleLog: a.sampleLog, what: `every logged sample of ${a.agency} in ${influx.url}`, timeoutMs: 60_000 });
        expect(last.duplicatesProduced, 'the agent produced the same point twice').toBe(0);
        // Anything stored the log does not know would be a re-stamped copy or an invention (the log read
        // again: the agent goes on measuring).
        const now = new Set(readSampleLog(a.sampleLog).map(sampleKey));
        expect(last.extra.filter((k) => !now.has(k)), `points in ${influx.url} ${a.agency} never produced`).toEqual([]);
      }
    }
    // Frozen: agents stopped; the collectors' own samples come once a minute. Equal once both drained.
    for (const a of agents) await a.proc!.stop('SIGTERM');
    let last: Record<string, unknown>[] = [];
    await waitFor(
      async () => {
        last = [await counts(influxA), await counts(influxB)];
        return JSON.stringify(last[0]) === JSON.stringify(last[1]);
      },
      { what: 'the same count per measurement on both nodes', timeoutMs: 30_000, intervalMs: 500 },
    ).catch((err) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify(last)}`);
    });
    expect(Object.keys(last[0])).toEqual(expect.arrayContaining(['tcp', 'agent_status', 'videoconf', 'collector_status']));
  });

  /** count(*) of every measurement of the raw retention policy, as one comparable object. */
  async function counts(influx: Influxd): Promise<Record<string, unknown>> {
    const names = rows(await influx.query('SHOW MEASUREMENTS', DATABASE)).map((r) => r.name as string);
    const out: Record<string, unknown> = {};
    for (const m of names.sort()) out[m] = rows(await influx.query(`SELECT count(*) FROM "raw"."${m}"`, DATABASE))[0];
    return out;
  }
});
