// The alert engine and notifier with a manual clock, on SQLite and on a real PostgreSQL: firing, grouping,
// resolving, restarts, silences, escalation, storms, silent agents and the history's retention.
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachStateDriver, openWithAgencies, type OpenState } from '../../test/support/state-drivers.ts';
import { parseCollectorConfig } from '../config.ts';
import { FINGERPRINT_SEPARATOR_VERSION, migrate } from '../state/db.ts';
import { sqliteStateSql } from '../state/sql/connect.ts';
import { ManualClock } from './clock.ts';
import { startAlerting } from './service.ts';
import { acknowledgeAlert, listAlerts, listNotifications } from './alert-queries.ts';
import { FINGERPRINT_SEPARATOR } from './fingerprint.ts';
import { pruneAlertHistory } from './history-prune.ts';
import { attachmentsOf } from './queue-store.ts';
import { addSilence, listSilences } from './silence-store.ts';

const AGENCIES = [
  { id: 'so-y-te', name: 'Sở Y tế', level: 'department', contacts: ['it@soyte.example.vn'] },
  { id: 'so-tu-phap', name: 'Sở Tư pháp', level: 'department', contacts: ['it@sotuphap.example.vn'], locale: 'en' },
];

/** A fresh state (the two agencies mirrored) with one alerting on it, driven by hand. */
async function setup(open: OpenState, alerts: Record<string, unknown> = {}) {
  const config = parseCollectorConfig('/tmp/collector.yaml', { agencies: AGENCIES, alerts: { groupWait: '10s', securityTeam: ['soc@example.vn'], escalation: ['boss@example.vn'], ...alerts } });
  const state = await openWithAgencies(open);
  const clock = new ManualClock(Date.parse('2026-11-27T03:00:00Z'));
  const alerting = startAlerting({ state, settings: config.alerting.alerts, agencies: config.agencies, clock, timers: false });
  const tcp = (agency: string, port: string, up: number, agent = `${agency}-pc`) =>
    alerting.observe({ id: agent, agency }, [{ measurement: 'tcp', tags: { target: '127.0.0.1', port, result: up ? 'ok' : 'refused', agency, agent }, fields: { up }, time: new Date(clock.now()).toISOString() }]);
  const step = async (ms: number) => {
    clock.advance(ms);
    await alerting.tick();
  };
  const mails = async () => (await listNotifications(alerting.state)).filter((n) => n.status === 'queued').reverse();
  // The collector restarted on the same state: a new engine that must pick up where the old one stopped
  // (with the rules `keep` keeps: a rule taken out of the config meanwhile).
  const restart = (keep: (name: string) => boolean = () => true) =>
    startAlerting({ state, settings: { ...config.alerting.alerts, rules: config.alerting.alerts.rules.filter((r) => keep(r.name)) }, agencies: config.agencies, clock, timers: false });
  return { alerting, clock, tcp, step, mails, state, restart };
}

