import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateEntry, WireSample } from '../protocol/index.ts';
import { certFileCheck } from '../agent/checks/cert_file/index.ts';
import { tlsCheck } from '../agent/checks/tls/index.ts';
import { createLogger } from '../agent/log.ts';
import { SampleRecorder } from '../agent/recorder.ts';
import { listCerts } from '../collector/cli/certs.ts';
import { main } from '../collector/cli/index.ts';
import { createAdminToken } from '../collector/state/admin-tokens.ts';
import { rows, startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { COLLECTOR_BIN, runCli } from './support/agent.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { makePki, type Pki } from './support/pki.ts';
import { missing } from './support/require.ts';
import { closedPort, startTlsServer, type Running } from './support/tls-servers.ts';

const skip = missing({ commands: ['influxd', 'openssl'] });

/**
 * The province-wide certificate inventory with real parts: certificates read by the real tls and
 * cert_file checks from TLS servers and files made with openssl, sent by enrolled agents to a real
 * collector (influxd behind it), then listed through the operator API and the CLI.
 */
describe.skipIf(skip)('certificate inventory: agents → collector → API and CLI', () => {
  let pki: Pki;
  let influx: Influxd;
  let tc: TestCollector;
  const servers: Record<string, Running> = {};
  const tokens: Record<string, string> = {};
  let viewer: string;
  let scoped: string;
  let downPort: number;
  const log = createLogger({ write: () => {} });

  const api = (path: string, token?: string) => fetch(tc.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const list = async (query = '', token = viewer): Promise<CertificateEntry[]> => {
    const res = await api(`/api/v1/certificates${query}`, token);
    expect(res.status).toBe(200);
    return ((await res.json()) as { certificates: CertificateEntry[] }).certificates;
  };
  const send = async (agency: string, samples: WireSample[]) => {
    const res = await fetch(`${tc.url}/api/v1/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[agency]}` },
      body: JSON.stringify({ samples }),
    });
    expect(res.status).toBe(200);
  };
  const tlsSamples = async (targets: string[]) => {
    const recorder = new SampleRecorder();
    await tlsCheck.run(
      { type: 'tls', interval: '1h', timeout: '5s', intervalMs: 3_600_000, timeoutMs: 5000, targets, ca: pki.rootFile, legacyCheck: true, concurrency: 32 },
      { recorder, signal: new AbortController().signal, log },
    );
    return recorder.samples;
  };
  const fileSamples = async (paths: string[]) => {
    const recorder = new SampleRecorder();
    await certFileCheck.run({ type: 'cert_file', interval: '6h', timeout: '60s', intervalMs: 21_600_000, timeoutMs: 60_000, paths }, { recorder, signal: new AbortController().signal, log });
    return recorder.samples;
  };
  const at = (name: string) => `127.0.0.1:${servers[name].port}`;

  beforeAll(async () => {
    [pki, influx] = await Promise.all([makePki(), startInfluxd()]);
    tc = await startTestCollector(influx.url);
    for (const name of ['good', 'expired', 'd6', 'shortChain', 'selfSigned'] as const) {
      servers[name] = await startTlsServer({ key: pki.leaves[name].key, cert: pki.leaves[name].chainPem });
    }
    downPort = await closedPort();
    for (const agency of ['so-y-te', 'so-tu-phap']) tokens[agency] = (await tc.enrolAgent(agency)).token;
    viewer = await createAdminToken(tc.collector.state, 'cert-viewer', 'viewer');
    scoped = await createAdminToken(tc.collector.state, 'tu-phap-viewer', 'viewer', 'so-tu-phap');

    await send('so-y-te', await tlsSamples(['good', 'expired', 'd6', 'shortChain', 'selfSigned'].map(at).concat(`127.0.0.1:${downPort}`)));
    writeFileSync(join(pki.dir, 'signing.pem'), pki.leaves.d29.cert + pki.intermediatePem);
    await send('so-tu-phap', await fileSamples([join(pki.dir, 'signing.pem')]));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.close()));
    await tc?.close();
    await influx?.stop();
    pki?.cleanup();
  });

  /**
   * Both leaves are made with 400 days: when they end in the same second the API orders them by
   * location (the port, random per run), otherwise by expiry.
   */
  const tiedByLocation = (...rows: [Date, unknown[]][]) =>
    rows
      .sort((a, b) => a[0].getTime() - b[0].getTime() || String(a[1][1]).localeCompare(String(b[1][1])))
      .map((r) => r[1]);

  it('lists every certificate of every agency, soonest expiry first, with where it was seen and its problems', async () => {
    const certs = await list();
    const summary = certs.map((c) => [c.agency, c.location, c.subject, c.problems]);
    expect(summary).toEqual([
      ['so-y-te', at('expired'), 'localhost', ['expired']],
      ['so-y-te', at('d6'), 'localhost', ['expiring']],
      // Its leaf has 400 days, but the intermediate it was sent with expires in 20.
      ['so-y-te', at('shortChain'), 'localhost', ['expiring']],
      ['so-tu-phap', join(pki.dir, 'signing.pem'), 'localhost', ['expiring']],
      ...tiedByLocation(
        [pki.leaves.good.notAfter, ['so-y-te', at('good'), 'localhost', []]],
        [pki.leaves.selfSigned.notAfter, ['so-y-te', at('selfSigned'), 'localhost', ['untrusted', 'self_signed']]],
      ),
      ['so-tu-phap', join(pki.dir, 'signing.pem'), 'Canh Gac Test Intermediate CA', []],
      // Never reached: no certificate, so no days left; listed last.
      ['so-y-te', `127.0.0.1:${downPort}`, undefined, ['unreachable']],
    ]);
    const days = certs.map((c) => c.daysLeft).filter((d): d is number => d !== undefined);
    expect(days).toEqual([...days].sort((a, b) => a - b));
    const expired = certs[0];
    expect(expired).toMatchObject({ agencyName: 'Sở Y tế', agentHostname: 'pc-so-y-te', kind: 'endpoint', issuer: 'Canh Gac Test Intermediate CA', serial: pki.leaves.expired.serial, result: 'ok' });
    expect(expired.daysLeft).toBeCloseTo(-3, 1);
    expect(expired.notAfter).toBe(pki.leaves.expired.notAfter.toISOString());
    const short = certs[2];
    expect(short.notAfter).toBe(pki.leaves.shortChain.notAfter.toISOString());
    expect(short.earliestNotAfter).toBe(pki.shortIntermediateNotAfter.toISOString());
    expect(certs.at(-1)).toMatchObject({ result: 'refused', error: expect.stringContaining('ECONNREFUSED') });
    expect(certs[3]).toMatchObject({ agencyName: 'Sở Tư pháp', kind: 'file', serial: pki.leaves.d29.serial });
  });

  it('filters by `expiring` and by agency; an agency-scoped token sees only its own agency', async () => {
    expect((await list('?expiring=30d')).map((c) => c.location)).toEqual([at('expired'), at('d6'), at('shortChain'), join(pki.dir, 'signing.pem')]);
    expect((await list('?expiring=7d')).map((c) => c.location)).toEqual([at('expired'), at('d6')]);
    expect((await list('?agency=so-tu-phap')).every((c) => c.agency === 'so-tu-phap')).toBe(true);
    const own = await list('', scoped);
    expect(own.map((c) => c.agency)).toEqual(['so-tu-phap', 'so-tu-phap']);
    expect((await api('/api/v1/certificates?agency=so-y-te', scoped)).status).toBe(403);
  });

  it('answers bad requests with a 4xx and a reason', async () => {
    expect((await api('/api/v1/certificates')).status).toBe(401);
    const bad = await api('/api/v1/certificates?expiring=soon', viewer);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toBe('expiring: expected a duration from 1h to 3650d such as 30d, got "soon"');
    expect((await api('/api/v1/certificates?agency=no-such-agency', viewer)).status).toBe(404);
    expect((await api('/api/v1/certificates?colour=red', viewer)).status).toBe(400);
  });

  it('the samples also reach InfluxDB with the agency tag', async () => {
    const r = rows(await influx.query(`SELECT "days_left","not_after_seconds","agency" FROM "raw"."tls_cert" WHERE "target" = '${at('shortChain')}'`, tc.config.influx.database));
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ agency: 'so-y-te', not_after_seconds: pki.shortIntermediateNotAfter.getTime() / 1000 });
  });

  it('a newer reading replaces an older one: a renewed file, an endpoint gone down keeps its last certificate', async () => {
    const file = join(pki.dir, 'signing.pem');
    writeFileSync(file, pki.leaves.good.cert);
    await send('so-tu-phap', await fileSamples([file]));
    const fileRows = (await list('?agency=so-tu-phap')).filter((c) => c.location === file);
    expect(fileRows.map((c) => c.serial)).toEqual([pki.leaves.good.serial]);

    await servers.good.close();
    await send('so-y-te', await tlsSamples([at('good')]));
    const good = (await list('?agency=so-y-te')).find((c) => c.location === at('good'))!;
    expect(good).toMatchObject({ result: 'refused', serial: pki.leaves.good.serial, problems: ['unreachable'] });
    expect(good.daysLeft).toBeGreaterThan(399);
  });

  it('`canhgac-collector certs --expiring 30d` prints the same list (real process, JSON) and a readable table', async () => {
    const r = await runCli(COLLECTOR_BIN, ['certs', '--config', tc.configFile, '--expiring', '30d', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const fromCli = (JSON.parse(r.stdout) as CertificateEntry[]).map((c) => [c.location, c.serial, c.problems]);
    expect(fromCli).toEqual((await list('?expiring=30d')).map((c) => [c.location, c.serial, c.problems]));

    let text = '';
    expect(await listCerts(tc.config, { expiring: '7d' }, (s) => (text += s))).toBe(0);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^DAYS\s+EXPIRES\s+AGENCY\s+WHERE\s+SUBJECT\s+ISSUER\s+PROBLEMS$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[2])).toEqual(['so-y-te', 'so-y-te']);
    expect(lines[1]).toMatch(/^-3\.0\s+\d{4}-\d{2}-\d{2}\s+so-y-te\s+127\.0\.0\.1:\d+\s+localhost\s+Canh Gac Test Intermediate CA\s+expired$/);

    expect(() => listCerts(tc.config, { expiring: 'soon' })).toThrow('--expiring: expected a duration from 1h to 3650d such as 30d, got "soon"');
    // The CLI turns it into a usage error: exit 2, nothing listed.
    expect(await main(['certs', '--config', tc.configFile, '--expiring', 'soon'])).toBe(2);
  });
});
