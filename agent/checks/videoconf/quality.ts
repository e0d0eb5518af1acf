/**
 * Call-quality figures from one ICMP burst: RFC 3550 interarrival jitter and an estimated MOS from
 * a simplified ITU-T G.107 E-model. Pure functions; the README shows the same formulas.
 */

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * RFC 3550 §6.4.1 interarrival jitter over a series of round trips, in ms. Echo requests leave at a
 * fixed spacing, so the difference D between two consecutive packets' transit times is the difference
 * of their round trips; the estimator is J += (|D| - J) / 16, starting from J = 0. Undefined with
 * fewer than two round trips (no difference to measure).
 */
export function interarrivalJitter(rtts: readonly number[]): number | undefined {
  if (rtts.length < 2) return undefined;
  let j = 0;
  for (let i = 1; i < rtts.length; i++) {
    j += (Math.abs(rtts[i] - rtts[i - 1]) - j) / 16;
  }
  return round3(j);
}

export interface MosInput {
  /** Mean round trip of the burst. */
  rttMs: number;
  jitterMs: number;
  lossPercent: number;
}

export interface MosEstimate {
  /** Effective latency: rtt + 2 × jitter + 10 ms of codec delay. */
  effectiveLatencyMs: number;
  /** Transmission rating R, 0..100. */
  r: number;
  /** Mean opinion score, 1..4.5. */
  mos: number;
}

/**
 * Simplified E-model (the form popularised by PingPlotter and Cisco, derived from ITU-T G.107):
 *   Le  = rtt + 2 × jitter + 10                       (jitter buffer and codec delay)
 *   Id  = Le / 40             when Le < 160 ms
 *         (Le - 120) / 10     otherwise               (delay impairment)
 *   Ie  = 2.5 × loss_percent                          (loss impairment, G.711 without PLC)
 *   R   = 93.2 - Id - Ie, clamped to 0..100
 *   MOS = 1 + 0.035 R + 7·10⁻⁶ R (R - 60)(100 - R)    (G.107 Annex B), clamped to 1..4.5
 * The round trip stands in for the one-way delay on purpose: a VC unit's media path is not pinged,
 * and the conservative reading keeps a marginal link from looking ready.
 */
export function estimateMos(input: MosInput): MosEstimate {
  const le = input.rttMs + 2 * input.jitterMs + 10;
  const id = le < 160 ? le / 40 : (le - 120) / 10;
  const ie = 2.5 * input.lossPercent;
  const r = Math.min(100, Math.max(0, 93.2 - id - ie));
  return { effectiveLatencyMs: round3(le), r: round3(r), mos: round3(mosFromR(r)) };
}

/** ITU-T G.107 Annex B mapping of R to MOS. */
export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return Math.min(4.5, Math.max(1, 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r)));
}
