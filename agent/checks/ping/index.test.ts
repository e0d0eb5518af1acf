import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { validateSample, type WireSample } from '../../../protocol/index.ts';
import { createLogger } from '../../log.ts';
import { SampleRecorder } from '../../recorder.ts';
import { pingCheck } from './index.ts';

// Network safety: the live tests ping only 127.0.0.1 and ::1 (and resolve a .invalid name, which
// never answers). The output parsers are tested in ../common/ping-parse.test.ts.

describe('ping config validation', () => {
  const base = { type: 'ping', interval: '60s', timeout: '2s', intervalMs: 60_000, timeoutMs: 2000, count: 5, packetInterval: '200ms' };
  it('accepts host names, IDN names and IP addresses', () => {
    expect(pingCheck.validate!({ ...base, targets: ['example.vn', '192.0.2.1', '2001:db8::1', 'sở-y-tế.example.vn'] }, 'checks[0]')).toEqual([]);
  });
  it('rejects options, shell syntax and URLs, naming the entry', () => {
    const issues = pingCheck.validate!({ ...base, targets: ['-f', 'a;reboot', '$(id)', 'http://example.vn/', 'a b', '1.2.3'] }, 'checks[3]');
    expect(issues.map((i) => i.path)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `checks[3].targets[${i}]`));
    expect(issues[0].message).toBe('expected a host name or an IP address, got "-f"');
  });
  it('rejects a packet interval below 200ms and a burst longer than the interval', () => {
    expect(pingCheck.validate!({ ...base, targets: ['example.vn'], packetInterval: '100ms' }, 'checks[0]')).toEqual([
      { path: 'checks[0].packetInterval', message: 'must be at least 0.2s, got "100ms"' },
    ]);
    const long = pingCheck.validate!({ ...base, targets: ['example.vn'], count: 100, packetInterval: '1s', interval: '30s', intervalMs: 30_000 }, 'checks[0]');
    expect(long[0].path).toBe('checks[0].count');
  });
});

// ---- live runs against loopback -------------------------------------------------------------------

const hasPing = spawnSync('ping', ['-V']).error === undefined || process.platform === 'win32';
const live = hasPing || process.env.CI === 'true';
if (!live) console.log('ping tests against loopback skipped: no `ping` command here (apt-get install iputils-ping); they run in CI');

async function run(targets: string[], count = 3): Promise<{ samples: WireSample[]; logs: string[] }> {
  const recorder = new SampleRecorder();
  const logs: string[] = [];
  const config = { type: 'ping', name: 'loopback', group: 'lab', interval: '60s', timeout: '1s', intervalMs: 60_000, timeoutMs: 1000, targets, count, packetInterval: '200ms' };
  await pingCheck.run(config, { recorder, signal: new AbortController().signal, log: createLogger({ json: true, write: (l) => logs.push(l) }) });
  for (const s of recorder.samples) expect(validateSample(s)).toMatchObject({ ok: true });
  return { samples: recorder.samples, logs };
}

describe.runIf(live)('ping check against loopback', () => {
  it('127.0.0.1 and ::1 answer every packet', async () => {
    const { samples } = await run(['127.0.0.1', '::1'], 3);
    expect(samples).toHaveLength(2);
    for (const s of samples) {
      expect(s.tags).toMatchObject({ name: 'loopback', group: 'lab', result: 'ok' });
      expect(s.fields).toMatchObject({ up: 1, sent: 3, received: 3, loss_percent: 0 });
      expect(s.fields.rtt_min_ms as number).toBeLessThanOrEqual(s.fields.rtt_avg_ms as number);
      expect(s.fields.rtt_avg_ms as number).toBeLessThanOrEqual(s.fields.rtt_max_ms as number);
      expect(s.fields.jitter_ms).toBeGreaterThanOrEqual(0);
    }
    expect(samples.map((s) => s.tags.target).sort()).toEqual(['127.0.0.1', '::1']);
  });

  it('an unresolvable name is dns_error', async () => {
    const { samples: [s] } = await run(['no-such-host.invalid'], 1);
    expect(s.tags.result).toBe('dns_error');
    expect(s.fields).toEqual({ up: 0, sent: 1, received: 0, loss_percent: 100 });
  });

  it('a missing ping command is an error sample and a log line saying what to install', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent-canhgac';
    try {
      const { samples: [s], logs } = await run(['127.0.0.1'], 1);
      expect(s.tags.result).toBe('error');
      expect(s.fields.up).toBe(0);
      expect(logs.join('\n')).toMatch(process.platform === 'win32' ? /ping command was not found/ : /install it .*iputils-ping/);
    } finally {
      process.env.PATH = path;
    }
  });
});
