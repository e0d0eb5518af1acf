// The console's read models on both engines: agencies' reporting state and the count of firing alerts, by scope.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import type { Agency } from '../config.ts';
import { describeEachStateDriver, type OpenState } from '../../test/support/state-drivers.ts';
import { syncAgencies } from '../state/agencies.ts';
import { createAgent, revokeAgent, touchAgent } from '../state/agents.ts';
import { recordCertificate } from '../state/certificates.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { activeAlertCount, agencyStatuses, certificates, REPORTING_WINDOW_MS } from './views.ts';

const NOW = Date.parse('2026-11-20T08:00:00Z');
const agency = (id: string, name: string) => ({ id, name, level: 'department', contacts: [], locale: 'vi' }) as unknown as Agency;

async function fresh(open: OpenState): Promise<StateSql> {
  const state = await open();
  await syncAgencies(state, [agency('so-y-te', 'Sở Y tế'), agency('so-tu-phap', 'Sở Tư pháp'), agency('so-xay-dung', 'Sở Xây dựng')]);
  return state;
}

let ids = 0;
/** An alert row as the alert engine leaves it (written directly: the alert store is converted separately). */
async function alert(state: StateSql, agencyId: string, alertState: string) {
  const id = ++ids;
  await sql`INSERT INTO alerts (id, fingerprint, rule, severity, agency, labels, state, active_since, fired_at)
    VALUES (${id}, ${`fp-${id}`}, 'r', 'critical', ${agencyId}, '{}', ${alertState}, ${NOW}, ${alertState === 'pending' ? null : NOW})`.execute(state.db);
}

describeEachStateDriver('console views', (open) => {
  it('counts firing alerts only, in all agencies or in one', async () => {
    const state = await fresh(open);
    expect(await activeAlertCount(state)).toBe(0);
    expect(await activeAlertCount(state, 'so-y-te')).toBe(0);
    for (const [a, s] of [['so-y-te', 'firing'], ['so-y-te', 'firing'], ['so-y-te', 'resolved'], ['so-y-te', 'pending'], ['so-tu-phap', 'firing']]) await alert(state, a, s);
    expect(await activeAlertCount(state)).toBe(3);
    expect(await activeAlertCount(state, 'so-y-te')).toBe(2);
    expect(await activeAlertCount(state, 'so-tu-phap')).toBe(1);
    expect(await activeAlertCount(state, 'so-xay-dung')).toBe(0);
    // A scope is a value, never SQL.
    expect(await activeAlertCount(state, "so-y-te' OR '1'='1")).toBe(0);
  });

  it('says per agency whether it reports (an agent heard within the window), is silent, or has no agents; revoked agents do not count', async () => {
    const state = await fresh(open);
    const heard = (await createAgent(state.db, { agency: 'so-y-te', hostname: 'pc-1' }, NOW)).agent;
    await touchAgent(state, heard.id, { at: NOW - REPORTING_WINDOW_MS });
    await createAgent(state.db, { agency: 'so-y-te', hostname: 'pc-2' }, NOW); // never heard from
    const old = (await createAgent(state.db, { agency: 'so-tu-phap', hostname: 'pc-3' }, NOW)).agent;
    await touchAgent(state, old.id, { at: NOW - REPORTING_WINDOW_MS - 1 });
    const gone = (await createAgent(state.db, { agency: 'so-xay-dung', hostname: 'pc-4' }, NOW)).agent;
    await touchAgent(state, gone.id, { at: NOW });
    await revokeAgent(state, gone.id, NOW);
    const byId = Object.fromEntries((await agencyStatuses(state, NOW)).map((s) => [s.agency.id, { agents: s.agents, lastSeen: s.lastSeen, state: s.state }]));
    expect(byId).toEqual({
      'so-y-te': { agents: 2, lastSeen: NOW - REPORTING_WINDOW_MS, state: 'ok' },
      'so-tu-phap': { agents: 1, lastSeen: NOW - REPORTING_WINDOW_MS - 1, state: 'silent' },
      'so-xay-dung': { agents: 0, lastSeen: undefined, state: 'none' },
    });
    const scoped = await agencyStatuses(state, NOW, 'so-tu-phap');
    expect(scoped.map((s) => s.agency.id)).toEqual(['so-tu-phap']);
  });

  it('pages the certificate inventory soonest expiry first, the page clamped, with the counts of all', async () => {
    const state = await fresh(open);
    const { agent } = await createAgent(state.db, { agency: 'so-y-te', hostname: 'may-chu-1' });
    // The view judges expiry against the clock (as the console does): times relative to now.
    const now = Date.now();
    const inDays = (d: number) => Math.floor(now / 1000) + d * 86_400;
    for (const [i, days] of [40, -2, 10, 200, 5].entries()) {
      await recordCertificate(state.db, {
        agent: agent.id, agency: 'so-y-te', kind: 'endpoint', location: `site-${i}.example.vn:443`, item: '', time: now, result: 'ok',
        cert: { serial: `S${i}`, subjectCn: `site-${i}`, issuerCn: 'CA', notAfter: inDays(days), earliestNotAfter: inDays(days), chainValid: 1, hostnameMatch: 1 },
      }, now);
    }
    const first = await certificates(state, 'so-y-te', { page: 1, size: 2 });
    expect({ total: first.total, pages: first.pages, expired: first.expired, expiring: first.expiring }).toEqual({ total: 5, pages: 3, expired: 1, expiring: 2 });
    expect(first.rows.map((r) => [r.where, r.expired, r.problems])).toEqual([
      ['site-1.example.vn:443', true, []],
      ['site-4.example.vn:443', false, []],
    ]);
    const past = await certificates(state, 'so-y-te', { page: 99, size: 2 });
    expect([past.page, past.rows.map((r) => r.where)]).toEqual([3, ['site-3.example.vn:443']]);
    expect((await certificates(state, 'so-y-te', { page: -5, size: 2 })).page).toBe(1);
    expect((await certificates(state, 'so-tu-phap')).total).toBe(0);
  });
});
