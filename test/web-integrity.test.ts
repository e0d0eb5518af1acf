// Web integrity end to end: the real agent crawls a loopback portal (`once --json`), its samples go
// through a real collector into a real influxd, the inventory answers the API, the CLI and the console,
// and the alert mails (URL, evidence, what to do first) arrive in a real SMTP server on loopback.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken } from '../collector/state/admin-tokens.ts';
import { createUser } from '../collector/state/users.ts';
import type { WireSample } from '../protocol/index.ts';
import { rows, startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { startMailServer, type MailServer } from '../scripts/lib/mail-server.ts';
import { AGENT_BIN, COLLECTOR_BIN, runCli, waitFor, writeYaml } from './support/agent.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';
import { startOffsite, startWebSite, type WebSite } from './support/web-site.ts';

const skip = missing({ commands: ['influxd'] });
const NAME = 'Cổng thông tin điện tử tỉnh';

describe.skipIf(skip)('web integrity end to end (real agent, collector, influxd and SMTP server)', () => {
  let influx: Influxd;
  let smtp: MailServer;
  let tc: TestCollector;
  let site: WebSite;
  let offsite: { url: string; close: () => Promise<void> };
  let dir: string;
  let agentToken: string;
  let operator: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canhgac-web-e2e-'));
    [influx, smtp, offsite] = await Promise.all([startInfluxd(), startMailServer(), startOffsite()]);
    site = await startWebSite({ offsite: offsite.url });
    tc = await startTestCollector(influx.url, {
      extra: {
        alerts: { evaluationInterval: '100ms', groupWait: '300ms', securityTeam: ['soc@canhgac.example.vn'], consoleUrl: 'https://canhgac.example.vn' },
        smtp: { host: '127.0.0.1', port: smtp.port, secure: false, starttls: false, from: 'Canh Gác <canhgac@canhgac.example.vn>', maxBackoff: '1s', timeout: '2s' },
      },
    });
    agentToken = (await tc.enrolAgent('so-y-te', 'may-soyte')).token;
    operator = await createAdminToken(tc.collector.state, 'web-ops', 'operator');
  }, 60_000);

  afterAll(async () => {
    await tc?.close();
    await smtp?.stop();
    await influx?.stop();
    await site?.close();
    await offsite?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The real agent's crawl, sent the way its sender would. */
  async function crawlAndSend(): Promise<WireSample[]> {
    const config = writeYaml(join(dir, 'agent.yaml'), {
      checks: [{ type: 'web_integrity', name: NAME, stateFile: join(dir, 'state.json'), sites: [{ url: site.url }] }],
    });
    const r = await runCli(AGENT_BIN, ['once', '--config', config, '--json'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const samples = JSON.parse(r.stdout) as WireSample[];
    const res = await fetch(`${tc.url}/api/v1/samples`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${agentToken}` }, body: JSON.stringify({ samples }) });
    expect(res.status, await res.clone().text()).toBe(200);
    return samples;
  }
  const api = async (path: string, token = operator) => {
    const res = await fetch(tc.url + path, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  type Finding = { kind: string; url: string; evidence: string; present: boolean; firstSeen: string; agency: string };

  it('a clean baseline, then injections: InfluxDB has the points, the inventory the findings, mails the URL and the evidence', async () => {
    await crawlAndSend();
    const clean = await api('/api/v1/web-findings?agency=so-y-te');
    expect(clean.status).toBe(200);
    expect(clean.json.findings).toEqual([]);
    expect((clean.json.sites as { site: string; up: boolean }[]).map((s) => [s.site, s.up])).toEqual([[`127.0.0.1:${site.port}`, true]]);

    Object.assign(site.scenario, { visibleSpam: true, searchRedirect: true, newScript: true });
    const sent = await crawlAndSend();
    const sentFindings = sent.filter((s) => s.measurement === 'web_finding');
    expect(sentFindings.map((s) => s.tags.kind).sort()).toEqual(['cloaking', 'new_script_domain', 'offsite_redirect', 'spam_keyword']);

    const points = rows(await influx.query(`SELECT "url", "evidence", "count", "kind", "agency" FROM "web_finding"`, tc.config.influx.database));
    expect(points).toHaveLength(4);
    expect(points.every((p) => p.agency === 'so-y-te')).toBe(true);
    const summary = rows(await influx.query(`SELECT last("pages_flagged") AS flagged, last("cloaked_pages") AS cloaked FROM "web_integrity" WHERE "agency" = 'so-y-te'`, tc.config.influx.database));
    expect(summary[0]).toMatchObject({ flagged: 3, cloaked: 1 });

    const { json } = await api('/api/v1/web-findings?agency=so-y-te');
    const findings = json.findings as Finding[];
    const spam = findings.find((f) => f.kind === 'spam_keyword')!;
    expect(spam.url).toBe(`${site.url.replace(/\/$/, '')}${site.paths.visibleSpam}`);
    expect(spam.evidence).toContain('nhà cái uy tín');
    expect(spam.present).toBe(true);

    // One mail per agency and group of recipients, led by the gambling content: the agency's contact gets
    // the four alerts (the warning too), the security team the three critical ones.
    const lead = `[NGHIÊM TRỌNG][Sở Y tế] Nội dung cờ bạc trên ${NAME}`;
    const contact = await waitFor(async () => smtp.mails.find((m) => m.to.includes('it@soyte.example.vn')), { what: 'alert mail to the agency', timeoutMs: 20_000 });
    expect(contact.subject).toBe(`${lead} (+3 cảnh báo khác)`);
    const soc = await waitFor(async () => smtp.mails.find((m) => m.to.includes('soc@canhgac.example.vn')), { what: 'alert mail to the security team', timeoutMs: 20_000 });
    expect(soc.subject).toBe(`${lead} (+2 cảnh báo khác)`);
    for (const text of [spam.url, 'nhà cái uy tín', 'Việc cần làm trước', `${offsite.url}/khuyen-mai`, 'Mã script từ tên miền lạ', '127.0.0.2']) expect(contact.text).toContain(text);
    expect(soc.text).not.toContain('Mã script từ tên miền lạ');
  }, 180_000);

  it('agency scope: another agency asking gets what a nonexistent agency gets; the CLI and the console list the same findings', async () => {
    const other = await createAdminToken(tc.collector.state, 'tuphap-viewer', 'viewer', 'so-tu-phap');
    const foreign = await api('/api/v1/web-findings?agency=so-y-te', other);
    const unknown = await api('/api/v1/web-findings?agency=khong-co', other);
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(foreign.json).toEqual({ error: 'not_found', message: 'no agency "so-y-te"' });
    expect(unknown.json).toEqual({ error: 'not_found', message: 'no agency "khong-co"' });
    expect(((await api('/api/v1/web-findings', other)).json.findings as unknown[]).length).toBe(0);

    const cli = await runCli(COLLECTOR_BIN, ['web-findings', '--config', tc.configFile, '--agency', 'so-y-te', '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const listed = JSON.parse(cli.stdout) as { findings: Finding[] };
    expect(listed.findings.map((f) => f.kind).sort()).toEqual(['cloaking', 'new_script_domain', 'offsite_redirect', 'spam_keyword']);
    const table = await runCli(COLLECTOR_BIN, ['web-findings', '--config', tc.configFile]);
    expect(table.stdout).toMatch(/FIRST SEEN +LAST SEEN +PRESENT +AGENCY +KIND +URL +EVIDENCE/);
    expect(table.stdout).toContain('4 finding(s), 4 present in the last crawl');

    await createUser(tc.collector.state, { name: 'xem', password: 'mat-khau-xem-1', role: 'viewer' });
    const login = await fetch(`${tc.url}/console/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: tc.url }, body: new URLSearchParams({ username: 'xem', password: 'mat-khau-xem-1' }).toString() });
    expect(login.status).toBe(303);
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const page = await (await fetch(`${tc.url}/console/web`, { headers: { cookie } })).text();
    expect(page).toContain('<h1>Toàn vẹn trang web</h1>');
    expect(page).toContain(site.paths.visibleSpam);
    expect(page).toContain('nhà cái uy tín');
    expect(page).toContain('Đang tồn tại: 4 · Tổng: 4');
  }, 120_000);

  it('after the clean-up the findings are gone from the last crawl but kept with when they were first seen', async () => {
    Object.assign(site.scenario, { visibleSpam: false, searchRedirect: false, newScript: false });
    const sent = await crawlAndSend();
    // One sample at 0 per kind that disappeared, so the alerts on them resolve.
    expect(sent.filter((s) => s.measurement === 'web_finding').map((s) => `${s.tags.kind} ${s.fields.count}`).sort()).toEqual(['cloaking 0', 'new_script_domain 0', 'offsite_redirect 0', 'spam_keyword 0']);
    const findings = (await api('/api/v1/web-findings?agency=so-y-te')).json.findings as Finding[];
    expect(findings).toHaveLength(4);
    expect(findings.every((f) => !f.present)).toBe(true);
    expect(((await api('/api/v1/web-findings?agency=so-y-te&present=true')).json.findings as unknown[]).length).toBe(0);
    const resolved = await waitFor(async () => smtp.mails.find((m) => m.subject.startsWith('[ĐÃ KHẮC PHỤC]')), { what: 'resolved mail', timeoutMs: 20_000 });
    expect(resolved.subject).toContain(`Nội dung cờ bạc trên ${NAME}`);
  }, 120_000);
});
