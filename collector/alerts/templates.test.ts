import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES } from './builtin-rules.ts';
import { buildRules, type Rule } from './rules.ts';
import { fingerprintOf, labelsOf } from './fingerprint.ts';
import { locationOf, MAX_LISTED_ALERTS, renderMail, type AlertView, type Locale } from './templates.ts';

const { rules, issues } = buildRules([{ specs: BUILTIN_RULES, base: 'builtin' }]);
const byName = new Map(rules.map((r) => [r.name, r]));
const FIRED = Date.parse('2026-11-27T03:00:00Z');

function view(rule: Rule, labels: Record<string, string>, value: number, id = 1): AlertView {
  return { id, rule, ruleName: rule.name, severity: rule.severity, agency: 'so-y-te', labels: { agency: 'so-y-te', agent: 'ag-1', rule: rule.name, severity: rule.severity, ...labels }, value, firedAt: FIRED };
}

const mail = (alerts: AlertView[], locale: Locale = 'vi', consoleUrl?: string) => renderMail({ locale, agencyName: 'Sở Y tế', kind: 'alert', firing: alerts, resolved: [], consoleUrl });

/** The labels of an auth_finding alert: its tags and alert fields (numbers as text), as the engine makes them. */
const AUTH = { measurement: 'auth_finding', host: 'srv-web', first_seen_seconds: '1796101200', last_seen_seconds: '1796101500', window_seconds: '600' };

/**
 * One typical alert per built-in rule: the tags its check writes, the value that broke the threshold,
 * the exact place the mail must name and how the value must read.
 */
