/** A calendar month in Vietnam time (UTC+7 all year, no daylight saving). */
export interface MonthWindow {
  month: string;
  /** First instant of the month, ms (00:00 on the 1st, Asia/Ho_Chi_Minh). */
  start: number;
  /** First instant of the next month, ms (exclusive). */
  end: number;
}

const VN_OFFSET_MS = 7 * 3_600_000;

export function parseMonth(s: string): MonthWindow | undefined {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(s);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  return { month: s, start: Date.UTC(y, mo, 1) - VN_OFFSET_MS, end: Date.UTC(y, mo + 1, 1) - VN_OFFSET_MS };
}

export function monthOf(ms: number): string {
  return new Date(ms + VN_OFFSET_MS).toISOString().slice(0, 7);
}

export function previousMonth(month: string): string {
  const w = parseMonth(month)!;
  return monthOf(w.start - 1);
}

/** Day of month and hour in Vietnam time. */
export function vnDayHour(ms: number): { day: number; hour: number } {
  const d = new Date(ms + VN_OFFSET_MS);
  return { day: d.getUTCDate(), hour: d.getUTCHours() };
}
