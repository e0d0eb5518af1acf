import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../collector/cli/index.ts';
import { attachmentsOf } from '../collector/alerts/queue-store.ts';
import { AlertStore } from '../collector/alerts/store.ts';
import { recordFinding } from '../collector/state/web-findings.ts';
import { recordAuthFinding } from '../collector/state/auth-findings.ts';
import { startReportMailer } from '../collector/report/schedule.ts';
import { influxClient, ROLLUP_RP } from '../collector/influx/setup.ts';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { COLLECTOR_BIN, runCli, waitFor } from './support/agent.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';

const skip = missing({ commands: ['influxd', 'chromium'] });

// October 2026 in Vietnam time (UTC+7): 2026-09-30T17:00Z .. 2026-10-31T17:00Z.
const START = Date.parse('2026-09-30T17:00:00Z');
const END = Date.parse('2026-10-31T17:00:00Z');
const H = 3_600_000;
const DAY = 86_400_000;
const MIN = 60_000;

async function inProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await main(argv);
    return { code, stdout: out.mock.calls.map((c) => String(c[0])).join(''), stderr: err.mock.calls.map((c) => String(c[0])).join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

function parseCsv(text: string): Record<string, string>[] {
  const lines = text.trim().split('\r\n');
  const cells = (line: string) => [...line.matchAll(/"((?:[^"]|"")*)"|([^,]+)/g)].map((m) => (m[1] ?? m[2]).replace(/""/g, '"'));
  const head = cells(lines[0]);
  return lines.slice(1).map((l) => Object.fromEntries(cells(l).map((c, i) => [head[i], c])));
}

/**
 * A synthetic month written straight into the `rollup_1h` retention policy (the report reads only the
 * roll-ups, and the collector's ingest refuses samples older than ingest.maxSampleAge, 7 days, while
 * the continuous queries only roll up recent hours) plus alerts in the store; every figure of the
 * report is compared with the value worked out by hand below.
 */
