// The central configuration store on both engines: profile versions (numbered per name, kept to 100,
// newest per name with deleted ones, history newest first), the revision that moves with every version,
// each version's audit entry in the same transaction, what agents report and refuse, pushed commands.
import { expect, it } from 'vitest';
import { describeEachStateDriver, type OpenState } from '../../test/support/state-drivers.ts';
import { syncAgencies } from './agencies.ts';
import { createAgent } from './agents.ts';
import { listAudit } from './audit.ts';
import { agentFleetRows, fleetRevision, latestProfileVersions, profileHistory, pushedCommand, recordConfigRefusal, recordConfigReport, recordProfileVersions, recordPushedCommand } from './fleet.ts';

const who = { actor: 'quantri', actorKind: 'user' as const, address: '127.0.0.1' };
const change = (name: string, n: number, deleted = false) => ({ name, hash: `h-${name}-${n}`, body: deleted ? '' : `checks: [] # ${n}`, deleted });

async function fresh(open: OpenState) {
  const state = await open();
  await syncAgencies(state, [{ id: 'so-y-te', name: 'Sở Y tế', level: 'department', contacts: [], locale: 'vi' }] as unknown as Parameters<typeof syncAgencies>[1]);
  const a = (await createAgent(state.db, { agency: 'so-y-te', hostname: 'pc-a' })).agent;
  const b = (await createAgent(state.db, { agency: 'so-y-te', hostname: 'pc-b' })).agent;
  return { state, a, b };
}

