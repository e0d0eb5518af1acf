// Panels on the data pipeline itself: agents (version, memory, last report), outboxes and the
// collector's ingest, errors and spool.
import { countTagValues, from, type NumericField } from '../influxql.ts';
import { influx } from '../datasource.ts';
import type { Text, Tr } from '../i18n.ts';
import { barGauge, lowerIsBetter, MERGE, scoped, sortBy, table, timeSeries, unitOf, type Scope } from './common.ts';

/** One row per agent; the Time column is when it last reported (a single `last()` keeps its time). */
export function agentsLastSeen(tr: Tr, scope: Scope) {
  return table(tr, {
    title: { vi: 'Các agent và lần báo cáo gần nhất', en: 'Agents and when they last reported' },
    description: {
      vi: 'Cột Time là thời điểm agent gửi trạng thái gần nhất; kèm phiên bản, máy và thời gian chạy một vòng kiểm tra.',
      en: 'Time is when the agent last sent its status; with version, host and the duration of its last check run.',
    },
    width: 24,
    targets: [influx(scoped(from('agent_status').agg('last', 'cycle_ms').by('agency', 'agent', 'version', 'host'), scope)).table()],
  })
    .withTransformation(MERGE)
    .sortBy([sortBy('Time')]);
}

export function agentsByVersion(tr: Tr, scope: Scope) {
  return barGauge(tr, {
    title: { vi: 'Số agent theo phiên bản', en: 'Agents by version' },
    description: { vi: 'Số agent đã báo cáo trong khoảng thời gian, theo phiên bản.', en: 'Agents that reported in the time range, by version.' },
    unit: 'short',
    targets: [influx(countTagValues('agent_status', 'agent', 'queue_samples', 'agents', { per: 'version', narrow: (q) => scoped(q, scope) })).alias('$tag_version')],
  });
}

/** The largest value per agent and interval of one agent_status field. */
function perAgent(tr: Tr, scope: Scope, field: NumericField<'agent_status'>, text: { title: Text; description: Text }) {
  return timeSeries(tr, {
    ...text,
    unit: unitOf('agent_status', field),
    targets: [influx(scoped(from('agent_status').agg('max', field).byTime().by('agency', 'agent'), scope)).alias('$tag_agency $tag_agent')],
  });
}

export function outboxDepth(tr: Tr, scope: Scope) {
  return perAgent(tr, scope, 'queue_samples', {
    title: { vi: 'Hàng đợi gửi của agent', en: 'Agent outbox depth' },
    description: { vi: 'Số mẫu đang chờ gửi về máy chủ thu thập; tăng khi đường truyền hoặc máy chủ gặp sự cố.', en: 'Samples waiting to be sent; grows while the link or the collector is down.' },
  }).thresholds(lowerIsBetter(1000, 100000));
}

export function outboxBytes(tr: Tr, scope: Scope) {
  return perAgent(tr, scope, 'queue_bytes', {
    title: { vi: 'Dung lượng hàng đợi của agent', en: 'Agent outbox size' },
    description: { vi: 'Dung lượng dữ liệu đang chờ gửi trên đĩa của agent.', en: 'Bytes waiting to be sent in the agent outbox.' },
  });
}

export function outboxDrops(tr: Tr, scope: Scope) {
  return perAgent(tr, scope, 'dropped_samples', {
    title: { vi: 'Mẫu bị loại do hàng đợi đầy', en: 'Samples dropped (outbox full)' },
    description: { vi: 'Số mẫu agent đã phải bỏ vì hàng đợi đầy, tính từ khi agent khởi động. Khác 0 là mất dữ liệu.', en: 'Samples the agent dropped because its outbox was full, since it started. Non-zero means lost data.' },
  }).thresholds(lowerIsBetter(1, 1));
}

export function agentMemory(tr: Tr, scope: Scope) {
  return perAgent(tr, scope, 'rss_bytes', {
    title: { vi: 'Bộ nhớ của agent', en: 'Agent memory' },
    description: { vi: 'Bộ nhớ thường trú (RSS) của tiến trình agent.', en: 'Resident memory of the agent process.' },
  });
}

export function ingestRate(tr: Tr) {
  return timeSeries(tr, {
    title: { vi: 'Tốc độ tiếp nhận của máy chủ thu thập', en: 'Collector ingest rate' },
    description: { vi: 'Số mẫu nhận mỗi giây và số agent gửi dữ liệu, theo từng máy chủ thu thập.', en: 'Samples accepted per second and agents sending, per collector instance.' },
    unit: 'short',
    targets: [
      influx(from('collector_status').agg('mean', 'ingest_rate').byTime().by('instance'), 'A').alias(`$tag_instance ${tr({ vi: 'mẫu/giây', en: 'samples/s' })}`),
      influx(from('collector_status').agg('max', 'agents_seen').byTime().by('instance'), 'B').alias(`$tag_instance ${tr({ vi: 'agent gửi dữ liệu', en: 'agents sending' })}`),
    ],
  });
}

export function ingestErrors(tr: Tr) {
  return timeSeries(tr, {
    title: { vi: 'Mẫu bị từ chối và lỗi ghi InfluxDB', en: 'Rejected samples and InfluxDB write errors' },
    description: {
      vi: 'Tổng số từ khi máy chủ thu thập khởi động: mẫu bị từ chối (sai định dạng hoặc vượt hạn mức chuỗi số liệu của agent), lần ghi InfluxDB thất bại và mẫu InfluxDB từ chối (nằm trong dataDir/deadletter).',
      en: "Totals since the collector started: samples refused (malformed, or past the agent's series budget), failed InfluxDB writes and samples InfluxDB refused (kept in dataDir/deadletter).",
    },
    unit: 'short',
    targets: [
      influx(from('collector_status').agg('max', 'samples_rejected').byTime().by('instance'), 'A').alias(`$tag_instance ${tr({ vi: 'mẫu bị từ chối', en: 'rejected' })}`),
      influx(from('collector_status').agg('max', 'write_errors').byTime().by('instance'), 'B').alias(`$tag_instance ${tr({ vi: 'lỗi ghi', en: 'write errors' })}`),
      influx(from('collector_status').agg('max', 'samples_over_budget').byTime().by('instance'), 'C').alias(`$tag_instance ${tr({ vi: 'vượt hạn mức chuỗi', en: 'over series budget' })}`),
      influx(from('collector_status').agg('max', 'points_refused').byTime().by('instance'), 'D').alias(`$tag_instance ${tr({ vi: 'InfluxDB từ chối', en: 'refused by InfluxDB' })}`),
    ],
  });
}

export function collectorSpool(tr: Tr) {
  return timeSeries(tr, {
    title: { vi: 'Hàng đợi ghi của máy chủ thu thập', en: 'Collector spool' },
    description: { vi: 'Số mẫu chờ ghi vào InfluxDB trên đĩa của máy chủ thu thập (khi InfluxDB chậm hoặc dừng).', en: 'Samples waiting on the collector disk for InfluxDB (while InfluxDB is slow or down).' },
    unit: unitOf('collector_status', 'spool_samples'),
    targets: [influx(from('collector_status').agg('max', 'spool_samples').byTime().by('instance')).alias('$tag_instance')],
  });
}