describe.skipIf(skip)('monthly report', () => {
  let influx: Influxd;
  let tc: TestCollector;
  let smtp: SMTPServer;
  const mails: string[] = [];

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      onData(stream, _s, cb) {
        let raw = '';
        stream.on('data', (d: Buffer) => (raw += d.toString('binary')));
        stream.on('end', () => {
          mails.push(raw);
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    const smtpPort = (smtp.server.address() as { port: number }).port;
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url, {
      extra: {
        smtp: { host: '127.0.0.1', port: smtpPort, starttls: false, from: 'Canh Gác <canhgac@example.vn>', maxBackoff: '1s' },
      },
    });

    const client = influxClient(tc.config.influx);
    const at = (ms: number) => new Date(ms);
    const p = (measurement: string, tags: Record<string, string>, fields: Record<string, number>, ms: number) => ({ measurement, tags, fields, timestamp: at(ms) });
    const points = [
      // Agencies reporting: so-y-te all month; so-tu-phap only at 00:30 on 1 October Vietnam time (still
      // 30 September in UTC); ubnd-cang-long only at 00:30 on 1 November Vietnam time (31 October in UTC).
      p('agent_status', { agency: 'so-y-te', agent: 'a1', version: '1' }, { cycle_ms: 10 }, START + 5 * DAY),
      p('agent_status', { agency: 'so-y-te', agent: 'a1', version: '1' }, { cycle_ms: 10 }, START + 20 * DAY),
      p('agent_status', { agency: 'so-tu-phap', agent: 'b1', version: '1' }, { cycle_ms: 10 }, START + 30 * MIN),
      p('agent_status', { agency: 'ubnd-cang-long', agent: 'c1', version: '1' }, { cycle_ms: 10 }, END + 30 * MIN),
      // Video-conference readiness (hourly means): endpoint A 9 of 10 hours ready; endpoint B 0.5, 1, 1, 0.75.
      ...Array.from({ length: 10 }, (_, i) => p('videoconf', { agency: 'so-y-te', agent: 'a1', endpoint: 'Phòng họp A' }, { ready: i === 3 ? 0 : 1 }, START + DAY + i * H)),
      ...[0.5, 1, 1, 0.75].map((v, i) => p('videoconf', { agency: 'so-y-te', agent: 'a1', endpoint: 'Hội trường' }, { ready: v }, START + 2 * DAY + i * H)),
      // Outside the month: must not count.
      p('videoconf', { agency: 'so-y-te', agent: 'a1', endpoint: 'Hội trường' }, { ready: 0 }, START - H),
      // Probes of so-y-te: ping 1,1,1,0 and tcp 1,0 → ping 75 %, tcp 50 %, all 4/6.
      ...[1, 1, 1, 0].map((v, i) => p('ping', { agency: 'so-y-te', agent: 'a1', target: '127.0.0.1', result: 'ok' }, { up: v }, START + 3 * DAY + i * H)),
      ...[1, 0].map((v, i) => p('tcp', { agency: 'so-y-te', agent: 'a1', target: '127.0.0.1', port: '443', result: 'ok' }, { up: v }, START + 3 * DAY + i * H)),
      // Certificates, against the end of the month: a expired, b renewed late in the month but still
      // within 30 days, c fine; a file of so-tu-phap 29 days after the end.
      p('tls_cert', { agency: 'so-y-te', agent: 'a1', target: 'a.example.vn:443', result: 'ok' }, { not_after_seconds: (END - DAY) / 1000 }, START + 10 * DAY),
      p('tls_cert', { agency: 'so-y-te', agent: 'a1', target: 'b.example.vn:443', result: 'ok' }, { not_after_seconds: (START - 5 * DAY) / 1000 }, START + 2 * DAY),
      p('tls_cert', { agency: 'so-y-te', agent: 'a1', target: 'b.example.vn:443', result: 'ok' }, { not_after_seconds: (END + 10 * DAY) / 1000 }, START + 25 * DAY),
      p('tls_cert', { agency: 'so-y-te', agent: 'a1', target: 'c.example.vn:443', result: 'ok' }, { not_after_seconds: (END + 60 * DAY) / 1000 }, START + 25 * DAY),
      p('cert_file', { agency: 'so-tu-phap', agent: 'b1', path: '/etc/ssl/portal.pem' }, { not_after_seconds: (END + 29 * DAY) / 1000 }, START + 12 * H),
      // Security score: so-y-te 80 and 90 in October (85), 70 in September (+15); so-tu-phap 50, nothing before.
      p('security_score', { agency: 'so-y-te', agent: 'a1' }, { score_percent: 80 }, START + 4 * DAY),
      p('security_score', { agency: 'so-y-te', agent: 'a1' }, { score_percent: 90 }, START + 14 * DAY),
      p('security_score', { agency: 'so-y-te', agent: 'a1' }, { score_percent: 70 }, START - 10 * DAY),
      p('security_score', { agency: 'so-tu-phap', agent: 'b1' }, { score_percent: 50 }, START + 4 * DAY),
      // WAN link of so-y-te's router (hourly means of oper_up): 1, 1, 1, 0.5 → 87.5 % over 4 hours; a LAN
      // port that was down (no wan tag) and an hour of the WAN link in September must not count.
      ...[1, 1, 1, 0.5].map((v, i) => p('net_interface', { agency: 'so-y-te', agent: 'a1', device: 'router-so-y-te', interface: 'ge-0/0/0', wan: '1' }, { oper_up: v }, START + 6 * DAY + i * H)),
      p('net_interface', { agency: 'so-y-te', agent: 'a1', device: 'router-so-y-te', interface: 'ge-0/0/5' }, { oper_up: 0 }, START + 6 * DAY),
      p('net_interface', { agency: 'so-y-te', agent: 'a1', device: 'router-so-y-te', interface: 'ge-0/0/0', wan: '1' }, { oper_up: 0 }, START - H),
    ];
    await client.writePoints(points, { retentionPolicy: ROLLUP_RP, database: tc.config.influx.database });

    // Incidents: critical x2 (acked after 10 and 20 min, one resolved after 60 min), warning x1
    // (resolved after 30 min, never acked), and a critical in November that must not count.
    const store = new AlertStore(tc.collector.state);
    const alert = async (severity: 'critical' | 'warning', firedAt: number, acked?: number, resolved?: number) => {
      const { id } = (await store.openAlert({ fingerprint: `f${firedAt}`, rule: 'target_down', severity, agency: 'so-y-te', labels: {}, activeSince: firedAt })).row;
      await store.update(id, { state: resolved ? 'resolved' : 'firing', fired_at: firedAt, resolved_at: resolved ?? null });
      if (acked) tc.collector.db!.prepare('UPDATE alerts SET acked_at = ?, acked_by = ? WHERE id = ?').run(acked, 'tester', id);
    };
    const t0 = START + 3 * DAY;
    await alert('critical', t0, t0 + 10 * MIN, t0 + 60 * MIN);
    await alert('critical', t0 + DAY, t0 + DAY + 20 * MIN);
    await alert('warning', t0 + 2 * DAY, undefined, t0 + 2 * DAY + 30 * MIN);
    await alert('critical', END + H, END + 2 * H);

    // Web integrity findings of so-y-te first seen in October: two spam pages and a cloaked page on one
    // site, spam on a second site; one first seen in September (seen again in October) does not count.
    const finding = async (site: string, kind: string, url: string, first: number, last = first) => {
      await recordFinding(tc.collector.state.db, { agent: 'a1', agency: 'so-y-te', site, kind, url, evidence: 'nhà cái', count: 1, time: first }, first);
      if (last !== first) await recordFinding(tc.collector.state.db, { agent: 'a1', agency: 'so-y-te', site, kind, url, evidence: 'nhà cái', count: 1, time: last }, last);
    };
    await finding('portal.example.vn', 'spam_keyword', 'http://portal.example.vn/a', t0);
    await finding('portal.example.vn', 'spam_keyword', 'http://portal.example.vn/b', t0 + DAY);
    await finding('portal.example.vn', 'cloaking', 'http://portal.example.vn/c', t0 + 2 * DAY);
    await finding('dvc.example.vn', 'spam_keyword', 'http://dvc.example.vn/x', t0 + 3 * DAY);
    await finding('portal.example.vn', 'spam_keyword', 'http://portal.example.vn/old', START - DAY, t0);

    // Intrusion signals (auth_events) of so-tu-phap that began in October: a brute force updated and ended
    // (one finding), spraying from the same address, a new admin; one begun in September does not count.
    const signal = (kind: string, source: string, first: number, count: number, time: number) =>
      recordAuthFinding(tc.collector.state.db, { agent: 'a2', agency: 'so-tu-phap', host: 'srv-tp', kind, service: 'ssh', source, users: 'root', count, firstSeen: first, lastSeen: Math.max(first, time - MIN), time }, time);
    await signal('brute_force', '203.0.113.5', t0, 10, t0 + MIN);
    await signal('brute_force', '203.0.113.5', t0, 40, t0 + 5 * MIN);
    await signal('brute_force', '203.0.113.5', t0, 0, t0 + 20 * MIN);
    await signal('password_spraying', '203.0.113.5', t0 + MIN, 6, t0 + 2 * MIN);
    await signal('new_admin', 'local', t0 + DAY, 1, t0 + DAY);
    await signal('brute_force', '203.0.113.9', START - DAY, 12, START - DAY + MIN);
  }, 60_000);

  afterAll(async () => {
    await tc?.close();
    await influx?.stop();
    await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
  });

  it('the CSV from the CLI carries every figure, worked out by hand, with its window and source', async () => {
    const res = await runCli(COLLECTOR_BIN, ['report', '--config', tc.configFile, '--month', '2026-10', '--format', 'csv']);
    expect(res.code, res.stderr).toBe(0);
    const rows = parseCsv(res.stdout);
    const v = (section: string, metric: string, agency = '', subject = '') => {
      const r = rows.find((x) => x.section === section && x.metric === metric && x.agency === agency && x.subject === subject);
      return r ? (r.value === '' ? null : Number(r.value)) : undefined;
    };
    expect(v('reporting', 'agencies_total')).toBe(3);
    expect(v('reporting', 'agencies_reporting')).toBe(2);
    expect(v('reporting', 'agencies_reporting_share')).toBe(66.67);
    expect(v('videoconf', 'availability', 'so-y-te', 'Phòng họp A')).toBe(90);
    expect(v('videoconf', 'availability', 'so-y-te', 'Hội trường')).toBe(81.25);
    expect(v('videoconf', 'hours_measured', 'so-y-te', 'Hội trường')).toBe(4);
    expect(v('probes', 'availability', 'so-y-te', 'ping')).toBe(75);
    expect(v('probes', 'availability', 'so-y-te', 'tcp')).toBe(50);
    expect(v('probes', 'availability', 'so-y-te', 'all')).toBe(66.67);
    expect(v('wan_links', 'availability', 'so-y-te', 'router-so-y-te ge-0/0/0')).toBe(87.5);
    expect(v('wan_links', 'hours_measured', 'so-y-te', 'router-so-y-te ge-0/0/0')).toBe(4);
    expect(rows.filter((r) => r.section === 'wan_links')).toHaveLength(2);
    expect(rows.find((r) => r.section === 'wan_links')!.query).toContain(`FROM "${ROLLUP_RP}"."net_interface" WHERE "wan" = '1'`);
    expect(v('certificates', 'expired', 'so-y-te')).toBe(1);
    expect(v('certificates', 'expiring_30d', 'so-y-te')).toBe(1);
    expect(v('certificates', 'expired', 'so-tu-phap')).toBe(0);
    expect(v('certificates', 'expiring_30d', 'so-tu-phap')).toBe(1);
    expect(v('security', 'score', 'so-y-te')).toBe(85);
    expect(v('security', 'score_previous_month', 'so-y-te')).toBe(70);
    expect(v('security', 'score_change', 'so-y-te')).toBe(15);
    expect(v('security', 'score', 'so-tu-phap')).toBe(50);
    expect(v('security', 'score_change', 'so-tu-phap')).toBe(null);
    expect(v('incidents', 'count', '', 'critical')).toBe(2);
    expect(v('incidents', 'mean_time_to_acknowledge', '', 'critical')).toBe(15);
    expect(v('incidents', 'mean_time_to_resolve', '', 'critical')).toBe(60);
    expect(v('incidents', 'count', '', 'warning')).toBe(1);
    expect(v('incidents', 'mean_time_to_acknowledge', '', 'warning')).toBe(null);
    expect(v('incidents', 'mean_time_to_resolve', '', 'warning')).toBe(30);
    expect(v('web_integrity', 'findings', 'so-y-te', 'all')).toBe(4);
    expect(v('web_integrity', 'findings', 'so-y-te', 'spam_keyword')).toBe(3);
    expect(v('web_integrity', 'findings', 'so-y-te', 'cloaking')).toBe(1);
    expect(v('web_integrity', 'findings', 'so-tu-phap', 'all')).toBeUndefined();
    expect(rows.find((r) => r.section === 'web_integrity')!.source).toBe('SQL');
    expect(v('intrusion_signals', 'findings', 'so-tu-phap', 'all')).toBe(3);
    expect(v('intrusion_signals', 'findings', 'so-tu-phap', 'brute_force')).toBe(1);
    expect(v('intrusion_signals', 'findings', 'so-tu-phap', 'password_spraying')).toBe(1);
    expect(v('intrusion_signals', 'findings', 'so-tu-phap', 'new_admin')).toBe(1);
    expect(v('intrusion_signals', 'findings', 'so-y-te', 'all')).toBeUndefined();
    expect(rows.find((r) => r.section === 'intrusion_signals')!.query).toContain(`FROM auth_findings WHERE first_seen >= ${START} AND first_seen < ${END}`);

    // Traceable: every row names its window and its query.
    for (const r of rows) {
      expect(['InfluxQL', 'SQL']).toContain(r.source);
      expect(r.query.length).toBeGreaterThan(10);
    }
    const vc = rows.find((r) => r.section === 'videoconf')!;
    expect([vc.window_start, vc.window_end]).toEqual(['2026-09-30T17:00:00.000Z', '2026-10-31T17:00:00.000Z']);
    expect(vc.query).toContain(`"${ROLLUP_RP}"."videoconf"`);
    const prev = rows.find((r) => r.metric === 'score_previous_month')!;
    expect(prev.window_start).toBe('2026-08-31T17:00:00.000Z');
    expect(rows.find((r) => r.section === 'incidents')!.source).toBe('SQL');
  }, 60_000);

  it('renders HTML with SVG charts and a PDF through headless chromium', async () => {
    // HTML and the bad-input case in process (the same main() as the binary); the PDF through a real process.
    const html = await inProcess(['report', '--config', tc.configFile, '--month', '2026-10', '--format', 'html']);
    expect(html.code, html.stderr).toBe(0);
    expect(html.stdout).toContain('2/3 cơ quan có dữ liệu trong tháng (66,67%)');
    expect(html.stdout).toMatch(/<svg [^>]*aria-label="Mức sẵn sàng của điểm cầu hội nghị truyền hình"/);
    expect(html.stdout).not.toMatch(/<script/i);
    expect(html.stdout).toMatch(/Toàn vẹn trang web[^<]*<\/h2><table><thead><tr><th>Cơ quan<\/th><th>Số phát hiện<\/th><th>Số trang web<\/th><th>Loại<\/th><\/tr><\/thead><tbody><tr><td>Sở Y tế<\/td><td>4<\/td><td>2<\/td><td>cloaking 1, spam_keyword 3<\/td>/);
    expect(html.stdout).toMatch(/Mức sẵn sàng của đường truyền WAN[^<]*<\/h2><table><thead><tr><th>Cơ quan<\/th><th>Thiết bị<\/th><th>Cổng<\/th><th>Sẵn sàng \(%\)<\/th><th>Số giờ có dữ liệu<\/th><\/tr><\/thead><tbody><tr><td>Sở Y tế<\/td><td>router-so-y-te<\/td><td>ge-0\/0\/0<\/td><td><span>87,5<\/span><\/td><td>4<\/td>/);
    const out = join(tc.dir, 'report.pdf');
    const pdf = await runCli(COLLECTOR_BIN, ['report', '--config', tc.configFile, '--month', '2026-10', '--format', 'pdf', '--out', out], { timeoutMs: 150_000 });
    expect(pdf.code, pdf.stderr).toBe(0);
    const bytes = readFileSync(out);
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(bytes.length).toBeGreaterThan(5000);
    const bad = await inProcess(['report', '--config', tc.configFile, '--month', '2026-13']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--month: expected YYYY-MM');
  }, 180_000);

  it('mails the previous month once, on the configured day, through the alerting mail queue', async () => {
    // The collector's own mailer has no recipients in this config (its timer would race the clock below);
    // this one, on the same state, is driven by hand. The collector's alerting pump delivers the mail.
    const mailer = startReportMailer({ state: tc.collector.state, influx: influxClient(tc.config.influx), settings: { recipients: ['lanh-dao@example.vn'], day: 1, hour: 7, locale: 'vi' }, timers: false });
    expect(await mailer.runOnce(Date.parse('2026-10-31T23:00:00Z'))).toBeUndefined(); // 1 Nov 06:00 VN: before 07:00
    expect(await mailer.runOnce(Date.parse('2026-11-01T00:30:00Z'))).toBe('2026-10');
    expect(await mailer.runOnce(Date.parse('2026-11-02T00:30:00Z'))).toBeUndefined(); // once per month
    expect(await tc.collector.reports.runOnce(Date.parse('2026-11-01T00:30:00Z'))).toBeUndefined(); // no recipients configured
    // The firing test alerts get their own mails too: pick the report.
    const reportMails = async () => (await Promise.all(mails.map((m) => simpleParser(m)))).filter((m) => m.subject?.startsWith('Báo cáo'));
    const mail = (await waitFor(async () => (await reportMails())[0], { what: 'the report mail', timeoutMs: 60_000 }))!;
    expect(mail.subject).toBe('Báo cáo giám sát tháng 2026-10');
    expect((mail.to as { text: string }).text).toBe('lanh-dao@example.vn');
    expect(mail.html).toContain('2/3 cơ quan có dữ liệu trong tháng (66,67%)');
    // Leadership gets the report as files too: the PDF (Chromium) to forward and print, the CSV to trace.
    expect(mail.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ['canhgac-bao-cao-2026-10.pdf', 'application/pdf'],
      ['canhgac-bao-cao-2026-10.csv', 'text/csv'],
    ]);
    const [pdf, csv] = mail.attachments;
    expect(pdf.content.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.content.length).toBeGreaterThan(5000);
    expect(csv.content.toString('utf8')).toContain('"reporting","","","agencies_reporting","2","count"');
    expect(mail.text).toContain('Tệp đính kèm: canhgac-bao-cao-2026-10.pdf, canhgac-bao-cao-2026-10.csv.');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await reportMails()).toHaveLength(1);

    // A collector host without Chromium still mails the report, with the CSV, and says why there is no PDF.
    const errors: string[] = [];
    const noChromium = startReportMailer({
      state: tc.collector.state,
      influx: influxClient(tc.config.influx),
      settings: { recipients: ['lanh-dao@example.vn'], day: 1, hour: 7, locale: 'vi' },
      timers: false,
      pdf: () => Promise.reject(new Error('cannot run /usr/bin/chromium')),
      log: { info: () => undefined, error: (o) => errors.push(JSON.stringify(o)) },
    });
    expect(await noChromium.runOnce(Date.parse('2026-12-01T00:30:00Z'))).toBe('2026-11');
    const queued = tc.collector.db!.prepare(`SELECT notification_id AS id FROM report_mailings WHERE month = '2026-11'`).get() as { id: number };
    const store = tc.collector.alerting.store;
    expect((await attachmentsOf(tc.collector.state, queued.id)).map((a) => a.filename)).toEqual(['canhgac-bao-cao-2026-11.csv']);
    expect((await store.notification(queued.id))!.text).toContain('Không tạo được bản PDF trên máy chủ này (cần gói chromium).');
    expect(errors.join()).toContain('cannot run /usr/bin/chromium');
  }, 150_000);
});
