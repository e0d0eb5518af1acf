// The agent command channel's state on both engines: delivery once, to its agent, oldest first and bounded;
// expiry, results, the sweep, and which agents run a check; and the hub's wake-ups.
import { describe, expect, it } from 'vitest';
import { describeEachStateDriver, type OpenState } from '../../test/support/state-drivers.ts';
import { CommandHub } from '../agent-commands/hub.ts';
import { parseCheckTypes } from '../server/routes/agent-commands.ts';
import { syncAgencies } from './agencies.ts';
import { createAgent, revokeAgent } from './agents.ts';
import { agentsRunning, createCommand, finishCommand, getCommands, hasPendingCommands, recordPoll, sweepCommands, takeCommands } from './commands.ts';

async function setup(open: OpenState) {
  const state = await open();
  await syncAgencies(state, [
    { id: 'so-y-te', name: 'Sở Y tế', level: 'department', contacts: [] },
    { id: 'ubnd-cang-long', name: 'UBND huyện Càng Long', level: 'district', contacts: [] },
  ] as never);
  const a = (await createAgent(state.db, { agency: 'so-y-te', hostname: 'pc-a' })).agent;
  const b = (await createAgent(state.db, { agency: 'ubnd-cang-long', hostname: 'pc-b' })).agent;
  return { state, a, b };
}

const result = { status: 'done' as const, startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), samples: [], rejected: 0 };

describeEachStateDriver('command state', (open) => {
  it('a command is taken once, by its agent only, oldest first', async () => {
    const { state, a, b } = await setup(open);
    const first = await createCommand(state, a.id, 'run-check', { type: 'videoconf' }, 10_000, 1000);
    const second = await createCommand(state, a.id, 'run-check', { type: 'ping' }, 10_000, 2000);
    expect(await hasPendingCommands(state, b.id, 3000)).toBe(false);
    expect(await hasPendingCommands(state, a.id, 3000)).toBe(true);
    expect(await takeCommands(state, b.id, 3000)).toEqual([]);
    const got = await takeCommands(state, a.id, 3000);
    expect(got.map((c) => [c.id, c.payload])).toEqual([
      [first, { type: 'videoconf' }],
      [second, { type: 'ping' }],
    ]);
    expect(got[0]).toMatchObject({ kind: 'run-check', createdAt: new Date(1000).toISOString(), expiresAt: new Date(11_000).toISOString() });
    expect(await takeCommands(state, a.id, 3000)).toEqual([]);
    expect(await hasPendingCommands(state, a.id, 3000)).toBe(false);
    expect((await getCommands(state, [first]))[0]).toMatchObject({ status: 'delivered', deliveredAt: 3000 });
    expect(await getCommands(state, [])).toEqual([]);
  });

  it('hands out at most 20 a poll, the rest later; two polls at once never take the same command', async () => {
    const { state, a } = await setup(open);
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push(await createCommand(state, a.id, 'run-check', { i }, 60_000, 1000 + i));
    const [x, y] = await Promise.all([takeCommands(state, a.id, 5000), takeCommands(state, a.id, 5000)]);
    // The second may have looked at the same 20 before the first committed: it gets none of them, and
    // what is left waits for the next poll.
    const z = await takeCommands(state, a.id, 5000);
    const taken = [...x, ...y, ...z].map((c) => c.id);
    expect(taken).toHaveLength(25);
    expect(new Set(taken).size).toBe(25);
    expect(Math.max(x.length, y.length)).toBe(20);
    expect(x.length >= y.length ? x[0].id : y[0].id).toBe(ids[0]);
  });

  it('a command nobody took in time expires and is never handed out', async () => {
    const { state, a } = await setup(open);
    const id = await createCommand(state, a.id, 'run-check', { type: 'videoconf' }, 5000, 1000);
    expect(await hasPendingCommands(state, a.id, 6000)).toBe(false);
    expect(await takeCommands(state, a.id, 6000)).toEqual([]);
    expect((await getCommands(state, [id]))[0].status).toBe('expired');
    expect(await finishCommand(state, a.id, id, result, 6001)).toBe('finished');
  });

  it('only the owning agent finishes a command, once', async () => {
    const { state, a, b } = await setup(open);
    const id = await createCommand(state, a.id, 'run-check', { type: 'videoconf' }, 10_000, 1000);
    await takeCommands(state, a.id, 2000);
    expect(await finishCommand(state, b.id, id, result, 3000)).toBe('unknown');
    expect(await finishCommand(state, a.id, 'cmd-nope', result, 3000)).toBe('unknown');
    expect(await finishCommand(state, a.id, id, result, 3000)).toBe('ok');
    expect(await finishCommand(state, a.id, id, result, 3001)).toBe('finished');
    expect((await getCommands(state, [id]))[0]).toMatchObject({ status: 'done', finishedAt: 3000, result: { status: 'done', rejected: 0 } });
  });

  it('the sweep expires delivered commands past their time and forgets week-old ones', async () => {
    const { state, a } = await setup(open);
    const old = await createCommand(state, a.id, 'run-check', {}, 1000, 0);
    const late = await createCommand(state, a.id, 'run-check', {}, 1000, 8 * 86_400_000);
    await takeCommands(state, a.id, 8 * 86_400_000 + 10);
    await sweepCommands(state, 8 * 86_400_000 + 5000);
    expect(await getCommands(state, [old])).toEqual([]);
    expect((await getCommands(state, [late]))[0].status).toBe('expired');
  });

  it('knows which active agents run a check, by agency, in agency then host name order', async () => {
    const { state, a, b } = await setup(open);
    await recordPoll(state, a.id, ['ping', 'videoconf'], 1000);
    await recordPoll(state, b.id, ['ping'], 1000);
    expect((await agentsRunning(state, 'videoconf')).map((x) => x.id)).toEqual([a.id]);
    await recordPoll(state, b.id, ['videoconf'], 2000);
    expect(await agentsRunning(state, 'videoconf', 'ubnd-cang-long')).toEqual([{ id: b.id, agency: 'ubnd-cang-long', hostname: 'pc-b', checks: ['videoconf'], polledAt: 2000 }]);
    const c = (await createAgent(state.db, { agency: 'so-y-te', hostname: 'PC-C' })).agent;
    await recordPoll(state, c.id, ['videoconf'], 3000);
    expect((await agentsRunning(state, 'videoconf')).map((x) => x.hostname)).toEqual(['PC-C', 'pc-a', 'pc-b']);
    await revokeAgent(state, b.id);
    expect((await agentsRunning(state, 'videoconf')).map((x) => x.id)).toEqual([c.id, a.id]);
    expect(await agentsRunning(state, 'tls')).toEqual([]);
  });
});

