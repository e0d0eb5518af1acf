// The command poller and its handlers: a command runs the named check and reports what it measured; work
// pushed as `background` (a build's download) runs beside the poll, named in each poll until answered;
// a stop closes the held poll, and a command that reaches a stopping agent is answered, not dropped.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_RUNNING_HEADER, type AgentCommand, type CommandResult, type WireSample } from '../protocol/index.ts';
import { missing } from '../test/support/require.ts';
import { waitFor } from '../test/support/agent.ts';
import { CollectorClient } from './collector-client.ts';
import { HANDLERS, startCommandPoller, type CommandPoller } from './command-poller.ts';
import { CommandRunner } from './command-runner.ts';
import { parseAgentConfig } from './config.ts';
import { createLogger } from './log.ts';
import type { PushedKind, PushedOutcome } from './remote/pushed.ts';

// Network safety: the only probe is an ICMP burst to 127.0.0.1; the collector is a loopback server of the test.

const config = parseAgentConfig('agent.yaml', {
  checks: [
    { type: 'videoconf', interval: '60s', timeout: '1s', count: 3, endpoints: [{ name: 'ubnd-tinh', address: '127.0.0.1' }] },
    { type: 'tcp', targets: ['127.0.0.1:9'], enabled: false },
  ],
});

function ctx() {
  const delivered: WireSample[] = [];
  return { delivered, ctx: { checks: config.checks, log: createLogger({ write: () => {} }), deliver: (s: WireSample[]) => delivered.push(...s), signal: new AbortController().signal } };
}

describe('agent commands', () => {
  it('run-check answers unsupported for a check this agent does not run (or has disabled)', async () => {
    const { ctx: c, delivered } = ctx();
    expect(await HANDLERS['run-check']({ type: 'tcp' }, c)).toEqual({ status: 'unsupported', message: 'this agent has no "tcp" check', samples: [] });
    expect(await HANDLERS['run-check']({}, c)).toMatchObject({ status: 'unsupported' });
    expect(delivered).toEqual([]);
  });

  it.skipIf(missing({ commands: ['ping'] }))('run-check runs the check now: the samples are in the answer and go the usual way too', async () => {
    const { ctx: c, delivered } = ctx();
    const before = Date.now();
    const r = await HANDLERS['run-check']({ type: 'videoconf', deadlineMs: 5000 }, c);
    expect(r.status).toBe('done');
    expect(r.samples).toHaveLength(1);
    expect(r.samples[0]).toMatchObject({ measurement: 'videoconf', tags: { endpoint: 'ubnd-tinh' }, fields: { sent: 3, received: 3, ready: 1 } });
    expect(Date.parse((r.samples[0] as WireSample).time)).toBeGreaterThanOrEqual(before);
    expect(delivered).toEqual(r.samples);
  });
});

