// Rollout decisions at the collector: channel, percentage (stable per agent, growing only by adding
// agents), agency list, never a build already refused, never one for another platform, and the fleet by version.
import { describe, expect, it } from 'vitest';
import { describeEachStateDriver, type OpenState } from '../../test/support/state-drivers.ts';
import { formatUpdateHeader, AGENT_RUNNING_HEADER, AGENT_UPDATE_HEADER, type AgentUpdateState } from '../../protocol/index.ts';
import { syncAgencies } from '../state/agencies.ts';
import { createAgent, type AgentRow } from '../state/agents.ts';
import { sql } from 'kysely';
import { inRollout, ReleasePusher, rolloutBucket } from './pusher.ts';
import { addRollout } from './store.ts';

async function setup(open: OpenState) {
  const db = await open();
  await syncAgencies(db, [
    { id: 'so-y-te', name: 'Sở Y tế', level: 'department', contacts: [] },
    { id: 'so-tu-phap', name: 'Sở Tư pháp', level: 'department', contacts: [] },
  ] as never);
  const insert = (version: string, platform = 'linux-x64') =>
    sql`INSERT INTO releases (version, platform, size, sha256, signature, added_at, added_by) VALUES (${version}, ${platform}, 10, ${'a'.repeat(64)}, ${`${'A'.repeat(86)}==`}, 0, 'test')`.execute(db.db);
  return { db, insert };
}

const header = (s: Partial<AgentUpdateState>) => ({ [AGENT_UPDATE_HEADER]: formatUpdateHeader({ off: false, channel: 'stable', version: '0.1.0', platform: 'linux-x64', ...s }) });

describe('release rollout buckets', () => {
  it('a percentage picks a stable share of agents, and raising it only adds agents', () => {
    const ids = Array.from({ length: 400 }, (_, i) => `agent-${i}`);
    const at = (p: number) => new Set(ids.filter((id) => inRollout({ id, agency: 'so-y-te' }, { id: 1, version: '0.2.0', channel: 'stable', percent: p, agencies: [], createdAt: '', createdBy: '' })));
    const ten = at(10);
    const fifty = at(50);
    expect(ten.size).toBeGreaterThan(20);
    expect(ten.size).toBeLessThan(70);
    expect(fifty.size).toBeGreaterThan(160);
    expect([...ten].every((id) => fifty.has(id))).toBe(true);
    expect(at(100).size).toBe(400);
    expect(at(0).size).toBe(0);
    expect(rolloutBucket('agent-1', '0.2.0')).toBe(rolloutBucket('agent-1', '0.2.0'));
  });
});

describeEachStateDriver('release rollout', (open) => {
  it('offers the channel’s build to agents of the listed agencies only, once, never again after a refusal', async () => {
    const { db, insert } = await setup(open);
    await insert('0.2.0');
    const a = (await createAgent(db.db, { agency: 'so-y-te', hostname: 'pc-a' })).agent as AgentRow;
    const b = (await createAgent(db.db, { agency: 'so-tu-phap', hostname: 'pc-b' })).agent as AgentRow;
    const pusher = new ReleasePusher(db);
    expect(await pusher.poll(a, header({}))).toEqual([]);
    await addRollout(db, { version: '0.2.0', agencies: ['so-y-te'] }, 'test');
    const [cmd] = await pusher.poll(a, header({}));
    expect(cmd).toMatchObject({ kind: 'self-update', payload: { version: '0.2.0', platform: 'linux-x64', size: 10 } });
    expect(await pusher.poll(a, { ...header({}), [AGENT_RUNNING_HEADER]: cmd.id })).toEqual([]);
    expect(await pusher.poll(b, header({}))).toEqual([]);
    expect(await pusher.poll(a, header({ channel: 'pilot' }))).toEqual([]);
    expect(await pusher.poll(a, { [AGENT_UPDATE_HEADER]: 'off' })).toEqual([]);
    expect(await pusher.poll(a, {})).toEqual([]);
    pusher.rolloutChanged();
    expect(await pusher.poll(a, header({ last: { version: '0.2.0', state: 'refused' } }))).toEqual([]);
    expect(await pusher.poll(a, header({ platform: 'win32-x64' }))).toEqual([]);
    expect(await pusher.poll(a, header({ version: '0.2.0' }))).toEqual([]);
    const fleet = await pusher.statuses([a, b]);
    expect(fleet.versions).toEqual({ '0.1.0': 1, '0.2.0': 1 });
    expect(fleet.agents.map((x) => [x.hostname, x.state, x.target ?? '-'])).toEqual([
      ['pc-a', 'current', '0.2.0'],
      ['pc-b', 'none', '-'],
    ]);
  });

  it('an offer whose poll never reached the agent is made again at its next poll; one it runs or answered is not', async () => {
    const { db, insert } = await setup(open);
    await insert('0.2.0');
    const a = (await createAgent(db.db, { agency: 'so-y-te', hostname: 'pc-a' })).agent as AgentRow;
    const pusher = new ReleasePusher(db);
    await addRollout(db, { version: '0.2.0' }, 'test');
    const t = 1_000_000;
    const [first] = await pusher.poll(a, header({}), t, t);
    expect(first?.kind).toBe('self-update');
    // A poll that was already held when the offer went out (it woke with it) proves nothing.
    expect(await pusher.poll(a, header({}), t - 5000, t + 10)).toEqual([]);
    // The agent polls again (after the offer) without naming it: the answer was lost on the way.
    const [again] = await pusher.poll(a, header({}), t + 1000, t + 1000);
    expect(again).toMatchObject({ kind: 'self-update', payload: { version: '0.2.0' } });
    expect(again.id).not.toBe(first.id);
    // Named as running: delivered; nothing more while it runs, even after a new rollout.
    const running = (id: string) => ({ ...header({}), [AGENT_RUNNING_HEADER]: id });
    expect(await pusher.poll(a, running(again.id), t + 2000, t + 2000)).toEqual([]);
    pusher.rolloutChanged();
    expect(await pusher.poll(a, running(again.id), t + 3000, t + 3000)).toEqual([]);
    // Its result came (a failed download): offered again after RETRY_MS, not at the next poll.
    const [third] = await pusher.poll(a, header({}), t + 4000, t + 4000);
    await pusher.result(a, third.id, { status: 'failed', message: 'interrupted', startedAt: '', finishedAt: '', samples: [] }, {}, t + 5000);
    expect(await pusher.poll(a, header({}), t + 6000, t + 6000)).toEqual([]);
    expect(await pusher.poll(a, header({}), t + 36_000, t + 36_000)).toHaveLength(1);
  });
});
