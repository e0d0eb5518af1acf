/**
 * What the agent remembers between cycles, per subnet: the devices it has seen (so a cycle can say
 * how many are new) and the risky services it found open (so it can report one `open=0` when one
 * closes). The collector's inventory stays the authority for the agency; this file only lets the
 * agent count `new_devices` without asking it. The first cycle of a subnet is its baseline: nothing
 * in it is new, so installing an agent does not announce every printer as an intruder.
 */
import { join } from 'node:path';
import { loadStateFile, saveStateFile } from '../common/state-file.ts';

export interface KnownDevice {
  ip: string;
  firstSeen: string;
  lastSeen: string;
}

export interface SubnetMemory {
  devices: Record<string, KnownDevice>;
  /** `ip|port|protocol|service` of the services open in the last cycle that probed them. */
  openExposures: string[];
}

export interface KnownState {
  version: 1;
  subnets: Record<string, SubnetMemory>;
}

/** A device unseen for this long is forgotten (and would be new again): keeps the file bounded. */
export const FORGET_AFTER_MS = 30 * 86_400_000;

export const DEFAULT_STATE_FILE =
  process.platform === 'win32' ? join(process.env.ProgramData ?? 'C:\\ProgramData', 'CanhGac', 'discovery-state.json') : '/var/lib/canhgac/discovery-state.json';

export function emptyState(): KnownState {
  return { version: 1, subnets: {} };
}

/** The saved state; an absent or unreadable file is an empty state (`problem` says why when it is not simply absent). */
export function loadState(file: string): { state: KnownState; problem?: string } {
  return loadStateFile(file, emptyState, (p) => {
    const parsed = p as KnownState;
    return parsed?.version === 1 && typeof parsed.subnets === 'object' && parsed.subnets !== null ? parsed : undefined;
  });
}

export const saveState = (file: string, state: KnownState): void => saveStateFile(file, state);

export interface CycleDevice {
  key: string;
  ip: string;
}

export interface CycleOutcome {
  /** Keys never seen on this subnet before (empty on the baseline cycle). */
  newKeys: Set<string>;
  /** Known devices that did not answer this cycle, with their last address. */
  absent: { key: string; ip: string }[];
  baseline: boolean;
}

/** Merge one cycle's devices into the subnet's memory (in place) and say what is new and what is missing. */
export function rememberCycle(state: KnownState, subnet: string, devices: readonly CycleDevice[], now: Date): CycleOutcome {
  const baseline = !state.subnets[subnet];
  const mem = (state.subnets[subnet] ??= { devices: {}, openExposures: [] });
  const iso = now.toISOString();
  const newKeys = new Set<string>();
  const seen = new Set<string>();
  for (const d of devices) {
    seen.add(d.key);
    const known = mem.devices[d.key];
    if (!known && !baseline) newKeys.add(d.key);
    mem.devices[d.key] = { ip: d.ip, firstSeen: known?.firstSeen ?? iso, lastSeen: iso };
  }
  const absent: { key: string; ip: string }[] = [];
  for (const [key, known] of Object.entries(mem.devices)) {
    if (seen.has(key)) continue;
    if (now.getTime() - Date.parse(known.lastSeen) > FORGET_AFTER_MS) delete mem.devices[key];
    else absent.push({ key, ip: known.ip });
  }
  return { newKeys, absent, baseline };
}

/** Replace the open services of the probed addresses; returns those that were open and are not any more. */
export function rememberExposures(state: KnownState, subnet: string, probedIps: ReadonlySet<string>, openNow: readonly string[]): string[] {
  const mem = (state.subnets[subnet] ??= { devices: {}, openExposures: [] });
  const now = new Set(openNow);
  const closed = mem.openExposures.filter((e) => probedIps.has(e.split('|')[0]) && !now.has(e));
  const kept = mem.openExposures.filter((e) => !probedIps.has(e.split('|')[0]));
  mem.openExposures = [...kept, ...now];
  return closed;
}
