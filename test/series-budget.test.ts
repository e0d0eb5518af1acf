// Issue 15, finding 3: one agent must not exhaust InfluxDB's series index for every agency, and a write
// InfluxDB refuses in part is never acknowledged as stored. Real influxd (with a low max-values-per-tag,
// as the province's InfluxDB had) and a real collector.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { listAlerts } from '../collector/alerts/alert-queries.ts';
import { waitFor } from './support/agent.ts';
import { startTestCollector, TEST_AGENCIES, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';

const skip = missing({ commands: ['influxd'] });

const ping = (target: string) => ({ measurement: 'ping', tags: { target, result: 'ok' }, fields: { up: 1, sent: 3, received: 3, loss_percent: 0 }, time: new Date().toISOString() });

interface Answer {
  status: number;
  body: { accepted: number; rejected: { index: number; reason: string }[]; refusedByStore?: { samples: number; reason: string } };
}

async function send(tc: TestCollector, token: string, samples: unknown[]): Promise<Answer> {
  const res = await fetch(`${tc.url}/api/v1/samples`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ samples }) });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

const targets = (prefix: string, from: number, count: number) => Array.from({ length: count }, (_, i) => ping(`${prefix}-${from + i}`));

async function readyz(tc: TestCollector): Promise<Record<string, any>> {
  return (await (await fetch(`${tc.url}/readyz`)).json()) as Record<string, any>;
}

describe.skipIf(skip)('series budget per agent (real influxd with max-values-per-tag = 3000)', () => {
  let influx: Influxd;
  let tc: TestCollector;
  const db = () => tc.config.influx.database;

  beforeAll(async () => {
    // The province's limit, scaled down: without a budget one agent's 5,000 targets fill it.
    influx = await startInfluxd({ data: { 'max-values-per-tag': 3000 } });
    const agencies = TEST_AGENCIES.map((a) => (a.id === 'ubnd-cang-long' ? { ...a, seriesBudget: 3 } : a));
    tc = await startTestCollector(influx.url, { extra: { agencies }, start: { statusIntervalMs: 250 } });
  }, 60_000);
  afterAll(async () => {
    await tc?.close();
    await influx?.stop();
  });

  it("refuses one agent's series past its budget with a reason, while another agency's samples keep arriving", async () => {
    const noisy = await tc.enrolAgent('so-y-te', 'pc-noisy');
    const other = await tc.enrolAgent('so-tu-phap', 'pc-other');
    const answers: Answer[] = [];
    for (let from = 0; from < 5000; from += 1000) answers.push(await send(tc, noisy.token, targets('10.9.0', from, 1000)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 400, 400, 400]);
    expect(answers.map((a) => a.body.accepted)).toEqual([1000, 1000, 0, 0, 0]);
    expect(answers[2].body.rejected).toHaveLength(1000);
    expect(answers[2].body.rejected[0]).toEqual({
      index: 0,
      reason: 'ping: series budget exceeded: this agent already sends 2000 distinct tag sets of "ping" (the budget of agency so-y-te); a new one is refused',
    });
    // A series the agent already has still passes, and so do the valid samples of a mixed batch.
    const mixed = await send(tc, noisy.token, [ping('10.9.0-5'), ping('10.9.0-new')]);
    expect(mixed).toMatchObject({ status: 400, body: { accepted: 1, rejected: [{ index: 1 }] } });

    // Another agency's agent adds new series: InfluxDB still takes them.
    const fresh = await send(tc, other.token, targets('10.20.0', 0, 10));
    expect(fresh).toEqual({ status: 200, body: { accepted: 10, rejected: [] } });
    const stored = rows(await influx.query(`SELECT count("up") AS n FROM "ping" WHERE "agent" = '${other.agentId}'`, db()));
    expect(stored[0]?.n).toBe(10);
    const noisyStored = rows(await influx.query(`SELECT count("up") AS n FROM "ping" WHERE "agent" = '${noisy.agentId}'`, db()));
    expect(noisyStored[0]?.n).toBe(2001); // its 2,000 series, one of them twice

    // Counted: collector_status (InfluxDB), /readyz, and a per-agent refusal sample that raises an alert.
    const status = await waitFor(
      async () => rows(await influx.query('SELECT last("samples_over_budget") AS n FROM "collector_status"', db())).find((r) => r.n === 3001),
      { what: 'collector_status.samples_over_budget', timeoutMs: 10_000 },
    );
    expect(status.n).toBe(3001);
    const ready = await readyz(tc);
    expect(ready.ingest.samplesOverBudget).toBe(3001);
    expect(ready.checks.seriesBudget.ok).toBe(false);
    expect(ready.checks.seriesBudget.detail).toContain(`${noisy.agentId} (so-y-te) ping 2000/2000`);
    expect(ready.seriesBudget.agentsRefused[0]).toMatchObject({ agent: noisy.agentId, agency: 'so-y-te', measurement: 'ping', budget: 2000, refused: 3001 });
    await waitFor(async () => rows(await influx.query(`SELECT sum("refused_samples") AS n FROM "collector_refusals" WHERE "agent" = '${noisy.agentId}' AND "reason" = 'series_budget'`, db()))[0]?.n === 3001, {
      what: 'collector_refusals for the noisy agent',
      timeoutMs: 10_000,
    });
    const alert = await waitFor(async () => (await listAlerts(tc.collector.state, { state: 'active' })).find((a) => a.rule === 'samples_refused' && a.agent === noisy.agentId), { what: 'samples_refused alert', timeoutMs: 10_000 });
    expect(alert).toMatchObject({ agency: 'so-y-te', labels: expect.objectContaining({ reason: 'series_budget' }) });
    expect((await listAlerts(tc.collector.state, { state: 'active' })).filter((a) => a.rule === 'samples_refused' && a.agent === other.agentId)).toEqual([]);
  }, 60_000);

  it("an agency's own budget (agencies[].seriesBudget) replaces the default", async () => {
    const small = await tc.enrolAgent('ubnd-cang-long', 'pc-small');
    const res = await send(tc, small.token, targets('10.30.0', 0, 5));
    expect(res.status).toBe(400);
    expect(res.body.accepted).toBe(3);
    expect(res.body.rejected.map((r) => r.index)).toEqual([3, 4]);
    expect(res.body.rejected[0].reason).toContain('already sends 3 distinct tag sets of "ping" (the budget of agency ubnd-cang-long)');
    // Another measurement has its own budget.
    const tcp = { measurement: 'tcp', tags: { target: '127.0.0.1', port: '22', result: 'ok' }, fields: { up: 1 }, time: new Date().toISOString() };
    expect((await send(tc, small.token, [tcp])).status).toBe(200);
  });
});

