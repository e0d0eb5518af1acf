import { describe, expect, it } from 'vitest';
import { estimateMos, interarrivalJitter, mosFromR } from './quality.ts';
import { judge } from './index.ts';

describe('RFC 3550 interarrival jitter over a burst', () => {
  it('follows J += (|D| - J) / 16 from J = 0', () => {
    // rtts 10, 12, 11, 15, 15 ms
    // |D| = 2: J = 0 + (2 - 0)/16                         = 0.125
    // |D| = 1: J = 0.125 + (1 - 0.125)/16                 = 0.1796875
    // |D| = 4: J = 0.1796875 + (4 - 0.1796875)/16         = 0.41845703125
    // |D| = 0: J = 0.41845703125 + (0 - 0.41845703125)/16 = 0.392303466796875 → 0.392
    // (the ping check's mean absolute difference of the same series is (2+1+4+0)/4 = 1.75)
    expect(interarrivalJitter([10, 12, 11, 15, 15])).toBe(0.392);
  });

  it('grows towards a steady alternation', () => {
    // 20, 40, 20, 40, 20: |D| = 20 each time
    // J1 = 20/16 = 1.25; J2 = 1.25 + 18.75/16 = 2.421875; J3 = 2.421875 + 17.578125/16 = 3.5205078125;
    // J4 = 3.5205078125 + 16.4794921875/16 = 4.55047607421875 → 4.55
    expect(interarrivalJitter([20, 40, 20, 40, 20])).toBe(4.55);
  });

  it('is 0 for a constant series and unknown with fewer than two round trips', () => {
    expect(interarrivalJitter([5, 5, 5, 5])).toBe(0);
    expect(interarrivalJitter([5])).toBeUndefined();
    expect(interarrivalJitter([])).toBeUndefined();
  });

  it('a recorded loopback burst (ping -n -c 10 -i 0.02 127.0.0.1, Debian 12, iputils 20221126)', () => {
    const rtts = [0.04, 0.05, 0.05, 0.079, 0.048, 0.05, 0.053, 0.056, 0.049, 0.052];
    // |D|: 0.010 0.000 0.029 0.031 0.002 0.003 0.003 0.007 0.003
    // J:   0.000625 → 0.000585938 → 0.002361816 → 0.004151703 → 0.004017221 → 0.003953645
    //      → 0.003894042 → 0.004088165 → 0.004020154 → 0.004 (3 decimals)
    expect(interarrivalJitter(rtts)).toBe(0.004);
  });
});

describe('simplified E-model MOS', () => {
  it('a good provincial WAN link', () => {
    // rtt 20, jitter 2, loss 0: Le = 20 + 2×2 + 10 = 34; Id = 34/40 = 0.85; Ie = 0; R = 93.2 - 0.85 = 92.35
    // MOS = 1 + 0.035×92.35 + 7e-6×92.35×(92.35-60)×(100-92.35)
    //     = 1 + 3.23225 + 7e-6×92.35×32.35×7.65 = 1 + 3.23225 + 0.159982 = 4.392232 → 4.392
    expect(estimateMos({ rttMs: 20, jitterMs: 2, lossPercent: 0 })).toEqual({ effectiveLatencyMs: 34, r: 92.35, mos: 4.392 });
  });

  it('exactly at the default thresholds (rtt 150, jitter 30, loss 1 %)', () => {
    // Le = 150 + 60 + 10 = 220 ≥ 160: Id = (220 - 120)/10 = 10; Ie = 2.5×1 = 2.5; R = 93.2 - 10 - 2.5 = 80.7
    // MOS = 1 + 2.8245 + 7e-6×80.7×20.7×19.3 = 1 + 2.8245 + 0.225683 = 4.050183 → 4.05
    expect(estimateMos({ rttMs: 150, jitterMs: 30, lossPercent: 1 })).toEqual({ effectiveLatencyMs: 220, r: 80.7, mos: 4.05 });
  });

  it('20 % loss on a fast link is a poor call', () => {
    // rtt 1, jitter 0.5: Le = 1 + 1 + 10 = 12; Id = 0.3; Ie = 50; R = 93.2 - 0.3 - 50 = 42.9
    // MOS = 1 + 1.5015 + 7e-6×42.9×(-17.1)×57.1 = 1 + 1.5015 - 0.293216 = 2.208284 → 2.208
    expect(estimateMos({ rttMs: 1, jitterMs: 0.5, lossPercent: 20 })).toEqual({ effectiveLatencyMs: 12, r: 42.9, mos: 2.208 });
  });

  it('clamps R to 0..100 and MOS to 1..4.5', () => {
    // 50 % loss: Ie = 125 > 93.2, R = 0, MOS = 1
    expect(estimateMos({ rttMs: 5, jitterMs: 0, lossPercent: 50 })).toMatchObject({ r: 0, mos: 1 });
    expect(mosFromR(100)).toBe(4.5);
    expect(mosFromR(-3)).toBe(1);
  });
});

describe('readiness verdict', () => {
  const t = { maxLossPercent: 1, maxJitterMs: 30, maxRttMs: 150, minMos: 3.6 };
  const good = { sent: 50, received: 50, loss_percent: 0, rtt_ms: 20, jitter_ms: 2, mos: 4.392 };

  it('is ready when every component answered and every figure is within its threshold', () => {
    expect(judge(good, [], t)).toEqual({ ready: 1 });
  });

  it('names each threshold crossed and each component down', () => {
    // 1 of 50 lost = 2 % (not < 1 %); jitter 30 is not < 30; rtt 151 is not < 150
    const v = judge({ ...good, received: 49, loss_percent: 2, jitter_ms: 30, rtt_ms: 151, mos: 3.5 }, ['H.323 refused'], t);
    expect(v.ready).toBe(0);
    expect(v.reason).toBe('H.323 refused; loss 2% ≥ 1%; jitter 30 ms ≥ 30 ms; RTT 151 ms ≥ 150 ms; MOS 3.5 < 3.6');
  });

  it('a silent endpoint is not ready for the reason its probe gave', () => {
    expect(judge({ sent: 50, received: 0, loss_percent: 100 }, ['no ICMP reply'], t)).toEqual({ ready: 0, reason: 'no ICMP reply' });
  });
});
