import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireSample } from '../protocol/index.ts';
import { estimateMos } from '../agent/checks/videoconf/quality.ts';
import { AGENT_BIN, runCli, writeYaml } from './support/agent.ts';
import { missing } from './support/require.ts';

const skip = missing({ root: true, commands: ['ip', 'nft', 'ping'] });

// Network safety: all traffic stays between two network namespaces created here (a veth pair with
// documentation addresses), removed in afterAll.

function sh(cmd: string, args: string[], input?: string): void {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`);
}

describe.skipIf(skip)('videoconf: 20 % of echo requests dropped by nftables in a namespace', () => {
  const id = randomBytes(3).toString('hex');
  const src = `cgvc-src-${id}`;
  const dst = `cgvc-dst-${id}`;
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'canhgac-vc-loss-'));
    sh('ip', ['netns', 'add', src]);
    sh('ip', ['netns', 'add', dst]);
    sh('ip', ['link', 'add', `vs${id}`, 'netns', src, 'type', 'veth', 'peer', 'name', `vd${id}`, 'netns', dst]);
    for (const [ns, dev, addr] of [[src, `vs${id}`, '198.51.100.1/24'], [dst, `vd${id}`, '198.51.100.2/24']]) {
      sh('ip', ['-n', ns, 'addr', 'add', addr, 'dev', dev]);
      sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    // The target drops a random 20 % of the echo requests it receives.
    sh('ip', ['netns', 'exec', dst, 'nft', '-f', '-'], 'table inet t {\n chain in {\n  type filter hook input priority 0;\n  icmp type echo-request numgen random mod 100 < 20 drop\n }\n}\n');
  });

  afterAll(() => {
    for (const ns of [src, dst]) spawnSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a 200-packet burst from the source namespace measures the loss within the binomial tolerance, and the endpoint is not ready', async () => {
    const config = writeYaml(join(dir, 'agent.yaml'), {
      checks: [{ type: 'videoconf', interval: '60s', timeout: '1s', count: 200, packetInterval: '20ms', endpoints: [{ name: 'huyen-tra-cu', address: '198.51.100.2' }] }],
    });
    // The real agent, run inside the source namespace.
    const r = await runCli(AGENT_BIN, ['once', '--config', config, '--json'], { wrap: ['ip', 'netns', 'exec', src] });
    expect(r.code, r.stderr).toBe(0);
    const vc = (JSON.parse(r.stdout) as WireSample[]).find((s) => s.measurement === 'videoconf')!;
    // Lost packets ~ Binomial(200, 0.2): mean 40, sigma = sqrt(200 × 0.2 × 0.8) = 5.657.
    // ±4 sigma = ±22.6 packets: 18..62 lost, i.e. 9 % .. 31 % (a false alarm about once in 16,000 runs).
    const lost = 200 - (vc.fields.received as number);
    expect(vc.fields.sent).toBe(200);
    expect(lost).toBeGreaterThanOrEqual(18);
    expect(lost).toBeLessThanOrEqual(62);
    expect(vc.fields.loss_percent).toBeCloseTo((lost / 200) * 100, 3);
    expect(vc.fields.ready).toBe(0);
    expect(vc.fields.reason).toMatch(new RegExp(`^loss ${vc.fields.loss_percent}% ≥ 1%`));
    // The loss weighs on the estimated call quality: at 9 % or more, Ie = 2.5 × 9 = 22.5, so
    // R <= 93.2 - 0.25 - 22.5 = 70.45 and MOS <= 1 + 2.466 + 0.152 = 3.62.
    expect(vc.fields.mos).toBe(estimateMos({ rttMs: vc.fields.rtt_ms as number, jitterMs: vc.fields.jitter_ms as number, lossPercent: vc.fields.loss_percent as number }).mos);
    expect(vc.fields.mos as number).toBeLessThan(3.63);
  }, 90_000);
});
