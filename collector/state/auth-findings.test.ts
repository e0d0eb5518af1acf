// The intrusion-signal inventory on both engines: a finding opened, updated and ended by sample time,
// the bound per agent, the purge, an agency's latest, attacking sources and the monthly report's counts.
import { expect, it } from 'vitest';
import { describeEachStateDriver, openWithAgencies, type OpenState } from '../../test/support/state-drivers.ts';
import {
  attackingSources,
  countAuthFindings,
  latestAuthFindings,
  MAX_AUTH_FINDINGS_PER_AGENT,
  purgeAuthFindings,
  recordAuthFinding,
  type AuthFindingSeen,
} from './auth-findings.ts';

const T0 = Date.parse('2026-11-20T08:00:00Z');
const MIN = 60_000;

async function fresh(open: OpenState) {
  const state = await openWithAgencies(open);
  return state;
}

const seen = (extra: Partial<AuthFindingSeen> = {}): AuthFindingSeen => ({
  agent: 'a1',
  agency: 'so-y-te',
  host: 'srv-1',
  kind: 'brute_force',
  service: 'ssh',
  source: '203.0.113.5',
  users: 'root',
  count: 10,
  firstSeen: T0,
  lastSeen: T0 + MIN,
  time: T0 + MIN,
  ...extra,
});

