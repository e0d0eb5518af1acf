// Video-conference panels: endpoint readiness tiles and timeline, link quality, components and SIP.
import { from, type NumericField } from '../influxql.ts';
import { influx } from '../datasource.ts';
import type { Text, Tr } from '../i18n.ts';
import { MERGE, okMapping, scoped, sortBy, stat, stateTimeline, table, timeSeries, unitOf, type Scope } from './common.ts';

const READY = (tr: Tr) => okMapping(tr, { vi: 'Sẵn sàng', en: 'Ready' }, { vi: 'Chưa sẵn sàng', en: 'Not ready' });

/** One tile per video-conference endpoint (the province has 14), coloured by its latest readiness. */
export function endpointTiles(tr: Tr, scope: Scope) {
  return stat(tr, {
    title: { vi: 'Điểm cầu truyền hình hội nghị', en: 'Video-conference endpoints' },
    description: {
      vi: 'Trạng thái sẵn sàng mới nhất của từng điểm cầu: mọi thành phần trả lời trong ngưỡng cho phép.',
      en: 'Latest readiness of each endpoint: every component answers within thresholds.',
    },
    width: 24,
    height: 6,
    targets: [influx(scoped(from('videoconf').agg('last', 'ready').by('agency', 'endpoint'), scope)).alias('$tag_endpoint')],
  }).mappings(READY(tr));
}

/** Link-quality fields drawn over time; every other numeric field lands in the components table. */
const OVER_TIME: Partial<Record<NumericField<'videoconf'>, Text>> = {
  rtt_ms: { vi: 'Độ trễ khứ hồi (RTT)', en: 'Round trip (RTT)' },
  jitter_ms: { vi: 'Jitter', en: 'Jitter' },
  loss_percent: { vi: 'Tỷ lệ mất gói', en: 'Packet loss' },
  mos: { vi: 'Điểm chất lượng thoại MOS', en: 'MOS (call quality)' },
};

export function endpointMetrics(tr: Tr, scope: Scope) {
  return (Object.keys(OVER_TIME) as NumericField<'videoconf'>[]).map((field) =>
    timeSeries(tr, {
      title: OVER_TIME[field]!,
      description: { vi: `${tr(OVER_TIME[field]!)} của mỗi điểm cầu, trung bình theo khoảng.`, en: `${OVER_TIME[field]!.en} per endpoint, mean per interval.` },
      unit: unitOf('videoconf', field),
      targets: [influx(scoped(from('videoconf').agg('mean', field).byTime().by('agency', 'endpoint'), scope)).alias('$tag_endpoint')],
    }),
  );
}

/** The latest value of every other numeric videoconf field (SIP, H.323, HTTPS, SNMP and what is added later). */
export function endpointComponents(tr: Tr, scope: Scope) {
  const q = from('videoconf').lastOfEveryField(Object.keys(OVER_TIME) as NumericField<'videoconf'>[]);
  return table(tr, {
    title: { vi: 'Thành phần của từng điểm cầu', en: 'Endpoint components' },
    description: {
      vi: 'Giá trị mới nhất của từng thành phần: SIP, H.323, trang quản trị HTTPS, SNMP (thời gian chạy, khởi động lại), số gói gửi/nhận.',
      en: 'Latest value per component: SIP, H.323, HTTPS management page, SNMP (uptime, restarts), packets sent/received.',
    },
    width: 24,
    targets: [influx(scoped(q.by('agency', 'endpoint'), scope)).table()],
  }).withTransformation(MERGE);
}

export function readinessTimeline(tr: Tr, scope: Scope) {
  return stateTimeline(tr, {
    title: { vi: 'Dòng thời gian sẵn sàng', en: 'Readiness timeline' },
    description: { vi: 'Mỗi hàng là một điểm cầu; đỏ khi có lần kiểm tra không đạt trong khoảng.', en: 'One row per endpoint; red when a check in the interval was not ready.' },
    width: 24,
    targets: [influx(scoped(from('videoconf').agg('min', 'ready').byTime('previous').by('agency', 'endpoint'), scope)).alias('$tag_endpoint')],
  }).mappings(READY(tr));
}

export function sipResponse(tr: Tr, scope: Scope) {
  return timeSeries(tr, {
    title: { vi: 'SIP: thời gian trả lời OPTIONS', en: 'SIP: OPTIONS response time' },
    description: { vi: 'Thời gian tới khi thiết bị SIP trả lời yêu cầu OPTIONS.', en: 'Time until the SIP device answered OPTIONS.' },
    unit: unitOf('sip', 'response_ms'),
    targets: [influx(scoped(from('sip').agg('mean', 'response_ms').byTime().by('agency', 'target'), scope)).alias('$tag_target')],
  });
}

export function sipStatus(tr: Tr, scope: Scope) {
  return table(tr, {
    title: { vi: 'SIP: mã trả lời gần nhất', en: 'SIP: latest answer' },
    description: { vi: 'Mã trạng thái SIP và kết quả mới nhất của mỗi thiết bị.', en: 'Latest SIP status code and result per device.' },
    targets: [influx(scoped(from('sip').agg('last', 'up').agg('last', 'status_code').by('agency', 'target', 'name', 'result'), scope)).table()],
  })
    .withTransformation(MERGE)
    .sortBy([sortBy('up')]);
}