const CASES: Record<string, { labels: Record<string, string>; value: number; location: string; value_text: string }[]> = {
  agent_silent: [{ labels: { measurement: 'agent_status', host: 'pc-ke-toan' }, value: 185, location: 'pc-ke-toan', value_text: '185' }],
  target_down: [
    { labels: { measurement: 'tcp', target: '10.0.0.5', port: '445', name: 'file-server', result: 'refused' }, value: 0, location: '10.0.0.5:445', value_text: 'up = 0' },
    { labels: { measurement: 'tcp', target: 'fd00::5', port: '22', result: 'timeout' }, value: 0, location: '[fd00::5]:22', value_text: 'up = 0' },
    { labels: { measurement: 'http', url: 'https://user:secret@portal.example.vn/login', name: 'Cổng dịch vụ công', result: 'timeout' }, value: 0, location: 'https://***@portal.example.vn/login', value_text: 'up = 0' },
    { labels: { measurement: 'ping', target: '10.0.0.9', name: 'router', result: 'timeout' }, value: 0, location: '10.0.0.9', value_text: 'up = 0' },
  ],
  sip_endpoint_down: [{ labels: { measurement: 'sip', target: '10.1.1.2:5060', name: 'vc', endpoint: 'UBND huyện Càng Long', transport: 'udp', result: 'timeout' }, value: 0, location: '10.1.1.2:5060', value_text: 'up = 0' }],
  high_loss: [{ labels: { measurement: 'ping', target: '10.0.0.9', name: 'router', result: 'ok' }, value: 35.5, location: '10.0.0.9', value_text: 'loss_percent = 35.5' }],
  videoconf_not_ready: [{ labels: { measurement: 'videoconf', endpoint: 'UBND huyện Càng Long', address: '10.1.1.2' }, value: 0, location: '10.1.1.2', value_text: 'ready = 0' }],
  cert_expiring: [{ labels: { measurement: 'tls_cert', target: 'portal.example.vn:443', name: 'Cổng', subject_cn: 'portal.example.vn', result: 'ok' }, value: 12.4, location: 'portal.example.vn:443', value_text: 'days_left = 12.4' }],
  cert_expiring_critical: [{ labels: { measurement: 'cert_file', path: 'C:\\certs\\ky-so.p12', subject_cn: 'Nguyễn Văn A' }, value: 3.2, location: 'C:\\certs\\ky-so.p12', value_text: 'days_left = 3.2' }],
  cert_expired: [{ labels: { measurement: 'tls_cert', target: 'mail.example.vn:993', subject_cn: 'mail.example.vn', result: 'ok' }, value: 1, location: 'mail.example.vn:993', value_text: 'expired = 1' }],
  security_check_failed: [{ labels: { measurement: 'security', check_id: 'linux.ssh.root_login', severity: 'critical', agent: 'ag-7' }, value: 0, location: 'linux.ssh.root_login', value_text: 'pass = 0' }],
  security_score_dropped: [{ labels: { measurement: 'security_score', agent: 'ag-7' }, value: 62.5, location: 'ag-7', value_text: 'score_percent = 62.5' }],
  new_lan_device: [{ labels: { measurement: 'lan_summary', subnet: '192.168.10.0/24' }, value: 2, location: '192.168.10.0/24', value_text: 'new_devices = 2' }],
  exposed_risky_service: [{ labels: { measurement: 'lan_exposure', ip: '192.168.10.23', port: '23', service: 'telnet' }, value: 1, location: '192.168.10.23:23', value_text: 'open = 1' }],
  disk_almost_full: [{ labels: { measurement: 'host_disk', host: 'srv-1', mount: '/var' }, value: 93.5, location: 'srv-1:/var', value_text: 'used_percent = 93.5' }],
  agent_dropping_samples: [{ labels: { measurement: 'agent_status', host: 'pc-1', version: '1.0' }, value: 1200, location: 'pc-1', value_text: 'dropped_samples = 1200' }],
  collector_spool_growing: [{ labels: { measurement: 'collector_status', instance: 'collector-1' }, value: 5000, location: 'collector-1', value_text: 'spool_samples = 5000' }],
  influx_node_out_of_sync: [{ labels: { measurement: 'collector_influx_node', instance: 'collector-1', node: 'http://influx-2.dc.local:8086' }, value: 1, location: 'http://influx-2.dc.local:8086', value_text: 'out_of_sync = 1' }],
  samples_refused: [{ labels: { measurement: 'collector_refusals', instance: 'collector-1', reason: 'series_budget', agent: 'ag-9' }, value: 120, location: 'collector-1', value_text: 'refused_samples = 120' }],
  web_spam_content: [{ labels: { measurement: 'web_finding', site: 'portal.example.gov.vn', kind: 'spam_keyword', name: 'Cổng thông tin', url: 'https://portal.example.gov.vn/tin-tuc/2019/a.html', evidence: '…Top 10 nhà cái uy tín…' }, value: 2, location: 'https://portal.example.gov.vn/tin-tuc/2019/a.html', value_text: 'count = 2' }],
  web_cloaking_redirect: [{ labels: { measurement: 'web_finding', site: 'portal.example.gov.vn', kind: 'offsite_redirect', url: 'https://portal.example.gov.vn/', evidence: 'https://casino.example.com/' }, value: 1, location: 'https://portal.example.gov.vn/', value_text: 'count = 1' }],
  web_defaced: [{ labels: { measurement: 'web_finding', site: 'portal.example.gov.vn', kind: 'defacement', url: 'https://portal.example.gov.vn/', evidence: 'title: Hacked by X' }, value: 1, location: 'https://portal.example.gov.vn/', value_text: 'count = 1' }],
  web_new_script_domain: [{ labels: { measurement: 'web_finding', site: 'portal.example.gov.vn', kind: 'new_script_domain', url: 'https://portal.example.gov.vn/', evidence: 'cdn.unknown.example' }, value: 1, location: 'https://portal.example.gov.vn/', value_text: 'count = 1' }],
  auth_brute_force: [{ labels: { ...AUTH, kind: 'brute_force', service: 'ssh', source: '203.0.113.7', user: 'root, admin' }, value: 23, location: 'srv-web', value_text: 'count = 23' }],
  auth_password_spraying: [{ labels: { ...AUTH, kind: 'password_spraying', service: 'ssh', source: '203.0.113.8', user: 'a, b, c, d, e' }, value: 5, location: 'srv-web', value_text: 'count = 5' }],
  auth_success_after_failures: [{ labels: { ...AUTH, kind: 'success_after_failures', service: 'rdp', source: '203.0.113.7', user: 'ketoan', window_seconds: '1800' }, value: 12, location: 'srv-web', value_text: 'count = 12' }],
  auth_new_admin: [{ labels: { ...AUTH, kind: 'new_admin', service: 'system', source: 'local', user: 'mallory', detail: 'usermod: group sudo', window_seconds: '0' }, value: 1, location: 'srv-web', value_text: 'count = 1' }],
  auth_log_cleared: [{ labels: { ...AUTH, kind: 'log_cleared', service: 'windows', source: 'PC-KETOAN\\quantri', detail: 'Security log cleared', window_seconds: '0' }, value: 1, location: 'srv-web', value_text: 'count = 1' }],
  wan_link_down: [{ labels: { measurement: 'net_interface', device: 'router-so-y-te', interface: 'ge-0/0/0', wan: '1', alias: 'WAN mạng TSLCD' }, value: 1, location: 'router-so-y-te ge-0/0/0', value_text: 'link_down = 1' }],
  interface_down: [{ labels: { measurement: 'net_interface', device: 'switch-core', interface: 'Gi1/0/7' }, value: 1, location: 'switch-core Gi1/0/7', value_text: 'link_down = 1' }],
  interface_utilisation_in: [{ labels: { measurement: 'net_interface', device: 'router-so-y-te', interface: 'ge-0/0/0', wan: '1' }, value: 93.4, location: 'router-so-y-te ge-0/0/0', value_text: '93.4' }],
  interface_utilisation_out: [{ labels: { measurement: 'net_interface', device: 'router-so-y-te', interface: 'ge-0/0/0', wan: '1' }, value: 88, location: 'router-so-y-te ge-0/0/0', value_text: '88' }],
  interface_errors_in: [{ labels: { measurement: 'net_interface', device: 'switch-core', interface: 'Gi1/0/7' }, value: 12.5, location: 'switch-core Gi1/0/7', value_text: '12.5' }],
  interface_errors_out: [{ labels: { measurement: 'net_interface', device: 'switch-core', interface: 'Gi1/0/7' }, value: 3, location: 'switch-core Gi1/0/7', value_text: '3' }],
  network_device_unreachable: [{ labels: { measurement: 'net_device', device: 'router-so-y-te', result: 'timeout', error: 'no SNMP answer (the device is off, filtered, or the community is wrong)' }, value: 0, location: 'router-so-y-te', value_text: 'up = 0' }],
};