describeEachStateDriver('alert engine and notifier (manual clock): firing and resolving', (openState) => {
  it('fires after `for`, groups per agency within groupWait, resolves after resolveAfter', async () => {
    const { tcp, step, mails } = await setup(openState);
    tcp('so-y-te', '1', 0);
    tcp('so-y-te', '2', 0);
    tcp('so-tu-phap', '3', 0);
    await step(60_000);
    tcp('so-y-te', '1', 0);
    await step(61_000); // 2 min held: firing, events wait for groupWait
    expect(await mails()).toHaveLength(0);
    await step(10_000);
    const sent = await mails();
    expect(sent).toHaveLength(3); // Sở Y tế (agency + security team share one mail: same alerts, same locale), Sở Tư pháp en contact, Sở Tư pháp security team vi
    const yte = sent.find((m) => m.recipients.includes('it@soyte.example.vn'))!;
    expect(yte.recipients).toEqual(['it@soyte.example.vn', 'soc@example.vn']);
    expect(yte.subject).toBe('[NGHIÊM TRỌNG][Sở Y tế] Mất kết nối tới 127.0.0.1:1 (+1 cảnh báo khác)');
    expect(yte.alertIds).toHaveLength(2);
    const en = sent.find((m) => m.recipients.includes('it@sotuphap.example.vn'))!;
    expect(en.subject).toBe('[CRITICAL][Sở Tư pháp] Lost connection to 127.0.0.1:3');
    tcp('so-y-te', '1', 1);
    await step(30_000);
    tcp('so-y-te', '1', 1);
    await step(31_000); // clear for resolveAfter (1m)
    await step(10_000);
    const resolved = (await mails()).slice(3);
    expect(resolved).toHaveLength(1);
    expect(resolved[0].subject).toBe('[ĐÃ KHẮC PHỤC][Sở Y tế] Mất kết nối tới 127.0.0.1:1');
  });

  it('a restart keeps the resolveAfter countdown of a firing alert whose condition has cleared', async () => {
    const { alerting, tcp, step, restart, clock } = await setup(openState, { rules: [{ name: 'target_down', for: '0s', resolveAfter: '60s' }] });
    tcp('so-y-te', '5', 0);
    await step(1000);
    const open = async (a: typeof alerting) => (await a.store.open()).filter((x) => x.rule === 'target_down');
    expect((await open(alerting)).map((a) => a.state)).toEqual(['firing']);
    tcp('so-y-te', '5', 1); // clear from now on: resolves 60 s later unless it comes back
    await step(40_000);
    const after = restart();
    clock.advance(25_000); // 65 s since it cleared, 25 s of them after the restart
    await after.tick();
    expect(await open(after)).toEqual([]);
    expect((await listAlerts(after.state, { state: 'resolved' })).filter((a) => a.rule === 'target_down')).toHaveLength(1);
  });

  it('a rule taken out of the config resolves its firing alert once, at the next start, and drops its pending one', async () => {
    const { alerting, tcp, step, restart, clock } = await setup(openState, { rules: [{ name: 'target_down', for: '0s' }, { name: 'agent_dropping_samples', for: '1h' }] });
    tcp('so-y-te', '6', 0);
    alerting.observe({ id: 'pc-1', agency: 'so-y-te' }, [{ measurement: 'agent_status', tags: { host: 'pc-1', agency: 'so-y-te', agent: 'pc-1' }, fields: { dropped_samples: 0 }, time: new Date(clock.now()).toISOString() }]);
    await step(1000);
    alerting.observe({ id: 'pc-1', agency: 'so-y-te' }, [{ measurement: 'agent_status', tags: { host: 'pc-1', agency: 'so-y-te', agent: 'pc-1' }, fields: { dropped_samples: 9 }, time: new Date(clock.now()).toISOString() }]);
    await step(1000);
    const rows = async (a: typeof alerting) => (await listAlerts(a.state, { state: 'all' })).map((x) => `${x.rule}:${x.state}`).sort();
    expect(await alerting.store.open().then((o) => o.map((x) => `${x.rule}:${x.state}`).sort())).toEqual(['agent_dropping_samples:pending', 'target_down:firing']);
    await alerting.close();
    const gone = ['target_down', 'agent_dropping_samples'];
    const after = restart((name) => !gone.includes(name));
    await after.tick();
    expect(await after.store.open()).toEqual([]);
    expect(await rows(after)).toEqual(['target_down:resolved']);
    // Once: a later round and a second start leave it as it is.
    await after.tick();
    await after.close();
    const again = restart((name) => !gone.includes(name));
    await again.tick();
    expect(await rows(again)).toEqual(['target_down:resolved']);
  });

  it('the same point sent again (an agent resending an unanswered batch) changes nothing', async () => {
    const { alerting, clock, step } = await setup(openState);
    const status = (dropped: number, time: string) =>
      alerting.observe({ id: 'pc-1', agency: 'so-y-te' }, [{ measurement: 'agent_status', tags: { host: 'pc-1', agency: 'so-y-te', agent: 'pc-1' }, fields: { dropped_samples: dropped }, time }]);
    const t1 = new Date(clock.now()).toISOString();
    status(0, t1);
    await step(60_000);
    const t2 = new Date(clock.now()).toISOString();
    status(40, t2);
    const open = async () => {
      await alerting.engine.flushed();
      return (await alerting.store.open()).filter((a) => a.rule === 'agent_dropping_samples');
    };
    expect(await open()).toHaveLength(1);
    status(40, t2); // the batch again: for an `increase` rule, 40 → 40 must not read as "no longer increasing"
    await step(16 * 60_000); // past resolveAfter (15m): a duplicate taken as "cleared" would have resolved it
    expect(await open()).toHaveLength(1);
  });

  it('a blip shorter than `for` sends nothing; flapping while firing sends no resolve', async () => {
    const { tcp, step, mails } = await setup(openState, { rules: [{ name: 'target_down', for: '30s', resolveAfter: '2m' }] });
    tcp('so-y-te', '9', 0);
    await step(10_000);
    tcp('so-y-te', '9', 1);
    await step(60_000);
    expect(await mails()).toHaveLength(0);
    tcp('so-y-te', '9', 0);
    await step(31_000);
    await step(10_000);
    expect(await mails()).toHaveLength(1);
    for (let i = 0; i < 20; i++) {
      tcp('so-y-te', '9', i % 2);
      await step(10_000);
    }
    expect(await mails()).toHaveLength(1);
  });
});

