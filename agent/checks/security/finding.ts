// The vocabulary every host security check shares: its outcome, its thresholds and their defaults.
import type { HostEnv } from './env.ts';

export type Outcome = 'pass' | 'fail' | 'not_applicable' | 'error';

/** What one host check found; `detail` says what was seen (or why it could not look), in English. */
export interface Finding {
  status: Outcome;
  detail: string;
}

/** Limits the checks compare against; from the check's config, with defaults. */
export interface Thresholds {
  maxClockOffsetMs: number;
  maxSignatureAgeDays: number;
  maxUpdateAgeDays: number;
  maxLocalAdmins: number;
  minPasswordLength: number;
  maxLockoutThreshold: number;
  clockReference?: { url: string; ca?: string };
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  maxClockOffsetMs: 60_000,
  maxSignatureAgeDays: 7,
  maxUpdateAgeDays: 30,
  maxLocalAdmins: 3,
  minPasswordLength: 8,
  maxLockoutThreshold: 10,
};

export type HostCheck = (env: HostEnv, limits: Thresholds) => Promise<Finding>;

export const pass = (detail: string): Finding => ({ status: 'pass', detail });
export const fail = (detail: string): Finding => ({ status: 'fail', detail });
export const notApplicable = (detail: string): Finding => ({ status: 'not_applicable', detail });
export const error = (detail: string): Finding => ({ status: 'error', detail });

/** Days between two instants, to one decimal. */
export function daysBetween(earlier: Date, later: Date): number {
  return Math.round(((later.getTime() - earlier.getTime()) / 86_400_000) * 10) / 10;
}
