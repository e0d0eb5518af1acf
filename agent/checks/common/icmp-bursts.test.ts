// The fping path and the system-ping fallback against the same loopback targets: the same loss, and
// round trips within 0.1 ms of each other; fping output parsing; the real agent in a namespace with
// a known loss, once with fping and once with only ping on its PATH.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireSample } from '../../../protocol/index.ts';
import { AGENT_BIN, runCli, writeYaml } from '../../../test/support/agent.ts';
import { missing } from '../../../test/support/require.ts';
import { icmpBursts, type BurstOutcome } from './icmp-bursts.ts';
import { parseFpingCounts } from './ping-parse.ts';

// Network safety: loopback addresses only, in this host's namespace or in one created (and removed) here.

describe('fping -C output', () => {
  it('reads each target\'s round trips in the order sent, lost ones left out, and send errors', () => {
    // fping 5.1, `fping -C 4 -p 20 -q 192.0.2.10 2001:db8::1 192.0.2.99 2001:db8::2`: documentation addresses, parsed only.
    const stderr = [
      'ICMP Host Unreachable from 192.0.2.1 for ICMP Echo sent to 192.0.2.99',
      '2001:db8::2: error while sending ping: Network is unreachable',
      '192.0.2.10   : 0.91 1.02 - 0.87',
      '2001:db8::1  : 12.4 11.9 12.1 13.0',
      '192.0.2.99   : - - - -',
      '2001:db8::2  : - - - -',
      '',
    ].join('\n');
    const r = parseFpingCounts(stderr);
    expect(r.get('192.0.2.10')).toEqual({ rtts: [0.91, 1.02, 0.87], sent: 4 });
    expect(r.get('2001:db8::1')).toEqual({ rtts: [12.4, 11.9, 12.1, 13], sent: 4 });
    expect(r.get('192.0.2.99')).toEqual({ rtts: [], sent: 4 });
    expect(r.get('2001:db8::2')).toEqual({ rtts: [], sent: 4, sendError: 'Network is unreachable' });
    expect(r.size).toBe(4);
  });
});

const skipLive = missing({ commands: ['fping', 'ping'] });

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

describe.skipIf(skipLive)('fping and the system ping against the same loopback targets', () => {
  const TARGETS = ['127.0.0.1', '127.0.0.2', '::1'];

  async function bursts(tool: 'auto' | 'ping'): Promise<Map<string, BurstOutcome>> {
    const m = icmpBursts(TARGETS, { count: 10, packetIntervalMs: 200, timeoutMs: 1000, signal: AbortSignal.timeout(20_000), concurrency: 32, tool });
    return new Map(await Promise.all([...m].map(async ([t, p]) => [t, await p] as const)));
  }

  it('same loss, and median round trips within 0.1 ms (both bursts sent at the same moment)', async () => {
    // Loopback round trips are tens of microseconds, and a busy machine adds spikes of a millisecond to
    // either tool at random. So the two bursts run at the same time (the same load for both) and their
    // medians are compared: the typical round trip each tool measured, which one spike cannot move.
    const [fping, ping] = await Promise.all([bursts('auto'), bursts('ping')]);
    for (const t of TARGETS) {
      const a = fping.get(t)!;
      const b = ping.get(t)!;
      expect([a.tool, b.tool], t).toEqual(['fping', 'ping']);
      expect([a.kind, a.result, b.kind, b.result], t).toEqual(['done', 'ok', 'done', 'ok']);
      expect(a.stats!.loss_percent, t).toBe(b.stats!.loss_percent);
      expect(a.stats!.received, t).toBe(10);
      expect(a.rtts!.length, t).toBe(b.rtts!.length);
      expect(Math.abs(median(a.rtts!) - median(b.rtts!)), `${t}: fping ${a.rtts!.join(' ')} / ping ${b.rtts!.join(' ')}`).toBeLessThanOrEqual(0.1);
    }
  }, 30_000);

  it('a name is resolved first by both: an unresolvable one is dns_error, whatever the tool', async () => {
    for (const tool of ['auto', 'ping'] as const) {
      const o = await icmpBursts(['no-such-host.invalid'], { count: 1, packetIntervalMs: 200, timeoutMs: 500, signal: AbortSignal.timeout(10_000), concurrency: 4, tool }).get('no-such-host.invalid')!;
      expect([o.kind, o.result, o.stats?.received ?? 0]).toEqual(['failed', 'dns_error', 0]);
    }
  });
});

