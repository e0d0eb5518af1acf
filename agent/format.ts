// The terminal table `canhgac-agent once` prints (without --json).
import type { WireSample } from '../protocol/index.ts';

/** A readable table of samples for `once` in a terminal. */
export function formatTable(samples: WireSample[]): string {
  const rows = samples.map((s) => [
    s.measurement,
    Object.entries(s.tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
    Object.entries(s.fields)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? round(v) : JSON.stringify(v)}`)
      .join(' '),
  ]);
  const head = ['MEASUREMENT', 'TAGS', 'FIELDS'];
  const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (cols: string[]) => cols.map((c, i) => (i < cols.length - 1 ? c.padEnd(widths[i]) : c)).join('  ');
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}
