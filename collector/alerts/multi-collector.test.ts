// Several collectors' alerting on one state (a second pool to the same PostgreSQL database; on SQLite a
// second alerting on the same state): failover, racing engines, a leader killed, silent agents judged on
// every collector's arrivals, and followers composing nothing. Counted in rows, mails and annotations.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import type { WireSample } from '../../protocol/index.ts';
import { describeEachStateDriver, openWithAgencies, type OpenAgain, type OpenState } from '../../test/support/state-drivers.ts';
import { parseCollectorConfig } from '../config.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { listNotifications } from './alert-queries.ts';
import { ManualClock } from './clock.ts';
import { startAlerting, type Alerting } from './service.ts';

const AGENCIES = [{ id: 'so-y-te', name: 'Sở Y tế', level: 'department', contacts: ['it@soyte.example.vn'] }];
const DOWN = '[NGHIÊM TRỌNG][Sở Y tế] Mất kết nối tới 127.0.0.1:5';
const UP = '[ĐÃ KHẮC PHỤC][Sở Y tế] Mất kết nối tới 127.0.0.1:5';
const SILENT = '[NGHIÊM TRỌNG][Sở Y tế] Agent pc-1.local ngừng gửi dữ liệu';
const BACK = '[ĐÃ KHẮC PHỤC][Sở Y tế] Agent pc-1.local ngừng gửi dữ liệu';

/**
 * Collector A (leader) and collector B (follower) on one state, one manual clock, no timers: `step`
 * moves the clock and runs a round on each live collector, `kill` drops one without closing it (nothing
 * saved, nothing flushed: as `kill -9`), `lead` moves the lease.
 */
async function twoCollectors(open: OpenState, again: OpenAgain, alerts: Record<string, unknown> = {}) {
  const config = parseCollectorConfig('/tmp/collector.yaml', { agencies: AGENCIES, alerts: { groupWait: '10s', rules: [{ name: 'target_down', for: '30s', resolveAfter: '60s' }], ...alerts } });
  const stateA = await openWithAgencies(open);
  const stateB = await again(stateA);
  const clock = new ManualClock(Date.parse('2026-11-27T03:00:00Z'));
  let leader: 'A' | 'B' | 'both' | undefined = 'A';
  // What reached "InfluxDB" as annotations: one point per state change, made by whichever engine made it.
  const annotations: WireSample[] = [];
  const writer = { write: async (s: WireSample[]) => void annotations.push(...s) };
  const start = (state: StateSql, name: 'A' | 'B') =>
    startAlerting({ state, leader: () => leader === name || leader === 'both', settings: config.alerting.alerts, agencies: config.agencies, clock, timers: false, writer });
  const A = start(stateA, 'A');
  const B = start(stateB, 'B');
  const live = new Set<Alerting>([A, B]);
  const step = async (ms: number, together = false) => {
    clock.advance(ms);
    // One after the other, or both at once (on PostgreSQL two pools: the engines' writes really race).
    if (together) await Promise.all([...live].map((x) => x.tick()));
    else for (const x of live) await x.tick();
    for (const x of live) await x.settle();
  };
  const kill = (x: Alerting) => live.delete(x);
  /** A collector stopped in order: its round, writes and arrivals saved, then gone. */
  const stop = async (x: Alerting) => {
    await x.close();
    live.delete(x);
  };
  const lead = (name: 'A' | 'B' | 'both' | undefined) => (leader = name);
  const tcp = (to: Alerting[], up: number) => {
    for (const x of to) {
      x.observe({ id: 'pc-1', agency: 'so-y-te' }, [{ measurement: 'tcp', tags: { target: '127.0.0.1', port: '5', result: up ? 'ok' : 'refused', agency: 'so-y-te', agent: 'pc-1' }, fields: { up }, time: new Date(clock.now()).toISOString() }]);
    }
  };
  const status = (to: Alerting) =>
    to.observe({ id: 'pc-1', agency: 'so-y-te' }, [
      { measurement: 'agent_status', tags: { version: '1', host: 'pc-1.local', agency: 'so-y-te', agent: 'pc-1' }, fields: { queue_samples: 0, dropped_samples: 0, cycle_ms: 1, rss_bytes: 1 }, time: new Date(clock.now()).toISOString() },
    ]);
  /** Every alert row of a rule, oldest first. */
  const rows = async (rule: string) =>
    (await sql<{ id: number; state: string }>`SELECT id, state FROM alerts WHERE rule = ${rule} ORDER BY id`.execute(stateA.db)).rows.map((r) => ({ id: Number(r.id), state: r.state }));
  /** Every notification's subject, oldest first, whatever its status. */
  const mails = async () => (await listNotifications(stateA)).reverse().map((n) => n.subject);
  /** The state changes annotated, in order, as rule:state. */
  const changes = () => annotations.map((p) => `${p.tags.rule}:${p.tags.state}`);
  return { A, B, clock, step, kill, stop, lead, tcp, status, rows, mails, changes, annotations, stateA };
}