describe('check types', () => {
  it('reads the check types an agent reports, dropping anything odd', async () => {
    expect(parseCheckTypes('videoconf, ping,ping')).toEqual(['ping', 'videoconf']);
    expect(parseCheckTypes(['tls', 'x y,<script>,' + 'a'.repeat(65)])).toEqual(['tls']);
    expect(parseCheckTypes(undefined)).toEqual([]);
  });
});

describe('command hub wake-ups', () => {
  it('wakes a held poll when work arrives, and times out otherwise', async () => {
    const hub = new CommandHub();
    const t = Date.now();
    const held = hub.waitForAgentWork('a', 5000);
    setTimeout(() => hub.wakeAgent('a'), 20);
    await held;
    expect(Date.now() - t).toBeLessThan(1000);
    const t2 = Date.now();
    await hub.waitForAgentWork('b', 50);
    expect(Date.now() - t2).toBeGreaterThanOrEqual(45);
  });

  it('an operator waits until every result is in, then no longer; close releases everyone', async () => {
    const hub = new CommandHub();
    const done = new Set<string>();
    const waiting = hub.waitForResults(['x', 'y'], 5000, () => done.has('x') && done.has('y'));
    const t = Date.now();
    setTimeout(() => {
      done.add('x');
      hub.resultArrived('x');
    }, 10);
    setTimeout(() => {
      done.add('y');
      hub.resultArrived('y');
    }, 30);
    await waiting;
    expect(Date.now() - t).toBeLessThan(1000);
    const held = hub.waitForAgentWork('z', 60_000);
    hub.close();
    await held;
  });
});
