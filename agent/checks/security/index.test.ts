import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, securityScore, SECURITY_CHECKS, validateSample, type WireSample } from '../../../protocol/index.ts';
import { parseAgentConfig } from '../../config.ts';
import { missing } from '../../../test/support/require.ts';
import { AGENT_BIN, runCli, writeYaml } from '../../../test/support/agent.ts';
import { checkClockOffset, clockSample } from './clock.ts';
import { realEnv } from './env.ts';
import { DEFAULT_THRESHOLDS } from './finding.ts';
import { checkSshRootLogin } from './linux/ssh.ts';
import { activeWaiver, applyWaiver, waiverEndsAt } from './policy.ts';
import { checkLinuxRiskyPorts } from './sockets.ts';
import { recordResults, runSuite } from './suite.ts';
import { SampleRecorder } from '../../recorder.ts';

const STATUSES = ['pass', 'fail', 'not_applicable', 'error'];

/** `canhgac-agent once --json` as a real process with a config holding one security check. */
async function agentOnce(dir: string, security: Record<string, unknown>): Promise<WireSample[]> {
  const file = writeYaml(join(dir, `agent-${Math.random().toString(36).slice(2)}.yaml`), { checks: [{ type: 'security', ...security }] });
  const r = await runCli(AGENT_BIN, ['once', '--config', file, '--json'], { timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as WireSample[]).filter((s) => s.measurement.startsWith('security'));
}

describe('the catalogue', () => {
  it('every entry has an id, vi and en texts, a severity, a platform and a rationale; ids are unique', () => {
    const ids = SECURITY_CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of SECURITY_CHECKS) {
      expect(c.id).toMatch(/^[a-z][a-z0-9_.]*$/);
      for (const t of [c.title.vi, c.title.en, c.remediation.vi, c.remediation.en, c.rationale]) expect(t.length, c.id).toBeGreaterThan(10);
      expect(c.title.vi, `${c.id} has a Vietnamese title`).not.toBe(c.title.en);
    }
  });
  it('weights the score by severity; waived and not_applicable are left out, errors count against', () => {
    expect(securityScore([{ status: 'pass', severity: 'critical' }, { status: 'fail', severity: 'low' }])).toMatchObject({ scorePercent: 88.89, passed: 1, failed: 1 });
    expect(securityScore([{ status: 'pass', severity: 'low' }, { status: 'waived', severity: 'critical' }, { status: 'not_applicable', severity: 'high' }])).toMatchObject({ scorePercent: 100, waived: 1, notApplicable: 1 });
    expect(securityScore([{ status: 'pass', severity: 'high' }, { status: 'error', severity: 'high' }])).toMatchObject({ scorePercent: 50, errors: 1 });
    expect(securityScore([])).toMatchObject({ scorePercent: 100 });
  });
});

describe('waivers', () => {
  const w = { id: 'linux.firewall', reason: 'migration', by: 'An', until: '2026-12-31' };
  it('hold through the whole last day in Vietnam (UTC+7) and end at its midnight', () => {
    expect(new Date(waiverEndsAt('2026-12-31')).toISOString()).toBe('2026-12-31T17:00:00.000Z');
    expect(activeWaiver('linux.firewall', { waivers: [w] }, new Date('2026-12-31T16:59:59Z'))).toEqual(w);
    expect(activeWaiver('linux.firewall', { waivers: [w] }, new Date('2026-12-31T17:00:00Z'))).toBeUndefined();
  });
  it('turn only a failure into waived', () => {
    expect(applyWaiver('fail', w)).toBe('waived');
    expect(applyWaiver('pass', w)).toBe('pass');
    expect(applyWaiver('error', w)).toBe('error');
    expect(applyWaiver('fail', undefined)).toBe('fail');
  });
});

