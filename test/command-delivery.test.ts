// The command channel when a poll's answer never reaches the agent: an agent restarted behind a proxy
// that keeps its old connection open (as HAProxy does without abortonclose), or an answer lost on the way.
// A still-held poll of an agent that polls again takes nothing; an offer written to a dead poll is made
// again at the agent's next poll, so a restarted agent never misses a self-update.
// Network safety: the collector and the proxy in front of it listen on 127.0.0.1 only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken } from '../collector/state/admin-tokens.ts';
import { prepared } from '../collector/state/db.ts';
import { AGENT_UPDATE_HEADER, PATHS, type CommandPollResponse } from '../protocol/index.ts';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { waitFor } from './support/agent.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';

const UPDATE = 'channel=stable;version=0.1.0;platform=linux-x64';

/** A loopback proxy that, like a load balancer without abortonclose, keeps a request to the collector open after its client left; it keeps every answer the collector gave. */
function keepingProxy(target: string): Promise<{ url: string; answers: string[]; close: () => void }> {
  const answers: string[] = [];
  const server = http.createServer((req, res) => {
    const up = http.request(new URL(req.url!, target), { method: req.method, headers: req.headers }, (upRes) => {
      let body = '';
      upRes.on('data', (c: Buffer) => (body += c.toString()));
      upRes.on('end', () => answers.push(body));
      if (!res.destroyed) res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.on('data', (c: Buffer) => !res.destroyed && res.write(c));
      upRes.on('end', () => !res.destroyed && res.end());
    });
    up.on('error', () => res.destroy());
    up.end();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, answers, close: () => server.close() })),
  );
}

describe.skipIf(missing({ commands: ['influxd'] }))('command delivery when an answer does not reach the agent', () => {
  let influx: Influxd;
  let tc: TestCollector;
  let proxy: Awaited<ReturnType<typeof keepingProxy>>;
  let admin: string;
  let token: string;

  beforeAll(async () => {
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url);
    proxy = await keepingProxy(tc.url);
    admin = await createAdminToken(tc.collector.state, 'delivery-admin', 'admin');
    token = (await tc.enrolAgent('so-y-te', 'pc-delivery')).token;
    // Two stored builds (the collector offers what its database says; nothing here downloads them).
    const insert = prepared(tc.collector.db!, "INSERT INTO releases (version, platform, size, sha256, signature, added_at, added_by) VALUES (?, 'linux-x64', 10, ?, ?, 0, 'test')");
    for (const v of ['0.2.0', '0.3.0']) insert.run(v, 'a'.repeat(64), `${'A'.repeat(86)}==`);
  }, 120_000);

  afterAll(async () => {
    proxy?.close();
    await tc?.close();
    await influx?.stop();
  });

  /** One command poll through the proxy, as the agent sends it; `drop()` is the agent going away unseen. */
  function poll(wait: number, update = UPDATE) {
    let req!: http.ClientRequest;
    const answer = new Promise<CommandPollResponse>((resolve, reject) => {
      req = http.request(`${proxy.url}${PATHS.agentCommands}?wait=${wait}`, { headers: { authorization: `Bearer ${token}`, [AGENT_UPDATE_HEADER]: update } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(JSON.parse(body) as CommandPollResponse));
      });
      req.on('error', reject);
      req.end();
    });
    answer.catch(() => undefined);
    return { answer, drop: () => req.destroy() };
  }

  async function rollout(version: string): Promise<void> {
    const res = await fetch(`${tc.url}/api/v1/releases/rollout`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ version }) });
    expect(res.status).toBe(200);
  }

  const offers = (version: string) => (tc.collector.db!.prepare("SELECT COUNT(*) AS n FROM agent_commands WHERE kind = 'self-update' AND payload LIKE ?").get(`%"${version}"%`) as { n: number }).n;

  it('a poll still held for an agent that restarted takes nothing once the agent polls again; the new poll gets the offer', async () => {
    const old = poll(20);
    await new Promise((r) => setTimeout(r, 300));
    old.drop();
    const answered = proxy.answers.length;
    const fresh = poll(20);
    // The old poll ends at once, empty, rather than at the end of its 20 s.
    await waitFor(async () => proxy.answers.length > answered, { timeoutMs: 3000, what: 'the old poll ended by the new one' });
    expect(JSON.parse(proxy.answers[answered])).toEqual({ commands: [] });
    await rollout('0.2.0');
    const got = await fresh.answer;
    expect(got.commands.map((c) => [c.kind, (c.payload as { version: string }).version])).toEqual([['self-update', '0.2.0']]);
    expect(offers('0.2.0')).toBe(1);
  }, 30_000);

  it('an offer written to a poll whose agent was gone is made again at its next poll', async () => {
    // The agent has answered 0.2.0 (refused it): only the new rollout concerns it.
    const update = `${UPDATE};last=0.2.0:refused`;
    const dead = poll(20, update);
    await new Promise((r) => setTimeout(r, 300));
    dead.drop();
    const answered = proxy.answers.length;
    await rollout('0.3.0');
    // The collector answered the dead poll with the offer: it never reached anyone.
    await waitFor(async () => proxy.answers.length > answered, { timeoutMs: 3000, what: 'the dead poll answered' });
    expect(proxy.answers[answered]).toContain('0.3.0');
    // The agent, back, polls without naming it as running: offered again at once (not after 10 minutes).
    const back = await poll(2, update).answer;
    expect(back.commands.map((c) => [c.kind, (c.payload as { version: string }).version])).toEqual([['self-update', '0.3.0']]);
    expect(offers('0.3.0')).toBe(2);
  }, 30_000);
});