describeEachStateDriver('alert engine and notifier (manual clock): escalation, silences, failing rules', (openState) => {
  it('escalates an unacknowledged critical alert; acknowledgement stops repeats and escalation', async () => {
    const { alerting, tcp, step, mails } = await setup(openState, { escalateAfter: '5m', repeatInterval: { critical: '3m' }, rules: [{ name: 'target_down', for: '0s' }] });
    tcp('so-y-te', '1', 0);
    tcp('so-tu-phap', '2', 0);
    await step(10_000);
    expect(await mails()).toHaveLength(3);
    const [a1] = await listAlerts(alerting.state, { agency: 'so-y-te' });
    await acknowledgeAlert(alerting.state.db, a1.id, 'tester', 'on it', Date.now());
    for (let i = 0; i < 40; i++) await step(10_000); // ~6.7 min
    const later = (await mails()).slice(3);
    expect(later.some((m) => m.subject.startsWith('[CHUYỂN CẤP][NGHIÊM TRỌNG][Sở Tư pháp]') && m.recipients.includes('boss@example.vn'))).toBe(true);
    expect(later.some((m) => m.subject.includes('[REMINDER]'))).toBe(true);
    expect(later.filter((m) => m.agency === 'so-y-te')).toHaveLength(0);
    expect(await alerting.store.get(a1.id)).toMatchObject({ ackedBy: 'tester', ackNote: 'on it' });
  });

  it('silences and maintenance windows record instead of mailing, and no resolve mail follows', async () => {
    // 2026-11-29 is a Sunday; 22:30 in Ho Chi Minh City is 15:30 UTC.
    const { alerting, tcp, step, clock } = await setup(openState, { rules: [{ name: 'target_down', for: '0s', resolveAfter: '0s' }], maintenance: [{ agency: 'so-y-te', days: ['sun'], start: '22:00', end: '02:00' }] });
    clock.set(Date.parse('2026-11-29T15:30:00Z'));
    await addSilence(alerting.state.db, { matchers: { agency: 'so-tu-phap', port: '~[0-9]+' }, startsAt: clock.now(), endsAt: clock.now() + 3_600_000, reason: 'router swap', author: 'ops' }, clock.now());
    tcp('so-y-te', '1', 0);
    tcp('so-tu-phap', '2', 0);
    await step(15_000);
    tcp('so-y-te', '1', 1);
    tcp('so-tu-phap', '2', 1);
    await step(15_000);
    await step(15_000);
    const history = await listNotifications(alerting.state);
    expect(history).toHaveLength(2);
    expect(history.every((n) => n.status === 'suppressed')).toBe(true);
    expect(history.map((n) => n.kind).sort()).toEqual(['suppressed: maintenance window', 'suppressed: silence #1: router swap (ops)']);
  });

  it('a bad silence stored before matchers were checked (bad pattern, bad JSON) silences nothing and stops no mail', async () => {
    const { alerting, state, tcp, step, mails, clock } = await setup(openState, { groupWait: '0s', rules: [{ name: 'target_down', for: '0s' }] });
    for (const matchers of ['{"target":"~("}', '{oops', 'null', '{"target":5}']) {
      await sql`INSERT INTO alert_silences (matchers, starts_at, ends_at, reason, author, created_at)
        VALUES (${matchers}, ${clock.now() - 1000}, ${clock.now() + 3_600_000}, ${'old'}, ${'ops'}, ${clock.now() - 1000})`.execute(state.db);
    }
    tcp('so-y-te', '1', 0);
    tcp('so-tu-phap', '2', 0);
    await step(1000);
    expect((await mails()).map((m) => m.agency).sort()).toEqual(['so-tu-phap', 'so-tu-phap', 'so-y-te']);
    expect(await listSilences(alerting.state, clock.now())).toHaveLength(4); // still listed, so they can be removed
  });

  it('a rule that fails is skipped with its name logged; the other rules still fire and mail', async () => {
    const config = parseCollectorConfig('/tmp/collector.yaml', {
      agencies: AGENCIES,
      alerts: {
        groupWait: '0s',
        rules: [
          { name: 'target_down', for: '0s' },
          { name: 'broken', measurement: 'tcp', field: 'up', op: '==', threshold: 0, severity: 'warning', summary: { vi: 'x', en: 'x' } },
        ],
      },
    });
    const broken = config.alerting.alerts.rules.find((r) => r.name === 'broken')!;
    broken.compiled = [{ label: 'target', test: () => { throw new Error('boom'); } }];
    const state = await openState();
    const clock = new ManualClock(Date.parse('2026-11-27T03:00:00Z'));
    const errors: object[] = [];
    const log = { warn: () => {}, error: (o: object) => errors.push(o) };
    const alerting = startAlerting({ state, settings: config.alerting.alerts, agencies: config.agencies, clock, timers: false, log });
    for (let i = 0; i < 3; i++) {
      alerting.observe({ id: 'pc', agency: 'so-y-te' }, [{ measurement: 'tcp', tags: { target: '127.0.0.1', port: String(i + 1), result: 'refused', agency: 'so-y-te', agent: 'pc' }, fields: { up: 0 }, time: new Date(clock.now()).toISOString() }]);
    }
    clock.advance(1000);
    await alerting.tick();
    expect((await listAlerts(alerting.state)).map((a) => a.rule)).toEqual(['target_down', 'target_down', 'target_down']);
    expect((await listNotifications(alerting.state)).filter((n) => n.status === 'queued')).toHaveLength(1);
    expect(errors).toEqual([expect.objectContaining({ rule: 'broken' })]); // once, not once per sample
  });
});

