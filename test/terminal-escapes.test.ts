// Text an agent controls (its hostname, a command's message) can reach an operator's terminal: the API
// refuses control characters, and the CLI escapes whatever is already stored, so nothing can retitle
// the terminal or forge a table row.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { terminalSafe, terminalSafeLines } from '../collector/cli/terminal.ts';
import { createAgent } from '../collector/state/agents.ts';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { COLLECTOR_BIN, runCli } from './support/agent.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';

const HOSTILE = 'pc\u001b]0;owned\u0007\r\nforged-row so-y-te\u009b2J\u202eevil';

describe('terminal-safe text', () => {
  it('escapes C0/C1 controls, separators and bidi overrides; keeps Vietnamese', () => {
    expect(terminalSafe(HOSTILE)).toBe('pc\\x1b]0;owned\\x07\\x0d\\x0aforged-row so-y-te\\x9b2J\\u202eevil');
    expect(terminalSafe('Máy chủ Sở Y tế')).toBe('Máy chủ Sở Y tế');
    expect(terminalSafeLines('a\u001b[2J\nb')).toBe('a\\x1b[2J\nb');
  });
});

describe.skipIf(missing({ commands: ['influxd'] }))('control characters from agents (real collector)', () => {
  let influx: Influxd;
  let tc: TestCollector;
  beforeAll(async () => {
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url);
  }, 60_000);
  afterAll(async () => {
    await tc?.close();
    await influx?.stop();
  });

  it('enrolment with a hostname, version or os holding a control character is refused with a reason, and the code stays unused', async () => {
    for (const field of ['hostname', 'version', 'os']) {
      const code = await tc.enrollCode('so-y-te');
      const body = { code, hostname: 'pc-ok', version: '0.1.0', os: 'linux', [field]: HOSTILE };
      const res = await fetch(`${tc.url}/api/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status, field).toBe(400);
      expect(((await res.json()) as { message: string }).message, field).toBe(`body/${field} must not contain control characters`);
      const ok = await fetch(`${tc.url}/api/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, [field]: field === 'hostname' ? 'pc-ok' : 'x' }) });
      expect(ok.status, `${field}: the code was not spent by the refusal`).toBe(200);
    }
  });

  it('`agent list` escapes a hostname stored before the check: one row, no escape byte', async () => {
    await createAgent(tc.collector.state.db, { agency: 'so-y-te', hostname: HOSTILE, version: '0.1.0' });
    const r = await runCli(COLLECTOR_BIN, ['agent', 'list', '--config', tc.configFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows.filter((l) => l.includes('forged-row'))).toHaveLength(1);
    expect(rows.some((l) => l.startsWith('forged-row'))).toBe(false);
    expect(r.stdout).toContain('pc\\x1b]0;owned\\x07\\x0d\\x0aforged-row');
  });
});
