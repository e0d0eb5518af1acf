// The certificate inventory on both engines: newest reading wins, a file's older readings go, the
// purge, listing order, filters, paging and the counts the console shows.
import { expect, it } from 'vitest';
import { describeEachStateDriver, openWithAgencies, type OpenState } from '../../test/support/state-drivers.ts';
import { createAgent } from './agents.ts';
import { countCertificates, dropOlderFileReadings, listCertificates, purgeUnseen, recordCertificate, type CertObservation } from './certificates.ts';

const NOW = Date.parse('2026-11-20T08:00:00Z');
const DAY = 86_400;
const inDays = (d: number) => Math.floor(NOW / 1000) + d * DAY;

async function fresh(open: OpenState) {
  const state = await openWithAgencies(open);
  const { agent } = await createAgent(state.db, { agency: 'so-y-te', hostname: 'may-chu-1' });
  return { state, agent: agent.id };
}

const endpoint = (agent: string, location: string, time: number, days: number | undefined, extra: Partial<CertObservation['cert']> = {}): CertObservation => ({
  agent,
  agency: 'so-y-te',
  kind: 'endpoint',
  location,
  item: '',
  time,
  result: days === undefined ? 'timeout' : 'ok',
  detail: days === undefined ? 'no answer' : undefined,
  cert: days === undefined ? undefined : { serial: 'S1', subjectCn: location, issuerCn: 'CA', notAfter: inDays(days), earliestNotAfter: inDays(days), chainValid: 1, hostnameMatch: 1, ...extra },
});

describeEachStateDriver('certificate inventory', (open) => {
  it('keeps the newest reading of an endpoint: an older resend changes nothing, a failure keeps the last certificate', async () => {
    const { state, agent } = await fresh(open);
    await recordCertificate(state.db, endpoint(agent, 'portal.example.vn:443', NOW, 40), NOW);
    await recordCertificate(state.db, endpoint(agent, 'portal.example.vn:443', NOW - 60_000, 5), NOW);
    let [row] = await listCertificates(state, { now: NOW });
    expect(row).toMatchObject({ agency: 'so-y-te', agencyName: 'Sở Y tế', agentHostname: 'may-chu-1', daysLeft: 40, problems: [], result: 'ok', serial: 'S1' });
    await recordCertificate(state.db, endpoint(agent, 'portal.example.vn:443', NOW + 60_000, undefined), NOW + 60_000);
    [row] = await listCertificates(state, { now: NOW });
    expect(row).toMatchObject({ daysLeft: 40, result: 'timeout', error: 'no answer', problems: ['unreachable'], serial: 'S1' });
    // The same sample twice: no second row.
    await recordCertificate(state.db, endpoint(agent, 'portal.example.vn:443', NOW + 60_000, undefined), NOW + 60_000);
    expect(await listCertificates(state, { now: NOW })).toHaveLength(1);
  });

  it('first seen stays while the serial is the same (also when both are unknown) and restarts with a renewal', async () => {
    const { state, agent } = await fresh(open);
    const firstSeen = async () => (await state.db.selectFrom('certificates').select('first_seen').executeTakeFirstOrThrow()).first_seen as number;
    await recordCertificate(state.db, endpoint(agent, 'a.example.vn:443', NOW, 40, { serial: undefined }), NOW);
    await recordCertificate(state.db, endpoint(agent, 'a.example.vn:443', NOW + 1000, 40, { serial: undefined }), NOW + 1000);
    expect(await firstSeen()).toBe(NOW);
    await recordCertificate(state.db, endpoint(agent, 'a.example.vn:443', NOW + 2000, 400, { serial: 'S2' }), NOW + 2000);
    expect(await firstSeen()).toBe(NOW + 2000);
    await recordCertificate(state.db, endpoint(agent, 'a.example.vn:443', NOW + 3000, 400, { serial: 'S2' }), NOW + 3000);
    expect(await firstSeen()).toBe(NOW + 2000);
  });

  it("drops a file's older readings only, and purges rows nobody reported for a month", async () => {
    const { state, agent } = await fresh(open);
    const file = (item: string, time: number): CertObservation => ({ agent, agency: 'so-y-te', kind: 'file', location: '/etc/ssl/a.pem', item, time, result: 'ok', cert: { serial: item, notAfter: inDays(100) } });
    await recordCertificate(state.db, file('old', NOW), NOW);
    await recordCertificate(state.db, endpoint(agent, 'b.example.vn:443', NOW, 10), NOW);
    await dropOlderFileReadings(state.db, agent, '/etc/ssl/a.pem', NOW + 1000);
    await recordCertificate(state.db, file('new', NOW + 1000), NOW + 1000);
    expect((await listCertificates(state, { now: NOW })).map((c) => c.serial)).toEqual(['S1', 'new']);
    expect(await purgeUnseen(state.db, 30 * 86_400_000, NOW + 30 * 86_400_000 + 500)).toBe(1);
    expect((await listCertificates(state, { now: NOW })).map((c) => c.serial)).toEqual(['new']);
  });

  it('lists soonest expiry first (never-read rows last, ties in code point order), filters by agency and days, pages and counts', async () => {
    const { state, agent } = await fresh(open);
    const { agent: other } = await createAgent(state.db, { agency: 'so-tu-phap', hostname: 'tp-1' });
    for (const [loc, days] of [['b.example.vn:443', 20], ['a.example.vn:443', 20], ['Z.example.vn:443', 20], ['late.example.vn:443', 300], ['gone.example.vn:443', -3]] as const) {
      await recordCertificate(state.db, endpoint(agent, loc, NOW, days), NOW);
    }
    await recordCertificate(state.db, endpoint(agent, 'never.example.vn:443', NOW, undefined), NOW);
    await recordCertificate(state.db, { ...endpoint(other.id, 'tp.example.vn:443', NOW, 10), agency: 'so-tu-phap' }, NOW);
    const all = await listCertificates(state, { now: NOW });
    expect(all.map((c) => c.location)).toEqual([
      'gone.example.vn:443',
      'tp.example.vn:443',
      'Z.example.vn:443',
      'a.example.vn:443',
      'b.example.vn:443',
      'late.example.vn:443',
      'never.example.vn:443',
    ]);
    expect(all[0].problems).toEqual(['expired']);
    expect(all[2].problems).toEqual(['expiring']);
    expect((await listCertificates(state, { agency: 'so-tu-phap', now: NOW })).map((c) => c.agencyName)).toEqual(['Sở Tư pháp']);
    expect((await listCertificates(state, { agency: 'so-y-te', withinDays: 30, now: NOW })).map((c) => c.location)).toEqual([
      'gone.example.vn:443',
      'Z.example.vn:443',
      'a.example.vn:443',
      'b.example.vn:443',
    ]);
    expect((await listCertificates(state, { limit: 2, offset: 2, now: NOW })).map((c) => c.location)).toEqual(['Z.example.vn:443', 'a.example.vn:443']);
    expect(await countCertificates(state, { expiringDays: 30, now: NOW })).toEqual({ total: 7, expired: 1, expiring: 4 });
    expect(await countCertificates(state, { agency: 'so-y-te', expiringDays: 30, now: NOW })).toEqual({ total: 6, expired: 1, expiring: 3 });
    expect(await countCertificates(state, { agency: 'nobody', expiringDays: 30, now: NOW })).toEqual({ total: 0, expired: 0, expiring: 0 });
  });
});