describeEachStateDriver('alert engine and notifier (manual clock): silent agents, storms', (openState) => {
  it('agent silent after 3 of its status intervals', async () => {
    const { alerting, step, clock, mails } = await setup(openState, { groupWait: '0s' });
    const status = () =>
      alerting.observe({ id: 'pc-1', agency: 'so-y-te' }, [
        { measurement: 'agent_status', tags: { version: '1', host: 'pc-1.local', agency: 'so-y-te', agent: 'pc-1' }, fields: { queue_samples: 0, dropped_samples: 0, cycle_ms: 1, rss_bytes: 1 }, time: new Date(clock.now()).toISOString() },
      ]);
    for (let i = 0; i < 4; i++) {
      status();
      await step(60_000);
    }
    expect(await mails()).toHaveLength(0);
    await step(61_000);
    await step(60_000); // 3 min since the last status + a tick
    expect(await mails()).toHaveLength(1);
    expect((await mails())[0].subject).toBe('[NGHIÊM TRỌNG][Sở Y tế] Agent pc-1.local ngừng gửi dữ liệu');
    status();
    await step(1000);
    expect((await mails())[1].subject).toBe('[ĐÃ KHẮC PHỤC][Sở Y tế] Agent pc-1.local ngừng gửi dữ liệu');
    for (let i = 0; i < 3; i++) {
      status();
      await step(60_000);
    }
    await step(61_000);
    await step(60_000); // silent again: a second episode
    expect((await mails()).map((m) => m.subject.slice(0, 16))).toEqual(['[NGHIÊM TRỌNG][S', '[ĐÃ KHẮC PHỤC][S', '[NGHIÊM TRỌNG][S']);
  });

  it('a revoked agent is not called silent', async () => {
    const { alerting, step, clock, mails, state } = await setup(openState, { groupWait: '0s' });
    for (let i = 0; i < 3; i++) {
      alerting.observe({ id: 'pc-2', agency: 'so-y-te' }, [
        { measurement: 'agent_status', tags: { version: '1', agency: 'so-y-te', agent: 'pc-2' }, fields: { queue_samples: 0, dropped_samples: 0, cycle_ms: 1, rss_bytes: 1 }, time: new Date(clock.now()).toISOString() },
      ]);
      await step(60_000);
    }
    await sql`INSERT INTO agents (id, agency, hostname, token_hash, created_at, revoked_at) VALUES ('pc-2', 'so-y-te', 'pc-2', 'x', 0, ${clock.now()})`.execute(state.db);
    for (let i = 0; i < 10; i++) await step(60_000);
    expect(await mails()).toHaveLength(0);
  });

  it('storm control: past maxMails a recipient gets one summary instead', async () => {
    const { tcp, step, mails } = await setup(openState, { groupWait: '0s', storm: { maxMails: 3, window: '10m' }, rules: [{ name: 'target_down', for: '0s', resolveAfter: '0s' }] });
    for (let i = 0; i < 8; i++) {
      tcp('so-y-te', String(100 + i), 0);
      await step(1000);
    }
    const toIt = async () => (await mails()).filter((m) => m.recipients.includes('it@soyte.example.vn'));
    expect(await toIt()).toHaveLength(3);
    await step(10 * 60_000);
    const summaries = (await toIt()).filter((m) => m.kind === 'storm-summary');
    expect(summaries).toHaveLength(1);
    expect(summaries[0].subject).toBe('[TỔNG HỢP] 5 thư cảnh báo bị gộp do quá nhiều thư');
  });
});

