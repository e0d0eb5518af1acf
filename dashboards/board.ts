// What every Canh Gác dashboard shares (time zone, refresh, retention variable, alert annotations,
// read-only) and the grid layout of its panels, so that each board file only lists rows and panels.
import { DashboardBuilder, DashboardCursorSync, RowBuilder, type Dashboard, type Panel, type RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { Text, Tr } from './i18n.ts';
import { RAW_RP, ROLLUP_RP } from './influxql.ts';
import { alertAnnotations } from './panels/alerts.ts';
import { retentionVariable } from './variables.ts';

export interface BoardSpec {
  uid: string;
  title: Text;
  description: Text;
  /** Default time range, e.g. `now-6h`. */
  from: string;
  /** Which retention policy the `$rp` variable starts on; it fits the default range. */
  rp: typeof RAW_RP | typeof ROLLUP_RP;
  variables?: cog.Builder<import('@grafana/grafana-foundation-sdk/dashboard').VariableModel>[];
  rows: { title: Text; panels: cog.Builder<Panel>[] }[];
}

export const TIMEZONE = 'Asia/Ho_Chi_Minh';

export function board(tr: Tr, spec: BoardSpec): Dashboard {
  const b = new DashboardBuilder(tr(spec.title))
    .uid(spec.uid)
    .description(tr(spec.description))
    .tags(['canhgac'])
    .timezone(TIMEZONE)
    .time({ from: spec.from, to: 'now' })
    .refresh('1m')
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly()
    .withVariable(retentionVariable(tr, spec.rp))
    .annotation(alertAnnotations(tr));
  for (const v of spec.variables ?? []) b.withVariable(v);
  for (const row of spec.rows) {
    b.withRow(new RowBuilder(tr(row.title)));
    for (const p of row.panels) b.withPanel(p);
  }
  const dashboard = b.build();
  layout(dashboard.panels ?? []);
  return dashboard;
}

/**
 * Flow panels left to right, wrapping before a panel that would cross the 24-column edge (the
 * SDK's builder wraps only after), rows on their own line. Ids are stable across builds:
 * Grafana needs them unique for links and the panel editor.
 */
function layout(panels: (Panel | RowPanel)[]): void {
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  panels.forEach((p, i) => {
    p.id = i + 1;
    const pos = p.gridPos ?? { x: 0, y: 0, w: 24, h: 8 };
    if (p.type === 'row' || x + pos.w > 24) {
      y += lineHeight;
      x = 0;
      lineHeight = 0;
    }
    p.gridPos = { ...pos, x, y };
    x += pos.w;
    lineHeight = Math.max(lineHeight, pos.h);
    if (p.type === 'row') {
      y += pos.h;
      x = 0;
      lineHeight = 0;
    }
  });
}
