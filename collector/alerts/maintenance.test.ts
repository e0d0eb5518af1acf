import { describe, expect, it } from 'vitest';
import { inWindow, parseWindowTime, type MaintenanceWindow } from './maintenance.ts';

describe('maintenance windows', () => {
  const sunday: MaintenanceWindow = { agency: 'a', days: ['sun'], startMin: parseWindowTime('22:00')!, endMin: parseWindowTime('02:00')!, timezone: 'Asia/Ho_Chi_Minh' };
  // Sunday 2026-11-29 in Ho Chi Minh City (UTC+7).
  const at = (local: string) => Date.parse(`${local}+07:00`);
  it('Sunday 22:00-02:00 runs past midnight into Monday, in Vietnam time', () => {
    expect(inWindow(sunday, at('2026-11-29T21:59:00'))).toBe(false);
    expect(inWindow(sunday, at('2026-11-29T22:00:00'))).toBe(true);
    expect(inWindow(sunday, at('2026-11-30T01:59:00'))).toBe(true);
    expect(inWindow(sunday, at('2026-11-30T02:00:00'))).toBe(false);
    expect(inWindow(sunday, at('2026-11-28T23:00:00'))).toBe(false); // Saturday night
    expect(inWindow(sunday, at('2026-11-29T01:00:00'))).toBe(false); // Saturday's overflow: not listed
  });
  it('a same-day window and time parsing', () => {
    const lunch = { ...sunday, days: ['mon' as const], startMin: 12 * 60, endMin: 13 * 60 };
    expect(inWindow(lunch, at('2026-11-30T12:30:00'))).toBe(true);
    expect(inWindow(lunch, at('2026-11-30T13:00:00'))).toBe(false);
    expect(parseWindowTime('7:05')).toBe(425);
    expect(parseWindowTime('24:00')).toBeUndefined();
  });
});