describe('security config', () => {
  const parse = (security: Record<string, unknown>) => parseAgentConfig('agent.yaml', { checks: [{ type: 'security', ...security }] });
  it('applies defaults', () => {
    const c = parse({}).checks[0].config;
    expect(c).toMatchObject({ interval: '6h', timeout: '5m', maxClockOffset: '60s', maxSignatureAgeDays: 7, maxUpdateAgeDays: 30 });
  });
  it('names unknown ids, bad severities, bad dates and missing waiver keys', () => {
    expect(() => parse({ severity: { 'linux.eol': 'urgent' } })).toThrow(/checks\[0\]\.severity/);
    let err2: unknown;
    try {
      parse({ disable: ['linux.firewal'], waivers: [{ id: 'risky_ports', reason: 'x', by: 'y', until: '31/12/2026' }, { id: 'nope', reason: 'x', by: 'y', until: '2026-02-30' }], clockReference: 'ftp://x.example.vn' });
    } catch (e) {
      err2 = e;
    }
    const text2 = (err2 as Error).message;
    expect(text2).toContain('checks[0].disable[0]: unknown check id "linux.firewal" (known ids: risky_ports, clock_offset,');
    expect(text2).toContain('checks[0].waivers[0].until: expected a date YYYY-MM-DD (last day of the waiver), got "31/12/2026"');
    expect(text2).toContain('checks[0].waivers[1].id: unknown check id "nope"');
    expect(text2).toContain('checks[0].waivers[1].until: expected a date YYYY-MM-DD');
    expect(text2).toContain('checks[0].clockReference: expected an http(s) URL');
    expect(() => parse({ waivers: [{ id: 'risky_ports', reason: 'x', until: '2026-12-31' }] })).toThrow(/checks\[0\]\.waivers\[0\]/);
  });
});

describe('checks pointed at a temp root', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'canhgac-secroot-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an sshd_config with PermitRootLogin yes fails; changed to no, passes', async () => {
    mkdirSync(join(dir, 'etc/ssh/sshd_config.d'), { recursive: true });
    writeFileSync(join(dir, 'etc/ssh/sshd_config'), 'Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n');
    expect(await checkSshRootLogin(realEnv({ root: dir }))).toEqual({ status: 'fail', detail: 'PermitRootLogin yes (/etc/ssh/sshd_config)' });
    writeFileSync(join(dir, 'etc/ssh/sshd_config.d/00-province.conf'), 'PermitRootLogin no\n');
    expect(await checkSshRootLogin(realEnv({ root: dir }))).toEqual({ status: 'pass', detail: 'PermitRootLogin no (/etc/ssh/sshd_config)' });
  });
});

describe('clock offset against a reference on loopback', () => {
  let server: http.Server;
  let shiftMs = 0;
  let url = '';
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.sendDate = false;
      res.writeHead(200, { date: new Date(Date.now() + shiftMs).toUTCString() }).end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/healthz`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('passes a reference that agrees, fails one ten minutes ahead, errors on one that is down', async () => {
    const limits = { ...DEFAULT_THRESHOLDS, clockReference: { url } };
    shiftMs = 0;
    const ok = await checkClockOffset(realEnv(), limits);
    expect(ok.status).toBe('pass');
    expect(ok.detail).toMatch(/^offset [+-]\d+\.\d s \(±\d+\.\d s\) against http:\/\/127\.0\.0\.1:\d+$/);
    shiftMs = 10 * 60_000;
    const ahead = await checkClockOffset(realEnv(), limits);
    expect(ahead.status).toBe('fail');
    expect(ahead.detail).toMatch(/^offset \+(599|600|601)\.\d s/);
    const closed = await new Promise<number>((r) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const down = await checkClockOffset(realEnv(), { ...limits, clockReference: { url: `http://127.0.0.1:${closed}/` } });
    expect(down.status).toBe('error');
    expect(down.detail).toMatch(/ECONNREFUSED/);
  });
  it('takes the middle of the Date second against the middle of the request', () => {
    expect(clockSample(10_000, 10_200, new Date(10_000).toUTCString())).toEqual({ offsetMs: 400, uncertaintyMs: 600 });
  });
});

describe('the Linux suite for real on this machine', () => {
  it('every check returns pass, fail, not_applicable or error with a reason', async () => {
    const results = await runSuite(realEnv(), {}, DEFAULT_THRESHOLDS, 120_000);
    expect(results.map((r) => r.id).sort()).toEqual(SECURITY_CHECKS.filter((c) => c.platform !== 'windows').map((c) => c.id).sort());
    for (const r of results) {
      expect(STATUSES, `${r.id}: ${r.status}`).toContain(r.status);
      expect(r.detail.length, `${r.id} says why`).toBeGreaterThan(5);
    }
    // Facts about this machine that do not depend on the run: Debian 12 is supported, and the
    // socket table is readable.
    expect(results.find((r) => r.id === 'linux.eol')?.status).toBe('pass');
    expect(results.find((r) => r.id === 'risky_ports')?.status).not.toBe('error');
  }, 150_000);
});

