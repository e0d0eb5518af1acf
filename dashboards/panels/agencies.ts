// Province-wide agency panels: how many agencies report, by district, their last report and their
// probe availability.
import { countTagValues, from, RAW_RP } from '../influxql.ts';
import { influx } from '../datasource.ts';
import type { Tr } from '../i18n.ts';
import { barGauge, higherIsBetter, MERGE, sortBy, stat, table, unitOf } from './common.ts';

/**
 * n of N: agencies with an agent status in the time range, out of the agencies in the collector's
 * config (which it writes in `collector_status`), so an agency that never reported still counts in N.
 */
export function agenciesReporting(tr: Tr) {
  return stat(tr, {
    title: { vi: 'Đơn vị đang báo cáo', en: 'Agencies reporting' },
    description: {
      vi: 'Số đơn vị có agent gửi dữ liệu trong khoảng thời gian đang xem, trên tổng số đơn vị khai báo trong cấu hình collector.',
      en: 'Agencies whose agents sent data in the time range, out of the agencies in the collector configuration.',
    },
    width: 6,
    height: 6,
    targets: [
      influx(countTagValues('agent_status', 'agency', 'cycle_ms', 'reporting'), 'A').alias(tr({ vi: 'đang báo cáo', en: 'reporting' })),
      influx(from('collector_status').agg('last', 'agencies_configured', 'total').rp(RAW_RP).since('1h'), 'B').alias(tr({ vi: 'tổng số đơn vị', en: 'agencies in all' })),
    ],
  });
}

/**
 * Agencies reporting per district: district agencies carry a `district` tag (set by the collector from
 * its config); the province's departments have none and are counted on their own line.
 */
export function reportingByDistrict(tr: Tr) {
  const reporting = 'reporting';
  return barGauge(tr, {
    title: { vi: 'Đơn vị đang báo cáo theo huyện', en: 'Agencies reporting by district' },
    description: {
      vi: 'Số đơn vị có agent gửi dữ liệu trong khoảng thời gian đang xem, theo huyện; các sở, ngành cấp tỉnh ở một dòng riêng.',
      en: 'Agencies whose agents sent data in the time range, by district; province-level departments on a line of their own.',
    },
    targets: [
      influx(countTagValues('agent_status', 'agency', 'cycle_ms', reporting, { per: 'district', narrow: (q) => q.whereSet('district') }), 'A').alias('$tag_district'),
      influx(countTagValues('agent_status', 'agency', 'cycle_ms', reporting, { narrow: (q) => q.where('district', '') }), 'B').alias(tr({ vi: 'Cấp tỉnh (sở, ban, ngành)', en: 'Province level (departments)' })),
    ],
  });
}

/** Last report per agency (Time column), its district and its number of agents. */
export function agencyStatus(tr: Tr) {
  return table(tr, {
    title: { vi: 'Trạng thái từng đơn vị', en: 'Status per agency' },
    description: {
      vi: 'Huyện, thời điểm nhận dữ liệu gần nhất và số agent đang báo cáo của mỗi đơn vị; đơn vị im lặng lâu nằm đầu bảng.',
      en: 'District, when each agency last reported and how many agents report; the longest silent come first.',
    },
    targets: [
      influx(from('agent_status').agg('last', 'cycle_ms').by('district', 'agency'), 'A').table(),
      influx(countTagValues('agent_status', 'agent', 'cycle_ms', 'agents', { per: 'agency' }), 'B').table(),
    ],
  })
    .withTransformation(MERGE)
    .sortBy([sortBy('Time')]);
}

export function availabilityByAgency(tr: Tr) {
  return barGauge(tr, {
    title: { vi: 'Tỷ lệ sẵn sàng theo đơn vị', en: 'Availability by agency' },
    description: { vi: 'Tỷ lệ ping thành công tới các đích của mỗi đơn vị trong khoảng thời gian.', en: 'Share of successful pings to each agency’s targets in the time range.' },
    unit: unitOf('ping', 'up'),
    targets: [influx(from('ping').agg('mean', 'up').by('agency')).alias('$tag_agency')],
  })
    .min(0)
    .max(1)
    .thresholds(higherIsBetter(0.95, 0.99));
}