describeEachStateDriver('several collectors: samples that move and engines that race', (open, _driver, again) => {
  it("failover: an agent's samples move from A to B mid-alert; one alert, fired once, resolved once, one mail each way", async () => {
    const { A, B, step, tcp, rows, mails, changes } = await twoCollectors(open, again);
    for (let i = 0; i < 6; i++) {
      tcp([A], 0);
      await step(10_000);
    }
    expect(await rows('target_down')).toMatchObject([{ state: 'firing' }]);
    expect(await mails()).toEqual([DOWN]);
    // A's collector goes away for this agent: the balancer sends it to B, where it is still down...
    for (let i = 0; i < 6; i++) {
      tcp([B], 0);
      await step(10_000);
    }
    expect(await rows('target_down')).toMatchObject([{ state: 'firing' }]);
    // ...and then up: B counts resolveAfter and resolves it; the leader A mails it.
    for (let i = 0; i < 10; i++) {
      tcp([B], 1);
      await step(10_000);
    }
    expect(await rows('target_down')).toMatchObject([{ state: 'resolved' }]);
    expect(await mails()).toEqual([DOWN, UP]);
    expect(changes()).toEqual(['target_down:firing', 'target_down:resolved']);
    // Back to A, down again: A last saw it firing, and must know it was resolved meanwhile to open a second episode.
    for (let i = 0; i < 6; i++) {
      tcp([A], 0);
      await step(10_000);
    }
    expect(await rows('target_down')).toMatchObject([{ state: 'resolved' }, { state: 'firing' }]);
    expect(await mails()).toEqual([DOWN, UP, DOWN]);
  });

  it('racing engines: the same failing samples seen by both at once make one open alert and one firing mail', async () => {
    const { A, B, clock, step, rows, mails, changes, annotations } = await twoCollectors(open, again, { groupWait: '0s' });
    // Twenty targets down at once, each sample seen by both collectors, both rounds running together.
    const down = (up: number) => {
      for (const x of [A, B]) {
        for (let port = 1; port <= 20; port++) {
          x.observe({ id: 'pc-1', agency: 'so-y-te' }, [{ measurement: 'tcp', tags: { target: '127.0.0.1', port: String(port), result: up ? 'ok' : 'refused', agency: 'so-y-te', agent: 'pc-1' }, fields: { up }, time: new Date(clock.now()).toISOString() }]);
        }
      }
    };
    for (let i = 0; i < 5; i++) {
      down(0);
      await step(10_000, true);
    }
    const open1 = await rows('target_down');
    expect(open1).toHaveLength(20);
    expect(open1.every((r) => r.state === 'firing')).toBe(true);
    const fired = await listNotifications(B.state);
    expect(fired).toHaveLength(1);
    expect([...fired[0].alertIds].sort((a, b) => a - b)).toEqual(open1.map((r) => r.id));
    expect(changes()).toEqual(Array(20).fill('target_down:firing'));
    expect(new Set(annotations.map((p) => p.fields.alert_id)).size).toBe(20);
    for (let i = 0; i < 8; i++) {
      down(1);
      await step(10_000, true);
    }
    expect((await rows('target_down')).map((r) => r.state)).toEqual(Array(20).fill('resolved'));
    expect(await mails()).toHaveLength(2);
    expect(changes().filter((c) => c === 'target_down:resolved')).toHaveLength(20);
  });

  it('two leaders at once (a lease that moved mid-round): every alert is in one firing mail and one resolve mail, never two', async () => {
    const { A, B, clock, step, lead } = await twoCollectors(open, again, { groupWait: '0s' });
    // Both notifiers run: the overlap a lost lease leaves until the old leader notices.
    lead('both');
    const down = (up: number) => {
      for (const x of [A, B]) {
        for (let port = 1; port <= 20; port++) {
          x.observe({ id: 'pc-1', agency: 'so-y-te' }, [{ measurement: 'tcp', tags: { target: '127.0.0.1', port: String(port), result: up ? 'ok' : 'refused', agency: 'so-y-te', agent: 'pc-1' }, fields: { up }, time: new Date(clock.now()).toISOString() }]);
        }
      }
    };
    const ids = (n: { alertIds: number[] }[]) => n.flatMap((x) => x.alertIds).sort((a, b) => a - b);
    for (let i = 0; i < 5; i++) {
      down(0);
      await step(10_000, true);
    }
    const fired = await listNotifications(A.state);
    expect(fired.length).toBeGreaterThan(0);
    const firing = ids(fired);
    expect(firing).toHaveLength(20);
    expect(new Set(firing).size).toBe(20);
    // The window itself, made certain: the other notifier read an alert before the mail above committed
    // and left its event; that event finds the alert told and makes no second mail.
    for (const id of firing.slice(0, 3)) await B.store.addEvent(id, 'firing', 'so-y-te', clock.now());
    await step(10_000, true);
    expect(await listNotifications(A.state)).toHaveLength(fired.length);
    for (let i = 0; i < 8; i++) {
      down(1);
      await step(10_000, true);
    }
    const all = await listNotifications(A.state);
    const resolved = ids(all.filter((n) => !fired.some((f) => f.id === n.id)));
    expect(resolved).toEqual(firing);
  });
});

