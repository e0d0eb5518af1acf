import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS } from './finding.ts';
import { fixture, recordedEnv } from './fixtures/recorded-env.ts';
import { recordResults, runSuite } from './suite.ts';
import { SampleRecorder } from '../../recorder.ts';
import { validateSample } from '../../../protocol/index.ts';
import { decodeProductState } from './windows/checks.ts';
import { windowsEol } from './windows/eol.ts';
import { parseFacts, parseWindowsDate, psBool } from './windows/facts.ts';
import { powershellArgs, WINDOWS_FACTS_SCRIPT } from './windows/script.ts';

// The facts JSON in fixtures/windows follows the shapes Windows PowerShell 5.1 prints (GpoBoolean as
// 1/0, DateTime as "/Date(ms)/" or { value, DateTime: <localised text> }, a one-element array as a
// bare object, a UTF-8 BOM, CRLF). They were written by hand from those documented shapes: there is
// no Windows machine here to record them on.

const NOW = '2026-11-20T03:00:00Z';

async function suiteOn(file: string) {
  const env = recordedEnv({ platform: 'win32', now: NOW, commands: { 'powershell.exe': fixture(file) } });
  const results = await runSuite(env, {}, DEFAULT_THRESHOLDS, 10_000);
  return { env, byId: Object.fromEntries(results.map((r) => [r.id, r])), results };
}

describe('Windows facts parsing', () => {
  it('reads dates in every shape PowerShell prints, ignoring the localised display text', () => {
    const d = Date.parse('2026-11-08T01:30:00Z');
    expect(parseWindowsDate(`/Date(${d})/`)?.getTime()).toBe(d);
    expect(parseWindowsDate(`/Date(${d}+0700)/`)?.getTime()).toBe(d);
    expect(parseWindowsDate({ value: `/Date(${d})/`, DateTime: 'Chủ Nhật, 8 tháng 11 năm 2026 8:30:00 SA' })?.getTime()).toBe(d);
    expect(parseWindowsDate('2026-11-08T01:30:00.0000000Z')?.getTime()).toBe(d);
    expect(parseWindowsDate(d)?.getTime()).toBe(d);
    // Culture-formatted text: day first in vi-VN, month first in en-US; SA/CH are AM/PM.
    expect(parseWindowsDate('12/08/2026', 'vi-VN')?.toISOString()).toBe('2026-08-12T00:00:00.000Z');
    expect(parseWindowsDate('12/08/2026', 'en-US')?.toISOString()).toBe('2026-12-08T00:00:00.000Z');
    expect(parseWindowsDate('8/11/2026 1:05:00 CH', 'vi-VN')?.toISOString()).toBe('2026-11-08T13:05:00.000Z');
    expect(parseWindowsDate('11/8/2026 12:05:00 AM', 'en-US')?.toISOString()).toBe('2026-11-08T00:05:00.000Z');
    expect(parseWindowsDate('31/02/2026', 'vi-VN')).toBeUndefined();
    expect(parseWindowsDate(null)).toBeUndefined();
    expect(parseWindowsDate('Thứ Hai')).toBeUndefined();
  });
  it('reads booleans as PowerShell prints them', () => {
    expect([true, 1, 'True', 'true', '1'].map(psBool)).toEqual([true, true, true, true, true]);
    expect([false, 0, 'False'].map(psBool)).toEqual([false, false, false]);
    expect(psBool(2)).toBeUndefined();
  });
  it('strips the BOM and CRLF of the vi-VN output; the JSON keys are the same in both locales', () => {
    const en = parseFacts(fixture('windows/facts-en-US-win11-pro.json'));
    const vi = parseFacts(fixture('windows/facts-vi-VN-win10-pro.json'));
    expect(vi.culture).toBe('vi-VN');
    const keys = (o: object) => Object.keys(o).filter((k) => k !== 'updateHistory').sort();
    expect(keys(vi)).toEqual(keys(en));
  });
  it('decodes Security Center product states', () => {
    expect(decodeProductState(397568)).toEqual({ on: true, upToDate: true }); // 0x061100
    expect(decodeProductState(393472)).toEqual({ on: false, upToDate: true }); // 0x060100
    expect(decodeProductState(397584)).toEqual({ on: true, upToDate: false }); // 0x061110
  });
  it('maps builds and editions to end-of-life dates', () => {
    expect(windowsEol({ build: 19045, editionId: 'Professional', productType: 1 })).toMatchObject({ eol: '2025-10-14', family: 'client' });
    expect(windowsEol({ build: 19044, editionId: 'EnterpriseS', productType: 1 })).toMatchObject({ eol: '2027-01-12', family: 'ltsc' });
    expect(windowsEol({ build: 22631, editionId: 'Enterprise', productType: 1 })).toMatchObject({ eol: '2026-11-10', family: 'enterprise' });
    expect(windowsEol({ build: 17763, editionId: 'ServerStandard', productType: 3 })).toMatchObject({ eol: '2029-01-09', family: 'server' });
    expect(windowsEol({ build: 99999, editionId: 'Professional', productType: 1 })).toBeUndefined();
  });
  it('the script is passed as -EncodedCommand (UTF-16LE base64) and keeps a section failure to itself', () => {
    const args = powershellArgs();
    expect(args.slice(0, 5)).toEqual(['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand']);
    expect(Buffer.from(args[5], 'base64').toString('utf16le')).toBe(WINDOWS_FACTS_SCRIPT);
    expect(WINDOWS_FACTS_SCRIPT).toContain("Section 'passwordPolicy'");
    expect(WINDOWS_FACTS_SCRIPT).toContain('ConvertTo-Json -Depth 5 -Compress');
  });
});