describeEachStateDriver('history retention (alerts.historyRetention)', (openState) => {
  it('deletes resolved alerts, final mails with their attachments, the mail log and ended silences past the retention; keeps what is still in play', async () => {
    const { alerting, clock } = await setup(openState, { historyRetention: '62d' });
    const store = alerting.store;
    const day = 86_400_000;
    const now = clock.now();
    const old = now - 100 * day;
    const resolvedAlert = async (resolvedAt: number) => {
      const { id } = (await store.openAlert({ fingerprint: `fp-${resolvedAt}`, rule: 'target_down', severity: 'critical', agency: 'so-y-te', labels: {}, activeSince: resolvedAt - 1000 })).row;
      await store.update(id, { state: 'resolved', resolved_at: resolvedAt });
      await store.addEvent(id, 'resolved', 'so-y-te', resolvedAt);
      return id;
    };
    const oldAlert = await resolvedAlert(old);
    const recentAlert = await resolvedAlert(now - day);
    const stillFiring = (await store.openAlert({ fingerprint: 'fp-firing', rule: 'target_down', severity: 'critical', agency: 'so-y-te', labels: {}, activeSince: old })).row.id;
    const mail = (status: 'sent' | 'queued', at: number) =>
      store.addNotification({ agency: 'so-y-te', kind: 'report', recipients: ['a@example.vn'], subject: 's', alertIds: [], text: 't', status, attachments: [{ filename: 'r.csv', contentType: 'text/csv', content: Buffer.from('x') }] }, at);
    const oldSent = await mail('sent', old);
    const oldQueued = await mail('queued', old);
    const recentSent = await mail('sent', now - day);
    await store.logMail('a@example.vn', oldSent, old, false);
    await store.logMail('b@example.vn', oldSent, old, true); // held, not yet summarized: still in play
    await addSilence(alerting.state.db, { matchers: { agency: 'so-y-te' }, startsAt: old, endsAt: old + day, reason: 'bảo trì cũ', author: 'admin' }, old);
    const current = await addSilence(alerting.state.db, { matchers: { agency: 'so-y-te' }, startsAt: now, endsAt: now + day, reason: 'bảo trì', author: 'admin' }, now);

    expect(await pruneAlertHistory(alerting.state, now - 62 * day)).toEqual({ alerts: 1, notifications: 1, mailLog: 1, silences: 1, events: 0 });

    expect(await store.get(oldAlert)).toBeUndefined();
    expect(await store.get(recentAlert)).toBeDefined();
    expect(await store.get(stillFiring)).toBeDefined();
    expect(await store.notification(oldSent)).toBeUndefined();
    expect(await attachmentsOf(alerting.state, oldSent)).toEqual([]);
    expect(await store.notification(oldQueued)).toBeDefined();
    expect(await attachmentsOf(alerting.state, oldQueued)).toHaveLength(1);
    expect(await store.notification(recentSent)).toBeDefined();
    expect((await sql`SELECT recipient FROM mail_log WHERE at < ${now - 62 * day}`.execute(alerting.state.db)).rows).toEqual([{ recipient: 'b@example.vn' }]);
    expect((await listSilences(alerting.state, now, { includeEnded: true })).map((s) => s.id)).toEqual([current.id]);
    expect((await sql`SELECT COUNT(*) AS n FROM alert_events WHERE alert_id = ${oldAlert}`.execute(alerting.state.db)).rows).toEqual([{ n: 0 }]);

    // The alerting timer prunes on its first round and then hourly, with the configured retention.
    const another = await resolvedAlert(now - 70 * day);
    await alerting.tick();
    expect(await store.get(another)).toBeUndefined();
    expect(await store.get(recentAlert)).toBeDefined();
  });

  it('refuses a retention shorter than two months, naming the key', async () => {
    await expect(setup(openState, { historyRetention: '30d' })).rejects.toThrow(/alerts\.historyRetention/);
  });
});

