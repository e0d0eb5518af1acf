/**
 * Recurring maintenance windows per agency, such as every Sunday 22:00-02:00 in Asia/Ho_Chi_Minh.
 * A window whose end is not after its start runs into the next day.
 */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface MaintenanceWindow {
  agency: string;
  days: Weekday[];
  /** Minutes after local midnight. */
  startMin: number;
  endMin: number;
  timezone: string;
  reason?: string;
}

export function parseWindowTime(text: string): number | undefined {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function localParts(t: number, timezone: string): { day: Weekday; minute: number } {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timezone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(t).map((p) => [p.type, p.value]));
  return { day: parts.weekday.toLowerCase().slice(0, 3) as Weekday, minute: Number(parts.hour) * 60 + Number(parts.minute) };
}

function previousDay(d: Weekday): Weekday {
  return WEEKDAYS[(WEEKDAYS.indexOf(d) + 6) % 7];
}

export function inWindow(w: MaintenanceWindow, t: number): boolean {
  const { day, minute } = localParts(t, w.timezone);
  if (w.endMin > w.startMin) return w.days.includes(day) && minute >= w.startMin && minute < w.endMin;
  // Runs past midnight (or a whole day when start equals end).
  if (w.days.includes(day) && minute >= w.startMin) return true;
  return w.days.includes(previousDay(day)) && minute < w.endMin;
}

export function activeWindow(windows: MaintenanceWindow[], agency: string, t: number): MaintenanceWindow | undefined {
  return windows.find((w) => w.agency === agency && inWindow(w, t));
}
