// Alerts in Grafana: the collector's alert state changes as annotations, and the active alerts table.
import { AnnotationEventFieldMappingBuilder, AnnotationEventFieldSource, AnnotationQueryBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { from, latestWhere } from '../influxql.ts';
import { DATASOURCE, influx } from '../datasource.ts';
import type { Tr } from '../i18n.ts';
import { MERGE, table } from './common.ts';

const field = (name: string) => new AnnotationEventFieldMappingBuilder().source(AnnotationEventFieldSource.Field).value(name);

/** Alert state changes (written by the collector) as annotations on every time panel. */
export function alertAnnotations(tr: Tr) {
  const q = from('alerts').value('summary').value('rule').value('severity').value('state').value('firing').rp('raw');
  return new AnnotationQueryBuilder()
    .name(tr({ vi: 'Cảnh báo', en: 'Alerts' }))
    .datasource(DATASOURCE)
    .enable(true)
    .iconColor('red')
    .target(influx(q, 'Anno'))
    .mappings({ text: field('summary'), tags: field('rule') });
}

/** Alerts whose latest state change fired them. */
export function activeAlerts(tr: Tr) {
  const latest = from('alerts').agg('last', 'firing').pick('last', 'summary').by('rule', 'severity').rp('raw');
  return table(tr, {
    title: { vi: 'Cảnh báo đang hoạt động', en: 'Active alerts' },
    description: { vi: 'Các cảnh báo có trạng thái mới nhất là đang phát (chưa được giải quyết).', en: 'Alerts whose latest state is firing (not resolved yet).' },
    targets: [influx(latestWhere(latest, 'firing', '=', 1)).table()],
  }).withTransformation(MERGE);
}