describeEachStateDriver('several collectors: the leader killed', (open, _driver, again) => {
  it('A fires and is killed; B, now leader, resolves it when it sees it clear, with no second firing mail', async () => {
    const { A, B, step, kill, lead, tcp, rows, mails, changes } = await twoCollectors(open, again);
    for (let i = 0; i < 6; i++) {
      tcp([A], 0);
      await step(10_000);
    }
    expect(await mails()).toEqual([DOWN]);
    kill(A);
    lead('B');
    for (let i = 0; i < 3; i++) {
      tcp([B], 0);
      await step(10_000);
    }
    for (let i = 0; i < 10; i++) {
      tcp([B], 1);
      await step(10_000);
    }
    expect(await rows('target_down')).toMatchObject([{ state: 'resolved' }]);
    expect(await mails()).toEqual([DOWN, UP]);
    expect(changes()).toEqual(['target_down:firing', 'target_down:resolved']);
  });

  it('A fires and is killed before its group goes out: B, now leader, sends the one firing mail', async () => {
    const { A, B, step, kill, lead, tcp, rows, mails } = await twoCollectors(open, again, { groupWait: '30s' });
    for (let i = 0; i < 4; i++) {
      tcp([A], 0);
      await step(10_000);
    }
    expect(await rows('target_down')).toMatchObject([{ state: 'firing' }]);
    expect(await mails()).toEqual([]); // its firing waits for groupWait
    kill(A);
    lead('B');
    for (let i = 0; i < 6; i++) {
      tcp([B], 0);
      await step(10_000);
    }
    expect(await mails()).toEqual([DOWN]);
  });
});

describeEachStateDriver("several collectors: the leader's own work", (open, _driver, again) => {
  it('agent silent across collectors: judged on arrivals at any collector, fired once, not again by the next leader', async () => {
    const { A, B, step, stop, lead, status, rows, mails, changes, stateA } = await twoCollectors(open, again, { groupWait: '0s' });
    // Enrolled as pc-1.local: A, which never sees its status samples, names it by that host all the same.
    await sql`INSERT INTO agents (id, agency, hostname, token_hash, created_at) VALUES ('pc-1', 'so-y-te', 'pc-1.local', 'x', 0)`.execute(stateA.db);
    // The agent reports to B only (a follower); A leads and watches for silence.
    for (let i = 0; i < 8; i++) {
      status(B);
      await step(60_000);
    }
    expect(await rows('agent_silent')).toEqual([]);
    // It stops reporting anywhere: 3 of its 60 s intervals, and A calls it silent.
    for (let i = 0; i < 5; i++) await step(60_000);
    expect(await rows('agent_silent')).toMatchObject([{ state: 'firing' }]);
    expect(await mails()).toEqual([SILENT]);
    // A is stopped; B takes the lease and must not fire it again (nor open a second one).
    await stop(A);
    lead('B');
    for (let i = 0; i < 10; i++) await step(60_000);
    expect(await rows('agent_silent')).toMatchObject([{ state: 'firing' }]);
    expect(await mails()).toEqual([SILENT]);
    // Back, on B: resolved once, one mail.
    for (let i = 0; i < 3; i++) {
      status(B);
      await step(60_000);
    }
    expect(await rows('agent_silent')).toMatchObject([{ state: 'resolved' }]);
    expect(await mails()).toEqual([SILENT, BACK]);
    expect(changes()).toEqual(['agent_silent:firing', 'agent_silent:resolved']);
  });

  it("a follower's notification round composes nothing: its firing alert waits for a leader", async () => {
    const { A, B, step, kill, lead, tcp, rows, mails, stateA } = await twoCollectors(open, again, { groupWait: '0s' });
    kill(A);
    lead(undefined); // the lease is free: nobody leads yet
    for (let i = 0; i < 10; i++) {
      tcp([B], 0);
      await step(10_000);
    }
    expect(await rows('target_down')).toMatchObject([{ state: 'firing' }]);
    expect(await mails()).toEqual([]);
    expect((await sql`SELECT alert_id FROM alert_events`.execute(stateA.db)).rows).toEqual([]);
    lead('B');
    await step(10_000);
    expect(await mails()).toEqual([DOWN]);
  });
});
