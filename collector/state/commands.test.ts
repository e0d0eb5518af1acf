import { describe, expect, it } from 'vitest';
import { CommandHub } from '../agent-commands/hub.ts';
import { parseCheckTypes } from '../server/routes/agent-commands.ts';
import { syncAgencies } from './agencies.ts';
import { sqliteStateSql } from './sql/connect.ts';
import { createAgent, revokeAgent } from './agents.ts';
import { agentsRunning, createCommand, finishCommand, getCommands, recordPoll, sweepCommands, takeCommands } from './commands.ts';
import { openDb } from './db.ts';

async function setup() {
  const db = openDb(':memory:');
  await syncAgencies(sqliteStateSql(db), [
    { id: 'so-y-te', name: 'Sở Y tế', level: 'department', contacts: [] },
    { id: 'ubnd-cang-long', name: 'UBND huyện Càng Long', level: 'district', contacts: [] },
  ] as never);
  const a = (await createAgent(sqliteStateSql(db).db, { agency: 'so-y-te', hostname: 'pc-a' })).agent;
  const b = (await createAgent(sqliteStateSql(db).db, { agency: 'ubnd-cang-long', hostname: 'pc-b' })).agent;
  return { db, a, b };
}

const result = { status: 'done' as const, startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), samples: [], rejected: 0 };

describe('command state', () => {
  it('a command is taken once, by its agent only, oldest first', async () => {
    const { db, a, b } = await setup();
    const first = createCommand(db, a.id, 'run-check', { type: 'videoconf' }, 10_000, 1000);
    const second = createCommand(db, a.id, 'run-check', { type: 'ping' }, 10_000, 2000);
    expect(takeCommands(db, b.id, 3000)).toEqual([]);
    const got = takeCommands(db, a.id, 3000);
    expect(got.map((c) => [c.id, c.payload])).toEqual([
      [first, { type: 'videoconf' }],
      [second, { type: 'ping' }],
    ]);
    expect(got[0]).toMatchObject({ kind: 'run-check', createdAt: new Date(1000).toISOString(), expiresAt: new Date(11_000).toISOString() });
    expect(takeCommands(db, a.id, 3000)).toEqual([]);
    expect(getCommands(db, [first])[0]).toMatchObject({ status: 'delivered', deliveredAt: 3000 });
  });

  it('a command nobody took in time expires and is never handed out', async () => {
    const { db, a } = await setup();
    const id = createCommand(db, a.id, 'run-check', { type: 'videoconf' }, 5000, 1000);
    expect(takeCommands(db, a.id, 6000)).toEqual([]);
    expect(getCommands(db, [id])[0].status).toBe('expired');
  });

  it('only the owning agent finishes a command, once', async () => {
    const { db, a, b } = await setup();
    const id = createCommand(db, a.id, 'run-check', { type: 'videoconf' }, 10_000, 1000);
    takeCommands(db, a.id, 2000);
    expect(finishCommand(db, b.id, id, result, 3000)).toBe('unknown');
    expect(finishCommand(db, a.id, 'cmd-nope', result, 3000)).toBe('unknown');
    expect(finishCommand(db, a.id, id, result, 3000)).toBe('ok');
    expect(finishCommand(db, a.id, id, result, 3001)).toBe('finished');
    expect(getCommands(db, [id])[0]).toMatchObject({ status: 'done', finishedAt: 3000, result: { status: 'done', rejected: 0 } });
  });

  it('the sweep expires delivered commands past their time and forgets week-old ones', async () => {
    const { db, a } = await setup();
    const old = createCommand(db, a.id, 'run-check', {}, 1000, 0);
    const late = createCommand(db, a.id, 'run-check', {}, 1000, 8 * 86_400_000);
    takeCommands(db, a.id, 8 * 86_400_000 + 10);
    sweepCommands(db, 8 * 86_400_000 + 5000);
    expect(getCommands(db, [old])).toEqual([]);
    expect(getCommands(db, [late])[0].status).toBe('expired');
  });

  it('knows which active agents run a check, by agency', async () => {
    const { db, a, b } = await setup();
    recordPoll(db, a.id, ['ping', 'videoconf'], 1000);
    recordPoll(db, b.id, ['ping'], 1000);
    expect(agentsRunning(db, 'videoconf').map((x) => x.id)).toEqual([a.id]);
    recordPoll(db, b.id, ['videoconf'], 2000);
    expect(agentsRunning(db, 'videoconf', 'ubnd-cang-long')).toEqual([{ id: b.id, agency: 'ubnd-cang-long', hostname: 'pc-b', checks: ['videoconf'], polledAt: 2000 }]);
    await revokeAgent(sqliteStateSql(db), b.id);
    expect(agentsRunning(db, 'videoconf').map((x) => x.id)).toEqual([a.id]);
  });

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