const noRoot = missing({ root: true });

describe.skipIf(noRoot)('real state changes (root): a telnet-port listener, waivers through the real agent', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'canhgac-sec-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function listen(host: string): Promise<net.Server> {
    const s = net.createServer((c) => c.destroy());
    s.listen({ port: 23, host, exclusive: true });
    await once(s, 'listening');
    return s;
  }
  const close = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

  it('0.0.0.0:23 fails risky_ports; closed it passes; 127.0.0.1:23 passes but is named', async () => {
    const before = await checkLinuxRiskyPorts(realEnv());
    expect(before.status, `port 23 must be free before the test: ${before.detail}`).toBe('pass');
    const open = await listen('0.0.0.0');
    try {
      expect(await checkLinuxRiskyPorts(realEnv())).toMatchObject({ status: 'fail', detail: expect.stringContaining('telnet on 0.0.0.0:23/tcp') });
    } finally {
      await close(open);
    }
    expect((await checkLinuxRiskyPorts(realEnv())).status).toBe('pass');
    const local = await listen('127.0.0.1');
    try {
      const f = await checkLinuxRiskyPorts(realEnv());
      expect(f.status).toBe('pass');
      expect(f.detail).toContain('loopback only, not reachable from the LAN: telnet on 127.0.0.1:23/tcp');
    } finally {
      await close(local);
    }
  });

  it('through `canhgac-agent once --json`: a waiver turns the failure into waived; an expired one does not', async () => {
    const open = await listen('0.0.0.0');
    try {
      const day = (offsetDays: number) => new Date(Date.now() + 7 * 3_600_000 + offsetDays * 86_400_000).toISOString().slice(0, 10);
      // Only the check under test and a cheap one run, so the agent finishes quickly on a busy machine.
      const disable = SECURITY_CHECKS.map((c) => c.id).filter((id) => id !== 'risky_ports' && id !== 'linux.eol');
      const waiver = { id: 'risky_ports', reason: 'Máy chủ telnet cũ của phòng Văn thư, gỡ trong tháng', by: 'Trần Thị Bích', until: day(1) };
      const waived = await agentOnce(dir, { disable, waivers: [waiver] });
      for (const s of waived) expect(validateSample(s)).toMatchObject({ ok: true });
      const rp = waived.find((s) => s.tags.check_id === 'risky_ports')!;
      expect(rp.tags).toEqual({ check_id: 'risky_ports', severity: 'high', status: 'waived' });
      expect(rp.fields).toMatchObject({ pass: 0, waiver_by: 'Trần Thị Bích', waiver_until: day(1), detail: expect.stringContaining('telnet on 0.0.0.0:23/tcp') });
      const score = waived.find((s) => s.measurement === 'security_score')!;
      expect(score.fields).toMatchObject({ score_percent: 100, passed: 1, failed: 0, waived: 1 });

      // The same policy in-process (one agent start is enough to prove the wiring): expired → fail.
      const rec = new SampleRecorder();
      const results = await runSuite(realEnv(), { disable, waivers: [{ ...waiver, until: day(-1) }], severity: { risky_ports: 'critical' } }, DEFAULT_THRESHOLDS, 60_000);
      recordResults(rec, results);
      const rp2 = rec.samples.find((s) => s.tags.check_id === 'risky_ports')!;
      expect(rp2.tags).toEqual({ check_id: 'risky_ports', severity: 'critical', status: 'fail' });
      expect(rp2.fields.waiver_by).toBeUndefined();
      // linux.eol (critical, 8) passes, risky_ports (now critical, 8) fails: 50 %.
      expect(rec.samples.find((s) => s.measurement === 'security_score')!.fields).toMatchObject({ score_percent: 50, passed: 1, failed: 1 });
    } finally {
      await close(open);
    }
  }, 120_000);
});