// SQLite only: PostgreSQL never held a fingerprint with a NUL (it cannot), so it has no old state to upgrade.
it('an alert stored before fingerprints lost their NUL is, after the upgrade, the same alert: taken over and resolved once', async () => {
  const db = new Database(':memory:');
  migrate(db, FINGERPRINT_SEPARATOR_VERSION - 1);
  db.prepare(`INSERT INTO agencies (id, name, level) VALUES ('so-y-te', 'Sở Y tế', 'department')`).run();
  const clock = new ManualClock(Date.parse('2026-11-27T03:00:00Z'));
  const old = ['target_down', 'so-y-te', 'so-y-te-pc', 'port=5', 'target=127.0.0.1'];
  const labels = JSON.stringify({ target: '127.0.0.1', port: '5', agency: 'so-y-te', agent: 'so-y-te-pc', measurement: 'tcp', rule: 'target_down', severity: 'critical' });
  const t0 = clock.now() - 600_000;
  db.prepare(`INSERT INTO alerts (fingerprint, rule, severity, agency, agent, labels, value, state, active_since, fired_at, last_notified_at)
    VALUES (?, 'target_down', 'critical', 'so-y-te', 'so-y-te-pc', ?, 0, 'firing', ?, ?, ?)`).run(old.join('\u0000'), labels, t0, t0, t0);
  db.prepare(`INSERT INTO alerts (fingerprint, rule, severity, agency, labels, state, active_since, resolved_at) VALUES (?, 'agent_silent', 'critical', 'so-y-te', '{}', 'resolved', 0, 1)`).run('agent_silent\u0000so-y-te\u0000pc-1');
  migrate(db);
  const fingerprints = (db.prepare('SELECT fingerprint FROM alerts ORDER BY id').all() as { fingerprint: string }[]).map((r) => r.fingerprint);
  expect(fingerprints).toEqual([old.join(FINGERPRINT_SEPARATOR), ['agent_silent', 'so-y-te', 'pc-1'].join(FINGERPRINT_SEPARATOR)]);

  const config = parseCollectorConfig('/tmp/collector.yaml', { agencies: AGENCIES.slice(0, 1), alerts: { groupWait: '0s', rules: [{ name: 'target_down', for: '0s', resolveAfter: '60s' }] } });
  const alerting = startAlerting({ state: sqliteStateSql(db), settings: config.alerting.alerts, agencies: config.agencies, clock, timers: false });
  const tcp = (up: number) =>
    alerting.observe({ id: 'so-y-te-pc', agency: 'so-y-te' }, [{ measurement: 'tcp', tags: { target: '127.0.0.1', port: '5', result: up ? 'ok' : 'refused', agency: 'so-y-te', agent: 'so-y-te-pc' }, fields: { up }, time: new Date(clock.now()).toISOString() }]);
  tcp(0); // before the first round: the new key must meet the stored row, not open a second one
  clock.advance(1000);
  await alerting.tick();
  expect((await alerting.store.open()).map((a) => [a.id, a.state])).toEqual([[1, 'firing']]);
  tcp(1);
  for (let i = 0; i < 7; i++) {
    clock.advance(10_000);
    tcp(1);
    await alerting.tick();
  }
  expect(await alerting.store.open()).toEqual([]);
  const sent = (await listNotifications(alerting.state)).filter((n) => n.status === 'queued');
  expect(sent.map((n) => n.subject)).toEqual(['[ĐÃ KHẮC PHỤC][Sở Y tế] Mất kết nối tới 127.0.0.1:5']);
  await alerting.close();
  db.close();
});
