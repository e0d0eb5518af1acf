// The dashboard variables: the retention policy choice (raw or hourly roll-up) and per-tag filters
// whose values come from InfluxDB.
import {
  CustomVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE } from './datasource.ts';
import type { Tr } from './i18n.ts';
import { RAW_RP, ROLLUP_RP, RP_VARIABLE, type TagName } from './influxql.ts';
import type { MeasurementName } from '../protocol/index.ts';

/**
 * Which retention policy panels read. Grafana cannot pick a retention policy from the time range
 * by itself, so the choice is a variable: `raw` (every sample, kept 30 days by default) for the
 * short ranges the operational dashboards open with, `rollup_1h` (hourly means, kept two years)
 * for long ranges. Each dashboard selects the one that fits its default range; a viewer switches
 * it in the variable bar (or with `&var-rp=rollup_1h` in the URL) when zooming out past a few days.
 */
export function retentionVariable(tr: Tr, initial: typeof RAW_RP | typeof ROLLUP_RP): CustomVariableBuilder {
  const options = [
    { text: tr({ vi: 'Chi tiết (raw)', en: 'Detailed (raw)' }), value: RAW_RP, selected: initial === RAW_RP },
    { text: tr({ vi: 'Theo giờ (rollup_1h)', en: 'Hourly (rollup_1h)' }), value: ROLLUP_RP, selected: initial === ROLLUP_RP },
  ];
  const current = options.find((o) => o.selected)!;
  return new CustomVariableBuilder(RP_VARIABLE)
    .label(tr({ vi: 'Độ chi tiết', en: 'Resolution' }))
    .description(
      tr({
        vi: 'raw: mọi mẫu, giữ 30 ngày, dùng cho khoảng thời gian ngắn. rollup_1h: trung bình theo giờ, giữ 2 năm, dùng khi xem nhiều ngày trở lên.',
        en: 'raw: every sample, kept 30 days, for short ranges. rollup_1h: hourly means, kept 2 years, for ranges of several days or more.',
      }),
    )
    .values(`${RAW_RP},${ROLLUP_RP}`)
    .options(options)
    .current({ text: current.text, value: current.value, selected: true });
}

/** One variable per tag, its values read from InfluxDB (only values that have data). */
export function tagVariable<M extends MeasurementName>(measurement: M, name: TagName<M>, label: string, opts: { includeAll?: boolean } = {}): QueryVariableBuilder {
  const v = new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(`SHOW TAG VALUES FROM "${measurement}" WITH KEY = "${name}"`)
    .refresh(VariableRefresh.OnDashboardLoad)
    .sort(VariableSort.AlphabeticalAsc);
  if (opts.includeAll) v.includeAll(true).allValue('.*').multi(true);
  return v;
}