describe('alert mail texts', () => {
  it('covers every built-in rule', () => {
    expect(issues).toEqual([]);
    expect(Object.keys(CASES).sort()).toEqual(BUILTIN_RULES.map((r) => r.name).sort());
  });

  for (const [name, cases] of Object.entries(CASES)) {
    it(`${name}: the mail names the exact place and the measured value (vi and en)`, () => {
      const rule = byName.get(name)!;
      for (const c of cases) {
        for (const locale of ['vi', 'en'] as const) {
          const m = mail([view(rule, c.labels, c.value)], locale);
          const all = `${m.subject}\n${m.text}`;
          expect(all, `${name} ${locale}`).toContain(c.location);
          if (rule.kind === 'absent') expect(m.text).toMatch(locale === 'vi' ? /trong 3 phút 5 giây/ : /no sample for 3m 5s/);
          else expect(m.text, `${name} ${locale}`).toContain(c.value_text);
          expect(m.text).not.toMatch(/\{\{|\}\}|\(\)/); // no template left over, no empty brackets
          expect(m.html).toContain(c.location.replace(/&/g, '&amp;'));
          expect(all).not.toContain('secret');
        }
      }
    });
  }

  it('two down targets of one named check give two different mails, each naming its host:port', () => {
    const rule = byName.get('target_down')!;
    const a = mail([view(rule, { measurement: 'tcp', target: '127.0.0.1', port: '7001', name: 'file-server', result: 'refused' }, 0, 1)]);
    const b = mail([view(rule, { measurement: 'tcp', target: '127.0.0.1', port: '7002', name: 'file-server', result: 'refused' }, 0, 2)]);
    expect(a.subject).toBe('[NGHIÊM TRỌNG][Sở Y tế] Mất kết nối tới file-server (127.0.0.1:7001)');
    expect(b.subject).toBe('[NGHIÊM TRỌNG][Sở Y tế] Mất kết nối tới file-server (127.0.0.1:7002)');
    expect(a.text).toContain('Đối tượng: 127.0.0.1:7001');
    expect(a.text).toContain('Giá trị đo: up = 0 (ngưỡng: == 0)');
    expect(a.text).not.toContain('7002');
  });

  it('locationOf: the place from the tags, not the display name', () => {
    expect(locationOf({ target: '127.0.0.1', port: '9', name: 'cổng 9' })).toBe('127.0.0.1:9');
    expect(locationOf({ server: '10.0.0.53', query: 'portal.example.vn' })).toBe('portal.example.vn @ 10.0.0.53');
    expect(locationOf({ name: 'only a name' })).toBeUndefined();
  });

  it(`a grouped mail lists at most ${MAX_LISTED_ALERTS} alerts and says how many more (vi and en)`, () => {
    const rule = byName.get('target_down')!;
    const alerts = Array.from({ length: 500 }, (_, i) => view(rule, { measurement: 'tcp', target: '127.0.0.1', port: String(20000 + i), name: 'Dịch vụ', result: 'refused' }, 0, i + 1));
    const vi = mail(alerts, 'vi', 'https://canhgac.example.vn/console');
    expect(vi.subject).toBe('[NGHIÊM TRỌNG][Sở Y tế] Mất kết nối tới Dịch vụ (127.0.0.1:20000) (+499 cảnh báo khác)');
    expect(vi.text).toContain('Sở Y tế: 500 cảnh báo đang xảy ra');
    expect(vi.text).toContain(`… và 450 cảnh báo khác (thư chỉ liệt kê ${MAX_LISTED_ALERTS} cảnh báo đầu`);
    expect(vi.text).toContain('https://canhgac.example.vn/console/alerts');
    expect(vi.text).toContain('127.0.0.1:20049');
    expect(vi.text).not.toContain('127.0.0.1:20050');
    expect(vi.html).toContain('… và 450 cảnh báo khác');
    expect(vi.text.length + vi.html.length).toBeLessThan(60_000);
    const en = mail(alerts, 'en');
    expect(en.text).toContain('… and 450 more');
    // Firing first; resolved ones share what room is left.
    const mixed = renderMail({ locale: 'en', agencyName: 'Sở Y tế', kind: 'alert', firing: alerts.slice(0, 40), resolved: alerts.slice(40, 100) });
    expect(mixed.text).toContain('60 alert(s) resolved');
    expect(mixed.text).toContain('… and 50 more');
  });

  it('auth findings: the mail names host, agency, source, users, count and window (vi and en); one alert per source', () => {
    const rule = byName.get('auth_brute_force')!;
    const labels = { ...AUTH, kind: 'brute_force', service: 'ssh', source: '203.0.113.7', user: 'root, admin' };
    const vi = mail([view(rule, labels, 23)]);
    expect(vi.subject).toBe('[CẢNH BÁO][Sở Y tế] Dò mật khẩu ssh từ 203.0.113.7 vào srv-web (23 lần thất bại)');
    expect(vi.text).toContain('203.0.113.7 đăng nhập ssh thất bại 23 lần vào máy srv-web từ 12:00:00 01/12/2026 đến 12:05:00 01/12/2026 (ngưỡng: số lần thất bại trong 10 phút). Tài khoản bị thử: root, admin.');
    const en = mail([view(rule, labels, 23)], 'en');
    expect(en.subject).toBe('[WARNING][Sở Y tế] Password guessing over ssh from 203.0.113.7 on srv-web (23 failures)');
    expect(en.text).toContain('from 01/12/2026, 12:00:00 to 01/12/2026, 12:05:00 (threshold: failures within 10m). Accounts tried: root, admin.');
    // The source is an alert field, not a tag: the rule's keyTags make it part of the alert's identity.
    const tags = { agency: 'so-y-te', agent: 'ag-1', kind: 'brute_force', service: 'ssh', host: 'srv-web' };
    const sample = (source: string, count: number) => ({ measurement: 'auth_finding', fields: { source, user: 'root', count } });
    expect(fingerprintOf(rule, tags, sample('203.0.113.7', 10))).toBe(fingerprintOf(rule, tags, sample('203.0.113.7', 40)));
    expect(fingerprintOf(rule, tags, sample('203.0.113.7', 10))).not.toBe(fingerprintOf(rule, tags, sample('203.0.113.9', 10)));
    expect(labelsOf(rule, { measurement: 'auth_finding', tags, fields: { source: '203.0.113.7', user: 'root', count: 10, first_seen_seconds: 1796101200 } })).toMatchObject({ source: '203.0.113.7', user: 'root', first_seen_seconds: '1796101200', kind: 'brute_force' });
  });
});
