// Panels on the machines the agents run on: CPU, memory, disks and uptime.
import { from } from '../influxql.ts';
import { influx } from '../datasource.ts';
import type { Tr } from '../i18n.ts';
import { barGauge, lowerIsBetter, scoped, timeSeries, unitOf, type Scope } from './common.ts';

/** Health of the machines the agents run on. */
export function hostLoad(tr: Tr, scope: Scope) {
  return timeSeries(tr, {
    title: { vi: 'CPU và bộ nhớ máy chạy agent', en: 'CPU and memory of agent hosts' },
    description: { vi: 'Trung bình CPU bận và bộ nhớ đang dùng (không tính cache) của mỗi máy.', en: 'Mean CPU busy and memory in use (caches excluded) per host.' },
    unit: unitOf('host', 'cpu_percent'),
    targets: [
      influx(scoped(from('host').agg('mean', 'cpu_percent').byTime().by('agency', 'host'), scope), 'A').alias('CPU $tag_host'),
      influx(scoped(from('host').agg('mean', 'mem_used_percent').byTime().by('agency', 'host'), scope), 'B').alias('RAM $tag_host'),
    ],
  }).thresholds(lowerIsBetter(80, 95));
}

export function hostDisks(tr: Tr, scope: Scope) {
  return barGauge(tr, {
    title: { vi: 'Dung lượng ổ đĩa đã dùng', en: 'Disk space used' },
    description: { vi: 'Phần trăm dung lượng đã dùng của từng phân vùng (giá trị mới nhất).', en: 'Share of each file system in use (latest value).' },
    unit: unitOf('host_disk', 'used_percent'),
    targets: [influx(scoped(from('host_disk').agg('last', 'used_percent').by('agency', 'host', 'mount'), scope)).alias('$tag_host $tag_mount')],
  })
    .min(0)
    .max(100)
    .thresholds(lowerIsBetter(80, 90));
}

export function hostUptime(tr: Tr, scope: Scope) {
  return barGauge(tr, {
    title: { vi: 'Thời gian chạy liên tục', en: 'Uptime' },
    description: { vi: 'Thời gian từ lần khởi động gần nhất của mỗi máy.', en: 'Time since the last boot of each host.' },
    unit: unitOf('host', 'uptime_seconds'),
    targets: [influx(scoped(from('host').agg('last', 'uptime_seconds').by('agency', 'host'), scope)).alias('$tag_host')],
  });
}
