// Reachability panels for the ping, TCP, HTTP and DNS probes: availability, latency, loss, results.
import { from } from '../influxql.ts';
import { influx } from '../datasource.ts';
import type { Tr } from '../i18n.ts';
import { barGauge, higherIsBetter, lowerIsBetter, MERGE, scoped, sortBy, table, timeSeries, unitOf, type Scope } from './common.ts';

/** Reachability probes: ping, TCP, HTTP, DNS. `up` is 0/1, so its mean is availability. */
export function probeAvailability(tr: Tr, scope: Scope) {
  return barGauge(tr, {
    title: { vi: 'Tỷ lệ sẵn sàng của các điểm đo', en: 'Probe availability' },
    description: {
      vi: 'Tỷ lệ lần đo thành công trong khoảng thời gian đang xem (ping, TCP, HTTP, DNS).',
      en: 'Share of successful probes in the time range (ping, TCP, HTTP, DNS).',
    },
    unit: unitOf('ping', 'up'),
    width: 24,
    height: 10,
    targets: [
      influx(scoped(from('ping').agg('mean', 'up').by('agency', 'target'), scope), 'A').alias('ping $tag_target'),
      influx(scoped(from('tcp').agg('mean', 'up').by('agency', 'target', 'port'), scope), 'B').alias('tcp $tag_target:$tag_port'),
      influx(scoped(from('http').agg('mean', 'up').by('agency', 'url'), scope), 'C').alias('http $tag_url'),
      influx(scoped(from('dns').agg('mean', 'up').by('agency', 'server', 'query'), scope), 'D').alias('dns $tag_query @ $tag_server'),
    ],
  })
    .min(0)
    .max(1)
    .thresholds(higherIsBetter(0.95, 0.99));
}

export function pingLatency(tr: Tr, scope: Scope) {
  return timeSeries(tr, {
    title: { vi: 'Ping: độ trễ và jitter', en: 'Ping: round trip and jitter' },
    description: { vi: 'Độ trễ trung bình và jitter của mỗi đích ping.', en: 'Mean round trip and jitter per ping target.' },
    unit: unitOf('ping', 'rtt_avg_ms'),
    targets: [
      influx(scoped(from('ping').agg('mean', 'rtt_avg_ms').byTime().by('agency', 'target'), scope), 'A').alias('RTT $tag_target'),
      influx(scoped(from('ping').agg('mean', 'jitter_ms').byTime().by('agency', 'target'), scope), 'B').alias('jitter $tag_target'),
    ],
  });
}

export function pingLoss(tr: Tr, scope: Scope) {
  return timeSeries(tr, {
    title: { vi: 'Ping: tỷ lệ mất gói', en: 'Ping: packet loss' },
    description: { vi: 'Phần trăm gói bị mất trong mỗi loạt ping.', en: 'Share of packets lost per ping burst.' },
    unit: unitOf('ping', 'loss_percent'),
    targets: [influx(scoped(from('ping').agg('max', 'loss_percent').byTime().by('agency', 'target'), scope)).alias('$tag_target')],
  }).thresholds(lowerIsBetter(1, 5));
}

export function tcpConnect(tr: Tr, scope: Scope) {
  return timeSeries(tr, {
    title: { vi: 'TCP: thời gian kết nối', en: 'TCP: connect time' },
    description: { vi: 'Thời gian bắt tay TCP tới từng dịch vụ.', en: 'TCP handshake time per service.' },
    unit: unitOf('tcp', 'connect_ms'),
    targets: [influx(scoped(from('tcp').agg('mean', 'connect_ms').byTime().by('agency', 'target', 'port'), scope)).alias('$tag_target:$tag_port')],
  });
}

export function httpResponse(tr: Tr, scope: Scope) {
  return timeSeries(tr, {
    title: { vi: 'HTTP: thời gian phản hồi', en: 'HTTP: response time' },
    description: { vi: 'Thời gian tới khi đọc xong toàn bộ phản hồi của mỗi URL.', en: 'Time until the whole response was read, per URL.' },
    unit: unitOf('http', 'response_ms'),
    targets: [influx(scoped(from('http').agg('mean', 'response_ms').byTime().by('agency', 'url'), scope)).alias('$tag_url')],
  });
}

export function dnsResolve(tr: Tr, scope: Scope) {
  return timeSeries(tr, {
    title: { vi: 'DNS: thời gian phân giải', en: 'DNS: resolution time' },
    description: { vi: 'Thời gian phân giải mỗi tên trên mỗi máy chủ DNS.', en: 'Resolution time of each name on each DNS server.' },
    unit: unitOf('dns', 'rtt_ms'),
    targets: [influx(scoped(from('dns').agg('mean', 'rtt_ms').byTime().by('agency', 'server', 'query'), scope)).alias('$tag_query @ $tag_server')],
  });
}

/** The latest result of every probe, with the reason when it failed. */
export function probeResults(tr: Tr, scope: Scope) {
  return table(tr, {
    title: { vi: 'Kết quả đo gần nhất', en: 'Latest probe results' },
    description: {
      vi: 'Kết quả lần đo mới nhất của mỗi đích: ok, timeout, refused, dns_error, tls_error, error.',
      en: 'Latest result per target: ok, timeout, refused, dns_error, tls_error, error.',
    },
    width: 24,
    targets: [
      influx(scoped(from('ping').agg('last', 'up').by('agency', 'target', 'result'), scope), 'A').table(),
      influx(scoped(from('tcp').agg('last', 'up').by('agency', 'target', 'port', 'result'), scope), 'B').table(),
      influx(scoped(from('http').agg('last', 'up').agg('last', 'status_code').by('agency', 'url', 'result'), scope), 'C').table(),
      influx(scoped(from('dns').agg('last', 'up').by('agency', 'server', 'query', 'result'), scope), 'D').table(),
    ],
  })
    .withTransformation(MERGE)
    .sortBy([sortBy('up')]);
}