describeEachStateDriver('fleet store', (open) => {
  it('numbers versions per profile, each with an audit entry; the newest of each (deleted too) in code point order', async () => {
    const { state } = await fresh(open);
    expect(await fleetRevision(state)).toBe(0);
    expect(await recordProfileVersions(state, [change('so-nganh', 1), change('Cap-xa', 1)], who, 1000)).toEqual([
      { name: 'so-nganh', version: 1, deleted: false },
      { name: 'Cap-xa', version: 1, deleted: false },
    ]);
    expect(await recordProfileVersions(state, [change('so-nganh', 2, true)], who, 2000)).toEqual([{ name: 'so-nganh', version: 2, deleted: true }]);
    const latest = await latestProfileVersions(state);
    expect(latest.map((r) => [r.name, r.version, r.deleted])).toEqual([
      ['Cap-xa', 1, false],
      ['so-nganh', 2, true],
    ]);
    expect(latest[0]).toEqual({ name: 'Cap-xa', version: 1, hash: 'h-Cap-xa-1', body: 'checks: [] # 1', deleted: false, at: 1000, actor: 'quantri', actorKind: 'user' });
    const audit = await listAudit(state, { action: 'config_push' });
    expect(audit.map((e) => [e.target, e.detail, e.address, e.at])).toEqual([
      ['profile so-nganh', 'deleted (version 2)', '127.0.0.1', 2000],
      ['profile Cap-xa', 'version 1 (sha256 h-Cap-xa-1)', '127.0.0.1', 1000],
      ['profile so-nganh', 'version 1 (sha256 h-so-nganh-1)', '127.0.0.1', 1000],
    ]);
  });

  it('keeps 100 versions of a profile, history newest first and bounded; the revision moves with every version', async () => {
    const { state } = await fresh(open);
    const seen = new Set<number>([await fleetRevision(state)]);
    for (let v = 1; v <= 104; v++) {
      await recordProfileVersions(state, [change('p', v)], who, v);
      const rev = await fleetRevision(state);
      expect(seen.has(rev), `revision after version ${v}`).toBe(false);
      seen.add(rev);
    }
    const history = await profileHistory(state, 'p', 1000);
    expect(history).toHaveLength(100);
    expect([history[0].version, history.at(-1)!.version]).toEqual([104, 5]);
    expect((await profileHistory(state, 'p')).map((h) => h.version)).toEqual(Array.from({ length: 50 }, (_, i) => 104 - i));
    expect(await profileHistory(state, 'other')).toEqual([]);
    // An unchanged state reads the same revision.
    expect(await fleetRevision(state)).toBe(await fleetRevision(state));
  });

  it('a failed recording leaves neither versions nor audit entries', async () => {
    const { state } = await fresh(open);
    await recordProfileVersions(state, [change('p', 1)], who);
    // The audit row's CHECK on the actor kind fails: the version written before it goes too.
    await expect(recordProfileVersions(state, [change('q', 1)], { actor: 'x', actorKind: 'robot' as never })).rejects.toThrow();
    expect((await latestProfileVersions(state)).map((r) => r.name)).toEqual(['p']);
    expect(await listAudit(state, { action: 'config_push' })).toHaveLength(1);
  });

  it('what an agent runs: applied time kept while the hash stays, moved when it changes; refusals with reasons', async () => {
    const { state, a, b } = await fresh(open);
    await recordConfigReport(state, a.id, 'profile=p;version=1;hash=h1', { off: false, profile: 'p', version: 1, hash: 'h1' }, 1000);
    await recordConfigReport(state, a.id, 'profile=p;version=1;hash=h1;x', { off: false, profile: 'p', version: 1, hash: 'h1' }, 2000);
    let row = (await agentFleetRows(state)).get(a.id)!;
    expect(row).toMatchObject({ reported: 'profile=p;version=1;hash=h1;x', reportedAt: 2000, off: false, appliedProfile: 'p', appliedVersion: 1, appliedHash: 'h1', appliedAt: 1000, rejectedReasons: [] });
    await recordConfigReport(state, a.id, 'profile=p;version=2;hash=h2', { off: false, profile: 'p', version: 2, hash: 'h2' }, 3000);
    expect((await agentFleetRows(state)).get(a.id)).toMatchObject({ appliedVersion: 2, appliedHash: 'h2', appliedAt: 3000 });
    // Off: no applied hash; staying off keeps when it went off.
    await recordConfigReport(state, a.id, 'off', { off: true, hash: 'none' } as never, 4000);
    await recordConfigReport(state, a.id, 'off', { off: true, hash: 'none' } as never, 5000);
    row = (await agentFleetRows(state)).get(a.id)!;
    expect(row).toMatchObject({ off: true, appliedHash: undefined, appliedProfile: undefined, appliedAt: 4000, reportedAt: 5000 });
    await recordConfigRefusal(state, b.id, { hash: 'h9', profile: 'p', version: 9, reasons: ['checks[0]: unknown type'] }, 6000);
    await recordConfigRefusal(state, a.id, { hash: 'h8', reasons: ['no'] }, 7000);
    const rows = await agentFleetRows(state);
    expect(rows.get(b.id)).toMatchObject({ reported: undefined, off: false, rejectedHash: 'h9', rejectedProfile: 'p', rejectedVersion: 9, rejectedReasons: ['checks[0]: unknown type'], rejectedAt: 6000 });
    // A refusal leaves what the agent reported running as it was.
    expect(rows.get(a.id)).toMatchObject({ off: true, appliedAt: 4000, rejectedHash: 'h8', rejectedProfile: undefined, rejectedReasons: ['no'] });
    expect(rows.size).toBe(2);
  });

  it('a pushed command is stored delivered and read back by its own agent only', async () => {
    const { state, a, b } = await fresh(open);
    await recordPushedCommand(state.db, 'cfg-1', a.id, 'apply-config', { profile: 'p', version: 3, hash: 'h3' }, 1000, 600_000);
    expect(await pushedCommand(state.db, 'cfg-1', a.id)).toEqual({ kind: 'apply-config', payload: { profile: 'p', version: 3, hash: 'h3' } });
    expect(await pushedCommand(state.db, 'cfg-1', b.id)).toBeUndefined();
    expect(await pushedCommand(state.db, 'cfg-2', a.id)).toBeUndefined();
    await expect(recordPushedCommand(state.db, 'cfg-1', a.id, 'apply-config', {}, 2000, 1)).rejects.toThrow();
  });
});