/** A loopback stand-in for the collector's command routes: scripted poll answers, held polls, results. */
async function fakeCollector(script: AgentCommand[][]) {
  const polls: { running: string; closedEarly: boolean }[] = [];
  const results = new Map<string, CommandResult>();
  let held: { res: http.ServerResponse; answer: (commands: AgentCommand[]) => void } | undefined;
  const server = http.createServer((req, res) => {
    if (req.method === 'POST') {
      let body = '';
      req.setEncoding('latin1');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const id = decodeURIComponent(/commands\/([^/]+)\/result/.exec(req.url!)![1]);
        import('node:zlib').then(({ gunzipSync }) => {
          results.set(id, JSON.parse(gunzipSync(Buffer.from(body, 'latin1')).toString()) as CommandResult);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":0,"rejected":[]}');
        });
      });
      return;
    }
    const poll = { running: String(req.headers[AGENT_RUNNING_HEADER] ?? ''), closedEarly: false };
    polls.push(poll);
    const answer = (commands: AgentCommand[]) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ commands }));
    const next = script.shift();
    if (next) return answer(next);
    held = { res, answer };
    res.on('close', () => {
      if (!res.writableFinished) poll.closedEarly = true;
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    polls,
    results,
    /** Answers the poll held now (as the collector does when work arrives). */
    answerHeld: (commands: AgentCommand[]) => held?.answer(commands),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const command = (id: string, kind: string, payload: unknown = {}): AgentCommand => ({ id, kind, payload, createdAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString() });

describe('command poller', () => {
  let dir: string;
  let poller: CommandPoller | undefined;
  let client: CollectorClient | undefined;
  afterEach(async () => {
    await poller?.stop();
    client?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function start(url: string, pushed: PushedKind[] = []) {
    dir = mkdtempSync(join(tmpdir(), 'canhgac-poller-'));
    writeFileSync(join(dir, 'token'), 'test-token\n');
    client = new CollectorClient(url);
    poller = startCommandPoller({ client, tokenFile: join(dir, 'token'), checks: config.checks, log: createLogger({ write: () => {} }), deliver: () => {}, pushed, waitSeconds: 20 });
    return poller;
  }

  it('a background kind runs beside the poll: other commands are answered meanwhile, and each poll names it until its result is posted', async () => {
    let release!: (o: PushedOutcome) => void;
    const slow: PushedKind = { kind: 'slow-build', background: true, headers: () => ({}), handle: () => new Promise((r) => (release = r)) };
    const fake = await fakeCollector([[command('upd-1', 'slow-build')], [command('cmd-2', 'run-check', { type: 'tcp' })]]);
    try {
      start(fake.url, [slow]);
      // The run-check is answered while the slow one still runs; the poll after it names the slow one.
      await waitFor(async () => fake.results.has('cmd-2'), { timeoutMs: 10_000, what: 'the run-check answered' });
      expect(fake.results.get('cmd-2')).toMatchObject({ status: 'unsupported' });
      expect(fake.results.has('upd-1')).toBe(false);
      await waitFor(async () => fake.polls.length >= 3, { timeoutMs: 10_000, what: 'a third poll' });
      expect(fake.polls.map((p) => p.running)).toEqual(['', 'upd-1', 'upd-1']);
      release({ status: 'done', message: 'installed', samples: [] });
      await waitFor(async () => fake.results.get('upd-1'), { timeoutMs: 10_000, what: 'the slow one answered' });
      fake.answerHeld([]);
      await waitFor(async () => fake.polls.length >= 4, { timeoutMs: 10_000, what: 'the poll after the answer' });
      expect(fake.polls[3].running).toBe('');
    } finally {
      await poller?.stop();
      await fake.close();
    }
  }, 30_000);

  it('a stop closes the held poll at once, and a command that reaches a stopping agent is answered, not dropped', async () => {
    const fake = await fakeCollector([]);
    try {
      const p = start(fake.url);
      await waitFor(async () => fake.polls.length === 1, { timeoutMs: 10_000, what: 'a held poll' });
      const stopping = p.stop();
      await waitFor(async () => fake.polls[0].closedEarly, { timeoutMs: 1000, what: 'the held poll closed by the stop' });
      await stopping;
      // An answer written just before the collector saw the close: the command is answered, not run.
      const stopped = new AbortController();
      stopped.abort();
      const ran: string[] = [];
      const kind: PushedKind = { kind: 'x', headers: () => ({}), handle: async () => (ran.push('x'), { status: 'done', samples: [] }) };
      const runner = new CommandRunner({ client: client!, checks: () => [], log: createLogger({ write: () => {} }), deliver: () => {}, pushed: new Map([['x', kind]]), signal: stopped.signal });
      await runner.take(command('cfg-3', 'x'), 'test-token');
      expect(ran).toEqual([]);
      expect(fake.results.get('cfg-3')).toMatchObject({ status: 'failed', message: expect.stringMatching(/agent is stopping/) });
      expect(runner.runningHeader()).toBe('');
    } finally {
      await fake.close();
    }
  }, 30_000);
});
