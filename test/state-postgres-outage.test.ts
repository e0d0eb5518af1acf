// A real collector (the `canhgac-collector` binary) with its state on a real PostgreSQL 15 that goes
// away while it runs: /readyz fails, ingest with a token it does not remember answers 503 with
// Retry-After (an agent keeps its samples), the API and console answer 503, nothing crashes; when
// PostgreSQL returns, the collector is ready again and takes samples.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../scripts/lib/influxd.ts';
import { startPostgres, type Postgres } from '../scripts/lib/postgres.ts';
import { COLLECTOR_BIN, runCli, startProcess, waitFor, writeYaml } from './support/agent.ts';
import { TEST_AGENCIES } from './support/collector.ts';
import { missing } from './support/require.ts';

const skip = missing({ postgres: true });

describe.skipIf(skip)('state on PostgreSQL: losing it while the collector runs', () => {
  let pg: Postgres;
  let dir: string;
  let file: string;
  let collector: ReturnType<typeof startProcess>;
  let url: string;

  beforeAll(async () => {
    pg = await startPostgres();
    const stateUrl = await pg.createDatabase('outage');
    dir = mkdtempSync(join(tmpdir(), 'canhgac-state-outage-'));
    // InfluxDB on a closed port: accepted samples go to the spool, which is all this test needs.
    const deadInflux = await freePort();
    file = writeYaml(join(dir, 'collector.yaml'), {
      listen: { host: '127.0.0.1', port: await freePort(), plainHttp: true },
      dataDir: join(dir, 'data'),
      influx: { url: `http://127.0.0.1:${deadInflux}` },
      agencies: TEST_AGENCIES,
      state: { driver: 'postgres', url: stateUrl, passwordFile: pg.passwordFile, statementTimeout: '5s' },
    });
    collector = startProcess(COLLECTOR_BIN, ['serve', '--config', file]);
    url = await waitFor(async () => /collector listening on (\S+)/.exec(collector.output())?.[1], { timeoutMs: 30_000, what: 'the collector to listen' });
  }, 90_000);

  afterAll(async () => {
    await collector?.stop();
    await pg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (...args: string[]) => {
    const r = await runCli(COLLECTOR_BIN, [...args, '--config', file], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  const enrol = async (hostname: string) => {
    const code = await cli('enroll-code', '--agency', 'so-y-te');
    const res = await fetch(`${url}/api/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, hostname, version: 'test' }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  };
  const post = (token: string) =>
    fetch(`${url}/api/v1/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ samples: [{ measurement: 'tcp', tags: { target: '127.0.0.1', port: '443', result: 'ok' }, fields: { up: 1, connect_ms: 0.4 }, time: new Date().toISOString() }] }),
      signal: AbortSignal.timeout(15_000),
    });
  const readyz = async () => {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json()) as { ready: boolean; checks: { state: { ok: boolean; detail?: string } } } };
  };

  it('503 with Retry-After while PostgreSQL is away, samples again once it is back, the process alive throughout', async () => {
    // Enrolment codes and an API token made by the CLI on the same config: it opens the same PostgreSQL.
    const cached = await enrol('pc-cached');
    const uncached = await enrol('pc-uncached');
    const apiToken = await cli('token', 'create', '--name', 'outage-test', '--role', 'viewer');
    const first = await post(cached);
    expect(first.status, await first.clone().text()).toBe(200);
    expect((await readyz()).status).toBe(200);
    expect(existsSync(join(dir, 'data', 'state.db')), 'no SQLite state beside a PostgreSQL one').toBe(false);

    await pg.pause();
    const t0 = Date.now();
    // The token checked a moment ago is remembered (5 s): the hot path does not need the database.
    expect((await post(cached)).status).toBe(200);

    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.checks.state.ok).toBe(false);

    // A token not remembered must be asked of the database: 503 with Retry-After and a reason, not 500.
    const refused = await post(uncached);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(await refused.json()).toEqual({ error: 'state_unavailable', message: 'the state database cannot be reached; retry in 10 s' });

    // The operator API and the console: 503 too.
    const api = await fetch(`${url}/api/v1/alerts`, { headers: { authorization: `Bearer ${apiToken}` } });
    expect(api.status).toBe(503);
    expect(((await api.json()) as { error: string }).error).toBe('state_unavailable');
    const page = await fetch(`${url}/console/`, { headers: { cookie: `canhgac_session=${'k'.repeat(43)}`, 'accept-language': 'en' }, redirect: 'manual' });
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('10');
    expect(await page.text()).toMatch(/không kết nối được cơ sở dữ liệu trạng thái|cannot reach its state database/);
    expect(Date.now() - t0, 'every answer came quickly, none waited on the database').toBeLessThan(15_000);

    expect(collector.child.exitCode).toBeNull();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    await pg.restart();
    await waitFor(async () => (await readyz()).status === 200, { timeoutMs: 20_000, what: '/readyz to be 200 again' });
    expect((await post(uncached)).status).toBe(200);
    expect((await fetch(`${url}/api/v1/alerts`, { headers: { authorization: `Bearer ${apiToken}` } })).status).toBe(200);

    expect(collector.child.exitCode).toBeNull();
    const log = collector.output();
    expect(log).not.toContain(pg.password);
    expect(log).not.toMatch(/unhandled|uncaught/i);
    expect(await collector.stop()).toBe(0);
  }, 60_000);
});
