import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComplianceReport, WireSample } from '../protocol/index.ts';
import { SampleRecorder } from '../agent/recorder.ts';
import { realEnv } from '../agent/checks/security/env.ts';
import { DEFAULT_THRESHOLDS } from '../agent/checks/security/finding.ts';
import { fixture, recordedEnv } from '../agent/checks/security/fixtures/recorded-env.ts';
import { recordResults, runSuite } from '../agent/checks/security/suite.ts';
import type { Policy } from '../agent/checks/security/policy.ts';
import { createAdminToken } from '../collector/state/admin-tokens.ts';
import { rows, startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';

const skip = missing({ commands: ['influxd'] });

/**
 * The compliance view with real parts: security results produced by the agent's own suite (this
 * Linux machine for real; a recorded Vietnamese Windows for the second agency) are sent by enrolled
 * agents to a real collector with influxd behind it, then read through GET /api/v1/compliance.
 */
describe.skipIf(skip)('compliance: agents → collector → GET /api/v1/compliance', () => {
  let influx: Influxd;
  let tc: TestCollector;
  const tokens: Record<string, string> = {};
  let viewer: string;
  let scoped: string;
  const waiver = { id: 'linux.time_sync', reason: 'Máy ảo lấy giờ từ máy chủ vật lý', by: 'Lê Văn Cường', until: '2099-12-31' };

  const api = (path: string, token?: string) => fetch(tc.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const report = async (query = '', token = viewer): Promise<ComplianceReport> => {
    const res = await api(`/api/v1/compliance${query}`, token);
    expect(res.status).toBe(200);
    return (await res.json()) as ComplianceReport;
  };
  const send = async (agency: string, samples: WireSample[]) => {
    const res = await fetch(`${tc.url}/api/v1/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[agency]}` },
      body: JSON.stringify({ samples }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  };
  async function linuxRun(policy: Policy, at: Date): Promise<WireSample[]> {
    const results = await runSuite(realEnv(), { disable: ['linux.security_updates'], ...policy }, DEFAULT_THRESHOLDS, 60_000);
    const rec = new SampleRecorder();
    recordResults(rec, results, at);
    return rec.samples;
  }

  beforeAll(async () => {
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url);
    for (const agency of ['so-y-te', 'so-tu-phap']) tokens[agency] = (await tc.enrolAgent(agency)).token;
    viewer = await createAdminToken(tc.collector.state, 'compliance-viewer', 'viewer');
    scoped = await createAdminToken(tc.collector.state, 'so-y-te-it', 'viewer', 'so-y-te');
  }, 60_000);
  afterAll(async () => {
    await tc?.close();
    await influx?.stop();
  });

  it('refuses callers without an operator token, other agencies for a scoped token, unknown agencies', async () => {
    expect((await api('/api/v1/compliance')).status).toBe(401);
    expect((await api('/api/v1/compliance', tokens['so-y-te'])).status).toBe(401);
    expect((await api('/api/v1/compliance?agency=so-tu-phap', scoped)).status).toBe(403);
    const nf = await api('/api/v1/compliance?agency=khong-co', viewer);
    expect(nf.status).toBe(404);
    expect(await nf.json()).toMatchObject({ message: 'no agency "khong-co"' });
  });

  it('shows the latest score per agency and agent, failing checks with vi/en remediation, and waivers', async () => {
    const linux = await linuxRun({ waivers: [waiver] }, new Date(Date.now() - 60_000));
    await send('so-y-te', linux);
    const win = await runSuite(recordedEnv({ platform: 'win32', commands: { 'powershell.exe': fixture('windows/facts-vi-VN-win10-pro.json') } }), {}, DEFAULT_THRESHOLDS, 10_000);
    const rec = new SampleRecorder();
    recordResults(rec, win, new Date(Date.now() - 60_000));
    await send('so-tu-phap', rec.samples);

    const r = await report();
    expect(r.weights).toEqual({ low: 1, medium: 2, high: 4, critical: 8 });
    const yte = r.agencies.find((a) => a.id === 'so-y-te')!;
    const sentScore = linux.find((s) => s.measurement === 'security_score')!.fields;
    expect(yte.agents).toHaveLength(1);
    expect(yte.agents[0]).toMatchObject({ hostname: 'pc-so-y-te', scorePercent: sentScore.score_percent, passed: sentScore.passed, failed: sentScore.failed });
    expect(yte.scorePercent).toBe(sentScore.score_percent);
    // Whatever this machine's state, what failed is listed with its remediation, and nothing else is.
    const failedIds = linux.filter((s) => s.measurement === 'security' && (s.tags.status === 'fail' || s.tags.status === 'error')).map((s) => s.tags.check_id).sort();
    expect(yte.agents[0].failing.map((f) => f.checkId).sort()).toEqual(failedIds);
    // The time-sync waiver: on a host without time sync it is listed as a waiver, not as failing.
    const ts = linux.find((s) => s.tags.check_id === 'linux.time_sync')!;
    if (ts.tags.status === 'waived') {
      expect(yte.agents[0].waivers).toEqual([
        expect.objectContaining({ checkId: 'linux.time_sync', by: 'Lê Văn Cường', reason: waiver.reason, until: '2099-12-31', title: expect.objectContaining({ vi: expect.stringContaining('Đồng bộ thời gian') }) }),
      ]);
    }

    const tp = r.agencies.find((a) => a.id === 'so-tu-phap')!;
    expect(tp.scorePercent).toBe(0);
    const smb = tp.agents[0].failing.find((f) => f.checkId === 'windows.smb1')!;
    expect(smb).toMatchObject({ severity: 'high', status: 'fail', detail: 'SMB server accepts SMBv1 (EnableSMB1Protocol true)' });
    expect(smb.remediation.vi).toContain('Set-SmbServerConfiguration -EnableSMB1Protocol $false');
    expect(smb.title).toEqual({ vi: 'Đã tắt SMBv1', en: 'SMBv1 disabled' });
    // Worst first: the critical failures lead.
    expect(tp.agents[0].failing[0].severity).toBe('critical');

    // An agency with no agent reporting is listed, without a score.
    expect(r.agencies.find((a) => a.id === 'ubnd-cang-long')).toEqual({ id: 'ubnd-cang-long', name: 'UBND huyện Càng Long', scorePercent: null, agents: [] });
  }, 90_000);

  it('an agency-scoped token sees only its agency', async () => {
    const r = await report('', scoped);
    expect(r.agencies.map((a) => a.id)).toEqual(['so-y-te']);
  });

  it('a newer run replaces the view (a waiver removed shows the failure again; a disabled check disappears); an older replay does not', async () => {
    const newer = await linuxRun({ disable: ['linux.security_updates', 'linux.samba_smb1'] }, new Date());
    await send('so-y-te', newer);
    const agent = (await report('?agency=so-y-te')).agencies[0].agents[0];
    expect(agent.waivers).toEqual([]);
    const ts = newer.find((s) => s.tags.check_id === 'linux.time_sync')!;
    if (ts.tags.status === 'fail') expect(agent.failing.map((f) => f.checkId)).toContain('linux.time_sync');
    const ids = (await tc.collector.db!.prepare("SELECT check_id FROM security_results r JOIN agents a ON a.id = r.agent WHERE a.hostname = 'pc-so-y-te'").all()) as { check_id: string }[];
    expect(ids.map((x) => x.check_id)).not.toContain('linux.samba_smb1');
    expect(agent.measuredAt).toBe(newer[0].time);

    // The outbox replays an hour-old run: the view keeps the newer one.
    const old = await linuxRun({ waivers: [waiver] }, new Date(Date.now() - 3_600_000));
    await send('so-y-te', old);
    expect((await report('?agency=so-y-te')).agencies[0].agents[0].measuredAt).toBe(newer[0].time);
  }, 90_000);

  it('refuses a security result whose check id is not in the catalogue, with a reason; the rest of the batch is stored', async () => {
    const now = new Date().toISOString();
    const result = (check_id: string, extra: Record<string, string> = {}) => ({ measurement: 'security', tags: { check_id, severity: 'high', status: 'fail', ...extra }, fields: { pass: 0 }, time: now });
    const res = await fetch(`${tc.url}/api/v1/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens['so-tu-phap']}` },
      body: JSON.stringify({ samples: [result('made.up.check'), result('risky_ports'), result('risky_ports', { severity: 'urgent' }), result('risky_ports', { status: 'broken' })] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      accepted: 1,
      rejected: [
        { index: 0, reason: 'security: tag "check_id" "made.up.check" is not a check of the security check catalogue (protocol/security-checks.ts)' },
        { index: 2, reason: 'security: tag "severity" must be one of low, medium, high, critical, got "urgent"' },
        { index: 3, reason: 'security: tag "status" must be one of pass, fail, not_applicable, error, waived, got "broken"' },
      ],
    });
    const ids = (await tc.collector.db!.prepare("SELECT check_id FROM security_results WHERE agency = 'so-tu-phap'").all()) as { check_id: string }[];
    expect(ids.map((x) => x.check_id)).not.toContain('made.up.check');
    const stored = rows(await influx.query(`SHOW TAG VALUES FROM security WITH KEY = check_id`, tc.config.influx.database)).map((p) => p.value);
    expect(stored).not.toContain('made.up.check');
  });

  it('history is in InfluxDB: every run is there, with the status tag', async () => {
    const points = rows(await influx.query(`SELECT count(score_percent) AS n FROM security_score WHERE agency = 'so-y-te'`, tc.config.influx.database));
    expect(points[0].n).toBe(3);
    const statuses = rows(await influx.query(`SHOW TAG VALUES FROM security WITH KEY = status`, tc.config.influx.database)).map((p) => p.value);
    expect(statuses).toEqual(expect.arrayContaining(['fail', 'not_applicable']));
  });
});
