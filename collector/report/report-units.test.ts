import { describe, expect, it } from 'vitest';
import type { MonthlyReport } from './figures.ts';
import { monthOf, parseMonth, previousMonth, vnDayHour } from './month.ts';
import { reportCsv } from './render-csv.ts';
import { barChart } from './svg.ts';

describe('report months', () => {
  it('are calendar months in Vietnam time', () => {
    expect(parseMonth('2026-01')).toEqual({ month: '2026-01', start: Date.parse('2025-12-31T17:00:00Z'), end: Date.parse('2026-01-31T17:00:00Z') });
    expect(parseMonth('2026-13')).toBeUndefined();
    expect(previousMonth('2026-01')).toBe('2025-12');
    expect(monthOf(Date.parse('2026-10-31T17:00:00Z'))).toBe('2026-11');
    expect(vnDayHour(Date.parse('2026-10-31T17:00:00Z'))).toEqual({ day: 1, hour: 0 });
  });
});

describe('report output', () => {
  it('CSV cells are quoted and never start a spreadsheet formula', () => {
    const src = { kind: 'SQL' as const, query: 'SELECT "x", 1', start: 0, end: 1000 };
    const r = {
      reporting: { count: 1, total: 2, sharePercent: 50, agencies: [], source: src, totalSource: src },
      videoconf: [{ agency: 'so-y-te', endpoint: '=HYPERLINK("http://x.invalid")', availabilityPercent: 99.5, hours: 10 }],
      videoconfSource: src,
      probes: [],
      certificates: [],
      security: [{ agency: 'a', scorePercent: 50, previousPercent: 60, change: -10 }],
      securitySource: src,
      securityPreviousSource: src,
      incidents: [],
      webFindings: [],
      authFindings: [],
    } as unknown as MonthlyReport;
    const csv = reportCsv(r);
    expect(csv).toContain(`"videoconf","so-y-te","'=HYPERLINK(""http://x.invalid"")","availability","99.5","percent","1970-01-01T00:00:00.000Z","1970-01-01T00:00:01.000Z","SQL","SELECT ""x"", 1"`);
    expect(csv).toContain('"security","a","","score_change","-10","points"');
  });

  it('SVG charts escape their labels', () => {
    const svg = barChart([{ label: '<script>x</script>', value: 50 }], { max: 100, unit: '%', title: 'T & U' });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('aria-label="T &amp; U"');
  });
});