describe('Windows checks on an English (en-US) Windows 11 Pro 25H2, a compliant host', () => {
  it('passes every Windows check, runs PowerShell once, and skips the Linux checks', async () => {
    const { env, byId, results } = await suiteOn('windows/facts-en-US-win11-pro.json');
    expect(env.ran).toEqual(['powershell.exe']);
    expect(results.map((r) => r.id).filter((id) => id.startsWith('linux.'))).toEqual([]);
    for (const id of ['windows.firewall', 'windows.antivirus', 'windows.updates', 'windows.smb1', 'windows.rdp_nla', 'windows.guest', 'windows.local_admins', 'windows.password_policy', 'windows.eol', 'risky_ports']) {
      expect(byId[id], id).toMatchObject({ status: 'pass' });
    }
    expect(byId['windows.antivirus'].detail).toBe('Microsoft Defender real-time protection on, signatures 1 day(s) old');
    expect(byId['windows.updates'].detail).toMatch(/^last successful install 2026-11-12 \(8 days ago\): 2026-11 Cumulative Update/);
    expect(byId['windows.eol'].detail).toBe('Microsoft Windows 11 Pro (build 26200, Professional, client): supported until 2027-10-12');
    expect(byId['windows.rdp_nla'].detail).toBe('Remote Desktop on, with Network Level Authentication');
    expect(byId.clock_offset.status).toBe('not_applicable');
  });
});

describe('Windows checks on a Vietnamese (vi-VN) Windows 10 Pro 22H2, a neglected host', () => {
  it('fails what is wrong, reading localised dates and falling back to Get-HotFix when the update history is denied', async () => {
    const { byId } = await suiteOn('windows/facts-vi-VN-win10-pro.json');
    const status = Object.fromEntries(Object.entries(byId).map(([k, v]) => [k, v.status]));
    expect(status).toEqual({
      risky_ports: 'fail',
      clock_offset: 'not_applicable',
      'windows.firewall': 'fail',
      'windows.antivirus': 'fail',
      'windows.updates': 'fail',
      'windows.smb1': 'fail',
      'windows.rdp_nla': 'fail',
      'windows.guest': 'fail',
      'windows.local_admins': 'fail',
      'windows.password_policy': 'fail',
      'windows.eol': 'fail',
    });
    expect(byId['windows.firewall'].detail).toBe('firewall off for profile(s): Public');
    expect(byId['windows.antivirus'].detail).toBe('Microsoft Defender real-time protection off');
    expect(byId['windows.updates'].detail).toBe('last successful install 2026-08-31 (80.4 days ago): KB5066791; limit 30 days');
    expect(byId['windows.local_admins'].detail).toContain('Nguyễn Văn Bình');
    expect(byId['windows.password_policy'].detail).toBe('minimum password length 0 (at least 8); no account lockout (LockoutBadCount 0)');
    expect(byId['windows.eol'].detail).toBe('Microsoft Windows 10 Pro (build 19045, Professional, client): security updates ended on 2025-10-14');
    expect(byId.risky_ports.detail).toBe('risky service listening: telnet on 0.0.0.0:23/tcp, vnc on 0.0.0.0:5900/tcp; loopback only, not reachable from the LAN: ftp on 127.0.0.1:21/tcp');
  });
  it('a section the script could not read is an error carrying its (Vietnamese) reason, never a crash', async () => {
    const facts = JSON.parse(fixture('windows/facts-vi-VN-win10-pro.json').replace(/^\uFEFF/, ''));
    delete facts.hotfixes;
    facts.errors.hotfixes = 'Không tìm thấy lớp WMI Win32_QuickFixEngineering.';
    delete facts.passwordPolicy;
    facts.errors.passwordPolicy = 'Truy cập bị từ chối.';
    const env = recordedEnv({ platform: 'win32', now: NOW, commands: { 'powershell.exe': JSON.stringify(facts) } });
    const byId = Object.fromEntries((await runSuite(env, {}, DEFAULT_THRESHOLDS, 10_000)).map((r) => [r.id, r]));
    expect(byId['windows.updates']).toMatchObject({ status: 'error', detail: expect.stringContaining('Truy cập bị từ chối. (Exception from HRESULT: 0x80070005') });
    expect(byId['windows.password_policy']).toMatchObject({ status: 'error', detail: 'passwordPolicy: Truy cập bị từ chối.' });
  });
  it('PowerShell missing or printing garbage: every Windows check is an error with the reason', async () => {
    for (const out of [undefined, { code: 0, stdout: 'WARNING: something\n' }]) {
      const env = recordedEnv({ platform: 'win32', now: NOW, commands: out ? { 'powershell.exe': out } : {} });
      const results = await runSuite(env, {}, DEFAULT_THRESHOLDS, 10_000);
      const win = results.filter((r) => r.id.startsWith('windows.'));
      expect(win).toHaveLength(9);
      for (const r of win) expect(r.status).toBe('error');
      expect(win[0].detail).toMatch(out ? /printed no readable JSON/ : /powershell.exe not found/);
    }
  });
  it('records valid samples for the collector', async () => {
    const { results } = await suiteOn('windows/facts-vi-VN-win10-pro.json');
    const rec = new SampleRecorder();
    const score = recordResults(rec, results);
    for (const s of rec.samples) expect(validateSample(s)).toMatchObject({ ok: true });
    expect(score).toMatchObject({ scorePercent: 0, passed: 0, failed: 10, notApplicable: 1 });
  });
});
