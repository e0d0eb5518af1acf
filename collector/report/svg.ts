// The report's bar charts as inline SVG: no script and no external resource, so they survive mail and PDF.
import { escapeHtml as escapeXml } from '../console/html.ts';

/** A horizontal bar chart as inline SVG (0..max), labels escaped; no script, no external resource. */
export function barChart(items: { label: string; value: number | null }[], opts: { max?: number; unit?: string; width?: number; title: string; goodAbove?: number }): string {
  const width = opts.width ?? 640;
  const labelW = 220;
  const valueW = 60;
  const barH = 16;
  const gap = 6;
  const max = opts.max ?? Math.max(1, ...items.map((i) => i.value ?? 0));
  const height = items.length * (barH + gap) + 28;
  const barSpace = width - labelW - valueW;
  const rows = items.map((it, i) => {
    const y = 24 + i * (barH + gap);
    const v = it.value ?? 0;
    const w = Math.max(0, Math.min(1, v / max)) * barSpace;
    const colour = it.value === null ? '#bbb' : opts.goodAbove === undefined ? '#2b6cb0' : v >= opts.goodAbove ? '#2f855a' : '#c05621';
    const text = it.value === null ? '–' : `${Math.round(v * 100) / 100}${opts.unit ?? ''}`;
    return `<text x="${labelW - 6}" y="${y + barH - 4}" text-anchor="end" font-size="11">${escapeXml(it.label.length > 34 ? `${it.label.slice(0, 33)}…` : it.label)}</text>` +
      `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${colour}"/>` +
      `<text x="${labelW + w + 4}" y="${y + barH - 4}" font-size="11">${escapeXml(text)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeXml(opts.title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">` +
    `<text x="0" y="14" font-size="13" font-weight="bold">${escapeXml(opts.title)}</text>${rows.join('')}</svg>`;
}
