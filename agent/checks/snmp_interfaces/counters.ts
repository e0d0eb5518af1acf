// The snmp_interfaces check's arithmetic: interface readings from walked rows, and rates between two
// polls that never turn a reboot, a counter reset or a re-numbered interface into a spike.
import type { Row } from './snmp.ts';

/** Counters of one interface at one poll; bigint as decimal text so the state file is JSON. */
export interface IfCounters {
  name: string;
  hc: boolean;
  inOctets: string;
  outOctets: string;
  inUcast: string;
  outUcast: string;
  inErrors: string;
  outErrors: string;
  inDiscards: string;
  outDiscards: string;
  /** ifCounterDiscontinuityTime: a change means the counters restarted. */
  discontinuity: string;
}

/** One device's poll as kept between runs (the stateFile). */
export interface DevicePoll {
  /** sysUpTime in hundredths of a second. */
  uptimeCs: number;
  /** Wall-clock time of the counters (the middle of the walk). */
  atMs: number;
  interfaces: Record<string, IfCounters>;
}

const COUNTER32 = 2n ** 32n;
const UPTIME_WRAP_CS = 2 ** 32;

const big = (v: unknown): bigint | undefined => (typeof v === 'bigint' ? v : typeof v === 'number' && Number.isFinite(v) && v >= 0 ? BigInt(Math.floor(v)) : undefined);

/** The counters of a row: 64-bit ifHC counters when the device has both octet columns, else 32-bit. */
export function countersOf(name: string, row: Row): IfCounters | undefined {
  const hc = big(row.hcInOctets) !== undefined && big(row.hcOutOctets) !== undefined;
  const pick = (h: unknown, l: unknown) => big(hc ? h : l) ?? big(l);
  const inOctets = pick(row.hcInOctets, row.inOctets);
  const outOctets = pick(row.hcOutOctets, row.outOctets);
  if (inOctets === undefined || outOctets === undefined) return undefined;
  const s = (v: bigint | undefined) => (v ?? 0n).toString();
  return {
    name,
    hc,
    inOctets: s(inOctets),
    outOctets: s(outOctets),
    inUcast: s(pick(row.hcInUcast, row.inUcast)),
    outUcast: s(pick(row.hcOutUcast, row.outUcast)),
    inErrors: s(big(row.inErrors)),
    outErrors: s(big(row.outErrors)),
    inDiscards: s(big(row.inDiscards)),
    outDiscards: s(big(row.outDiscards)),
    discontinuity: String(row.discontinuity ?? ''),
  };
}

/**
 * Whether the SNMP agent restarted between two polls: sysUpTime grows with the time that passed (less
 * 2 s and 1 % for delays and drift), modulo its 32-bit wrap after about 497 days.
 */
export function restarted(prev: DevicePoll, cur: DevicePoll): boolean {
  const elapsedCs = Math.max(0, (cur.atMs - prev.atMs) / 10);
  const expected = prev.uptimeCs + elapsedCs;
  let shortfall = expected - cur.uptimeCs;
  if (expected >= UPTIME_WRAP_CS && cur.uptimeCs < prev.uptimeCs) shortfall -= UPTIME_WRAP_CS;
  return shortfall > 200 + elapsedCs * 0.01;
}

export interface Rates {
  in_bps: number;
  out_bps: number;
  in_errors_per_s: number;
  out_errors_per_s: number;
  in_discards_per_s: number;
  out_discards_per_s: number;
  in_unicast_packets_per_s: number;
  out_unicast_packets_per_s: number;
}

/** cur - prev for a counter: a 32-bit counter may have wrapped once; a 64-bit one going back is a reset. */
function delta(prev: string, cur: string, hc: boolean): bigint | undefined {
  const a = BigInt(prev);
  const b = BigInt(cur);
  if (b >= a) return b - a;
  return hc ? undefined : b + COUNTER32 - a;
}

/**
 * Rates between two readings of one interface over `seconds`, or undefined when they cannot be trusted:
 * another interface under the same index, a discontinuity, a 64-bit counter going back, or a rate above
 * twice the interface's speed (a 32-bit counter reset read as a wrap).
 */
export function ratesBetween(prev: IfCounters, cur: IfCounters, seconds: number, speedBps: number | undefined): Rates | undefined {
  if (seconds <= 0 || prev.name !== cur.name || prev.hc !== cur.hc || prev.discontinuity !== cur.discontinuity) return undefined;
  const keys = ['inOctets', 'outOctets', 'inUcast', 'outUcast', 'inErrors', 'outErrors', 'inDiscards', 'outDiscards'] as const;
  const d: Partial<Record<(typeof keys)[number], number>> = {};
  for (const k of keys) {
    // Error and discard counters are 32-bit in every case.
    const dk = delta(prev[k], cur[k], k.endsWith('Octets') || k.endsWith('Ucast') ? cur.hc : false);
    if (dk === undefined) return undefined;
    d[k] = Number(dk);
  }
  const per = (n: number) => round(n / seconds);
  const rates: Rates = {
    in_bps: per(d.inOctets! * 8),
    out_bps: per(d.outOctets! * 8),
    in_errors_per_s: per(d.inErrors!),
    out_errors_per_s: per(d.outErrors!),
    in_discards_per_s: per(d.inDiscards!),
    out_discards_per_s: per(d.outDiscards!),
    in_unicast_packets_per_s: per(d.inUcast!),
    out_unicast_packets_per_s: per(d.outUcast!),
  };
  if (speedBps && speedBps > 0 && (rates.in_bps > 2 * speedBps || rates.out_bps > 2 * speedBps)) return undefined;
  return rates;
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** ifHighSpeed (Mb/s) when the device gives it, else ifSpeed unless it is the 32-bit ceiling. */
export function speedOf(row: Row): number | undefined {
  const high = typeof row.highSpeed === 'number' ? row.highSpeed : undefined;
  if (high && high > 0) return high * 1_000_000;
  const low = typeof row.speed === 'number' ? row.speed : undefined;
  if (low && low > 0 && low < 4_294_967_295) return low;
  return high === 0 || low === 0 ? 0 : undefined;
}

/** Whether a saved poll is usable as the start of a rate window now. */
export function usable(prev: DevicePoll | undefined, nowMs: number, maxAgeMs: number): prev is DevicePoll {
  return prev !== undefined && nowMs - prev.atMs > 0 && nowMs - prev.atMs <= maxAgeMs;
}
