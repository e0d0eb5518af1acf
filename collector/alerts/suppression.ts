// Whether an alert's mail must be held back now: a matching silence or the agency's maintenance window.
import { activeWindow, type MaintenanceWindow } from './maintenance.ts';
import { compileMatchers, matchesAll, type Matcher } from './matchers.ts';
import type { SilenceRow } from './store.ts';

export type Suppression = { by: 'silence'; id: number; reason: string; author: string } | { by: 'maintenance'; reason: string };

export interface ActiveSilences {
  list: { row: SilenceRow; matchers: Matcher[] }[];
}

export function activeSilences(rows: SilenceRow[], now: number): ActiveSilences {
  return { list: rows.filter((r) => r.removedAt === null && r.startsAt <= now && r.endsAt > now).map((row) => ({ row, matchers: compileMatchers(row.matchers) })) };
}

/** Why an alert must not be mailed right now, if it must not: a matching silence or its agency's maintenance window. */
export function suppressionOf(alert: { agency: string; labels: Record<string, string> }, silences: ActiveSilences, windows: MaintenanceWindow[], now: number): Suppression | undefined {
  const labels = { ...alert.labels, agency: alert.agency };
  for (const s of silences.list) {
    if (matchesAll(s.matchers, labels)) return { by: 'silence', id: s.row.id, reason: s.row.reason, author: s.row.author };
  }
  const w = activeWindow(windows, alert.agency, now);
  if (w) return { by: 'maintenance', reason: w.reason ?? 'maintenance window' };
  return undefined;
}