describeEachStateDriver('auth findings', (open) => {
  it('opens, updates and ends a finding by sample time; last seen never moves back; an older sample changes nothing', async () => {
    const state = await fresh(open);
    await recordAuthFinding(state.db, seen(), T0 + MIN);
    await recordAuthFinding(state.db, seen({ count: 40, users: 'root, admin', lastSeen: T0 + 5 * MIN, time: T0 + 5 * MIN, detail: 'x' }), T0 + 5 * MIN);
    // A later sample carrying an earlier last_seen (the agent restarted its window) keeps the later one.
    await recordAuthFinding(state.db, seen({ count: 41, lastSeen: T0 + 2 * MIN, time: T0 + 6 * MIN }), T0 + 6 * MIN);
    let { rows, total } = await latestAuthFindings(state, 'so-y-te', 10);
    expect(total).toBe(1);
    expect(rows[0]).toMatchObject({ agent: 'a1', host: 'srv-1', count: 41, users: 'root', firstSeen: T0, lastSeen: T0 + 5 * MIN, active: true });
    expect(rows[0].detail).toBeUndefined();
    // A resend of an older sample changes nothing.
    await recordAuthFinding(state.db, seen({ count: 1, time: T0 + 2 * MIN }), T0 + 7 * MIN);
    expect((await latestAuthFindings(state, 'so-y-te', 10)).rows[0].count).toBe(41);
    await recordAuthFinding(state.db, seen({ count: 0, time: T0 + 20 * MIN }), T0 + 20 * MIN);
    ({ rows } = await latestAuthFindings(state, 'so-y-te', 10));
    expect(rows[0]).toMatchObject({ count: 41, active: false });
    // Ending a finding never seen stores nothing.
    await recordAuthFinding(state.db, seen({ source: '198.51.100.1', count: 0 }), T0);
    expect((await latestAuthFindings(state, 'so-y-te', 10)).total).toBe(1);
    // The same finding begun again later is another finding.
    await recordAuthFinding(state.db, seen({ firstSeen: T0 + 60 * MIN, lastSeen: T0 + 61 * MIN, time: T0 + 61 * MIN }), T0 + 61 * MIN);
    ({ rows, total } = await latestAuthFindings(state, 'so-y-te', 1));
    expect([total, rows.length, rows[0].firstSeen, rows[0].active]).toEqual([2, 1, T0 + 60 * MIN, true]);
  });

  it(`keeps at most ${MAX_AUTH_FINDINGS_PER_AGENT} findings per agent, ended and oldest going first`, async () => {
    const state = await fresh(open);
    const rows = Array.from({ length: MAX_AUTH_FINDINGS_PER_AGENT }, (_, i) => ({
      agent: 'a1', agency: 'so-y-te', host: null, kind: 'brute_force', service: 'ssh', source: `10.0.${i >> 8}.${i & 255}`, users: 'root', count: 1,
      first_seen: T0, last_seen: T0 + i, detail: null, active: i === 10 ? 0 : 1, sample_time: T0 + i, updated_at: T0,
    }));
    for (let i = 0; i < rows.length; i += 1000) await state.db.insertInto('auth_findings').values(rows.slice(i, i + 1000)).execute();
    await recordAuthFinding(state.db, seen({ source: '203.0.113.1', time: T0 + 10_000_000, lastSeen: T0 + 10_000_000 }), T0 + 10_000_000);
    await recordAuthFinding(state.db, seen({ source: '203.0.113.2', time: T0 + 10_000_001, lastSeen: T0 + 10_000_001 }), T0 + 10_000_001);
    // Another agent's findings are not its to push out.
    await recordAuthFinding(state.db, seen({ agent: 'a2', source: '203.0.113.3' }), T0);
    const { rows: all, total } = await latestAuthFindings(state, 'so-y-te', 10_000);
    expect(total).toBe(MAX_AUTH_FINDINGS_PER_AGENT + 1);
    const sources = new Set(all.map((r) => r.source));
    expect([sources.has('10.0.0.10'), sources.has('10.0.0.0'), sources.has('10.0.0.1'), sources.has('203.0.113.1'), sources.has('203.0.113.2'), sources.has('203.0.113.3')]).toEqual([
      false,
      false,
      true,
      true,
      true,
      true,
    ]);
  });

  it('purges ended findings seen long ago (never an active one); counts attacking sources by kind, time and agency', async () => {
    const state = await fresh(open);
    await recordAuthFinding(state.db, seen(), T0);
    await recordAuthFinding(state.db, seen({ kind: 'password_spraying' }), T0);
    await recordAuthFinding(state.db, seen({ kind: 'new_admin', source: 'local' }), T0);
    await recordAuthFinding(state.db, seen({ agency: 'so-tu-phap', agent: 'b1', source: '198.51.100.7', kind: 'success_after_failures' }), T0);
    await recordAuthFinding(state.db, seen({ source: '192.0.2.1', lastSeen: T0 - 2 * 86_400_000, firstSeen: T0 - 2 * 86_400_000 }), T0);
    expect(await attackingSources(state, T0 - 86_400_000)).toBe(2);
    expect(await attackingSources(state, T0 - 86_400_000, 'so-y-te')).toBe(1);
    expect(await attackingSources(state, T0 - 3 * 86_400_000, 'so-y-te')).toBe(2);
    expect(await attackingSources(state, T0 + 86_400_000)).toBe(0);
    await recordAuthFinding(state.db, seen({ source: '192.0.2.1', firstSeen: T0 - 2 * 86_400_000, count: 0, time: T0 + 2 * MIN }), T0 + 2 * MIN);
    await purgeAuthFindings(state.db, 86_400_000, T0);
    expect((await latestAuthFindings(state, 'so-y-te', 10)).total).toBe(3);
    await purgeAuthFindings(state.db, 86_400_000, T0 + 365 * 86_400_000);
    expect((await latestAuthFindings(state, 'so-y-te', 10)).total).toBe(3);
  });

  it('counts findings begun in a window by agency and kind, with their distinct sources', async () => {
    const state = await fresh(open);
    await recordAuthFinding(state.db, seen(), T0);
    await recordAuthFinding(state.db, seen({ firstSeen: T0 + MIN }), T0);
    await recordAuthFinding(state.db, seen({ source: '203.0.113.9', firstSeen: T0 + 2 * MIN }), T0);
    await recordAuthFinding(state.db, seen({ kind: 'new_admin', source: 'local' }), T0);
    await recordAuthFinding(state.db, seen({ agency: 'so-tu-phap', agent: 'b1', kind: 'brute_force' }), T0);
    await recordAuthFinding(state.db, seen({ firstSeen: T0 - 86_400_000 }), T0);
    expect(await countAuthFindings(state, T0, T0 + 86_400_000)).toEqual([
      { agency: 'so-tu-phap', kind: 'brute_force', findings: 1, sources: 1 },
      { agency: 'so-y-te', kind: 'brute_force', findings: 3, sources: 2 },
      { agency: 'so-y-te', kind: 'new_admin', findings: 1, sources: 1 },
    ]);
  });
});