const skipNs = missing({ root: true, commands: ['ip', 'nft', 'fping', 'ping'] });

describe.skipIf(skipNs)('the real agent in a namespace that drops every 4th echo request to 127.0.0.2 and all to 127.0.0.3', () => {
  const ns = `cgicmp-${randomBytes(3).toString('hex')}`;
  let dir: string;
  let ip: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'canhgac-icmp-'));
    ip = spawnSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).stdout.trim();
    const sh = (args: string[], input?: string) => {
      const r = spawnSync(ip, args, { input, encoding: 'utf8', timeout: 10_000 });
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    };
    sh(['netns', 'add', ns]);
    sh(['-n', ns, 'link', 'set', 'lo', 'up']);
    // Counted drops, not random ones: each rule keeps its own counter, so a burst of 12 to 127.0.0.2
    // loses exactly 3 whichever tool sends it, and the next burst starts where this one left off.
    sh(['netns', 'exec', ns, 'nft', '-f', '-'], [
      'table ip t {',
      ' chain in {',
      '  type filter hook input priority 0;',
      '  ip daddr 127.0.0.2 icmp type echo-request numgen inc mod 4 == 0 drop',
      '  ip daddr 127.0.0.3 icmp type echo-request drop',
      ' }',
      '}',
      '',
    ].join('\n'));
  });

  afterAll(() => {
    spawnSync(ip, ['netns', 'del', ns], { timeout: 10_000 });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function agentOnce(path: string): Promise<{ samples: Map<string, WireSample>; tools: string }> {
    const config = writeYaml(join(dir, 'agent.yaml'), {
      agent: { logLevel: 'debug' },
      checks: [{ type: 'ping', targets: ['127.0.0.1', '127.0.0.2', '127.0.0.3'], count: 12, packetInterval: '200ms', timeout: '1s', interval: '60s' }],
    });
    const r = await runCli(AGENT_BIN, ['once', '--config', config, '--json'], { wrap: [ip, 'netns', 'exec', ns], env: { PATH: path } });
    expect(r.code, r.stderr).toBe(0);
    const samples = (JSON.parse(r.stdout) as WireSample[]).filter((s) => s.measurement === 'ping');
    const tools = /"msg":"ping bursts done".*?"tools":"([^"]*)"/.exec(r.stderr)?.[1] ?? '';
    return { samples: new Map(samples.map((s) => [s.tags.target, s])), tools };
  }

  it('fping and, with only ping installed, the fallback: the same loss for every target and round trips that agree', async () => {
    const withFping = await agentOnce(process.env.PATH ?? '/usr/bin:/bin');
    // A PATH with ping and nothing else: what an agency machine without fping looks like to the agent.
    const onlyPing = join(dir, 'only-ping');
    spawnSync('mkdir', ['-p', onlyPing]);
    symlinkSync(spawnSync('sh', ['-c', 'command -v ping'], { encoding: 'utf8' }).stdout.trim(), join(onlyPing, 'ping'));
    const withPing = await agentOnce(onlyPing);
    expect([withFping.tools, withPing.tools]).toEqual(['fping', 'ping']);
    const expected: Record<string, [number, number, string]> = { '127.0.0.1': [12, 0, 'ok'], '127.0.0.2': [9, 25, 'ok'], '127.0.0.3': [0, 100, 'timeout'] };
    for (const [target, [received, loss, result]] of Object.entries(expected)) {
      for (const run of [withFping, withPing]) {
        const s = run.samples.get(target)!;
        expect([s.tags.result, s.fields.received, s.fields.loss_percent], `${run.tools} ${target}`).toEqual([result, received, loss]);
      }
      if (received > 0) {
        // The minimum: the bursts ran one after the other, and the least delayed packet is what a quiet path gives.
        const a = withFping.samples.get(target)!.fields.rtt_min_ms as number;
        const b = withPing.samples.get(target)!.fields.rtt_min_ms as number;
        expect(Math.abs(a - b), `${target}: rtt_min_ms fping ${a} / ping ${b}`).toBeLessThanOrEqual(0.1);
      }
    }
  }, 60_000);
});
