// Whether an alert's mail must be held back now: a matching silence or the agency's maintenance window.
import { activeWindow, type MaintenanceWindow } from './maintenance.ts';
import { matchesAll } from './matchers.ts';
import type { CompiledSilence } from './silences.ts';

export type Suppression = { by: 'silence'; id: number; reason: string; author: string } | { by: 'maintenance'; reason: string };

/**
 * Why an alert must not be mailed right now, if it must not: a matching silence or its agency's maintenance
 * window. A silence whose matching fails is passed over (and reported through `onError`), never the alert.
 */
export function suppressionOf(
  alert: { agency: string; labels: Record<string, string> },
  silences: CompiledSilence[],
  windows: MaintenanceWindow[],
  now: number,
  onError?: (silence: CompiledSilence, err: unknown) => void,
): Suppression | undefined {
  const labels = { ...alert.labels, agency: alert.agency };
  for (const s of silences) {
    let matches = false;
    try {
      matches = matchesAll(s.matchers, labels);
    } catch (err) {
      onError?.(s, err);
    }
    if (matches) return { by: 'silence', id: s.row.id, reason: s.row.reason, author: s.row.author };
  }
  const w = activeWindow(windows, alert.agency, now);
  if (w) return { by: 'maintenance', reason: w.reason ?? 'maintenance window' };
  return undefined;
}
