// The panel kinds every panels/ module builds on (time series, stat, table, bar gauge, state
// timeline) with units taken from the catalogue, thresholds and value mappings in one style.
import { MappingType, ThresholdsConfigBuilder, ThresholdsMode, type ValueMapping } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarGauge } from '@grafana/grafana-foundation-sdk/bargauge';
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as StateTimeline } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import { TableSortByFieldStateBuilder, ReduceDataOptionsBuilder, BigValueGraphMode, BigValueColorMode, BigValueTextMode, VizOrientation, BarGaugeDisplayMode } from '@grafana/grafana-foundation-sdk/common';
import { catalogue, type MeasurementName, type Unit } from '../../protocol/index.ts';
import { DATASOURCE, type InfluxTarget } from '../datasource.ts';
import type { Text, Tr } from '../i18n.ts';
import type { FieldName, InfluxQuery, Variable } from '../influxql.ts';

/** Grafana's unit for each catalogue unit: the catalogue is the only place a field's unit is stated. */
const GRAFANA_UNITS: Record<Unit, string> = {
  ms: 'ms',
  seconds: 's',
  days: 'd',
  bytes: 'bytes',
  percent: 'percent',
  // 0/1 fields are averaged into availability ratios.
  bool: 'percentunit',
  count: 'short',
  code: 'none',
  score: 'none',
  text: 'string',
  bps: 'bps',
  per_second: 'cps',
};

export function unitOf<M extends MeasurementName>(measurement: M, field: FieldName<M>): string {
  return GRAFANA_UNITS[(catalogue[measurement].fields as Record<string, { unit: Unit }>)[field].unit];
}

export interface PanelSpec {
  title: Text;
  description: Text;
  targets: InfluxTarget[];
  unit?: string;
  width?: number;
  height?: number;
}

type AnyPanel = TimeSeries | Stat | Table | BarGauge | StateTimeline;

function common<P extends AnyPanel>(panel: P, tr: Tr, spec: PanelSpec): P {
  panel
    .title(tr(spec.title))
    .description(tr(spec.description))
    .datasource(DATASOURCE)
    .targets(spec.targets)
    .span(spec.width ?? 12)
    .height(spec.height ?? 8);
  if (spec.unit) panel.unit(spec.unit);
  return panel;
}

const steps = (...s: [number | null, string][]) => new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(s.map(([value, color]) => ({ value, color })));

/** Red below `bad`, yellow below `good`, green above: for availability, scores, days left. */
export const higherIsBetter = (bad: number, good: number) => steps([null, 'red'], [bad, 'yellow'], [good, 'green']);
/** Green below `warn`, yellow below `bad`, red above: for latency, loss, queue depth. */
export const lowerIsBetter = (warn: number, bad: number) => steps([null, 'green'], [warn, 'yellow'], [bad, 'red']);

/** 0/1 fields shown as words. */
export function okMapping(tr: Tr, ok: Text, bad: Text): ValueMapping[] {
  return [
    {
      type: MappingType.ValueToText,
      options: {
        '1': { text: tr(ok), color: 'green', index: 0 },
        '0': { text: tr(bad), color: 'red', index: 1 },
      },
    },
  ];
}

export function timeSeries(tr: Tr, spec: PanelSpec): TimeSeries {
  return common(new TimeSeries(), tr, spec).spanNulls(true);
}

export function stat(tr: Tr, spec: PanelSpec): Stat {
  return common(new Stat(), tr, spec)
    .graphMode(BigValueGraphMode.None)
    .colorMode(BigValueColorMode.Background)
    .textMode(BigValueTextMode.ValueAndName)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

export function table(tr: Tr, spec: PanelSpec): Table {
  return common(new Table(), tr, spec).height(spec.height ?? 10);
}

export function barGauge(tr: Tr, spec: PanelSpec): BarGauge {
  return common(new BarGauge(), tr, spec)
    .orientation(VizOrientation.Horizontal)
    .displayMode(BarGaugeDisplayMode.Gradient)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

export function stateTimeline(tr: Tr, spec: PanelSpec): StateTimeline {
  return common(new StateTimeline(), tr, spec);
}

/** Tables list one row per series: merge the frames Grafana gets per tag set into one table. */
export const MERGE = { id: 'merge', options: {} };
export const sortBy = (field: string, desc = false) => new TableSortByFieldStateBuilder().displayName(field).desc(desc);

/** Panels of an agency dashboard narrow every query to `$agency`; province-wide ones do not. */
export interface Scope {
  agency?: Variable;
}

export function scoped<M extends MeasurementName>(q: InfluxQuery<M>, scope: Scope): InfluxQuery<M> {
  return scope.agency ? q.where('agency', scope.agency) : q;
}