describe.skipIf(skip)('a write InfluxDB refuses in part (real influxd with max-values-per-tag = 20)', () => {
  let influx: Influxd;
  let tc: TestCollector;
  const db = () => tc.config.influx.database;

  beforeAll(async () => {
    influx = await startInfluxd({ data: { 'max-values-per-tag': 20 } });
    tc = await startTestCollector(influx.url, { start: { statusIntervalMs: 250 } });
  }, 60_000);
  afterAll(async () => {
    await tc?.close();
    await influx?.stop();
  });

  it('is not acknowledged as stored: 207 with the refused count, dead-lettered, counted, alerted', async () => {
    const a = await tc.enrolAgent('so-y-te', 'pc-a');
    expect((await send(tc, a.token, targets('10.1.0', 0, 25))).status).toBe(200);
    // InfluxDB's index for "target" is now past its limit: new values are dropped, known ones stored.
    const res = await send(tc, a.token, [ping('10.1.0-0'), ...targets('10.1.1', 0, 5)]);
    expect(res.status).toBe(207);
    expect(res.body).toMatchObject({ accepted: 1, rejected: [], refusedByStore: { samples: 5, reason: expect.stringContaining('max-values-per-tag limit exceeded') } });

    const dir = join(tc.config.dataDir, 'deadletter');
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const text = readFileSync(join(dir, files[0]), 'utf8');
    expect(text).toMatch(/^# \d{4}-\d\d-\d\dT[\d:.]+Z samples=6 refused=5 reason: InfluxDB write failed \(400\): .*partial write: max-values-per-tag limit exceeded/);
    expect(text.split('\n').filter((l) => l.startsWith('ping,'))).toHaveLength(6);
    expect(text).toContain('target=10.1.1-4');

    const status = await waitFor(async () => rows(await influx.query('SELECT last("points_refused") AS n, last("deadletter_bytes") AS b FROM "collector_status"', db())).find((r) => r.n === 5), {
      what: 'collector_status.points_refused',
      timeoutMs: 10_000,
    });
    expect(status.b).toBe(Buffer.byteLength(text));
    const ready = await readyz(tc);
    expect(ready.ingest.pointsRefused).toBe(5);
    expect(ready.checks.deadLetter).toMatchObject({ ok: false, detail: expect.stringContaining('InfluxDB refused 5 samples') });
    const alert = await waitFor(async () => (await listAlerts(tc.collector.state, { state: 'active' })).find((x) => x.rule === 'samples_refused' && x.agent === a.agentId), { what: 'samples_refused alert', timeoutMs: 10_000 });
    expect(alert.labels.reason).toBe('influxdb');
  }, 60_000);
});
