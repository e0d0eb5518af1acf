// Router and switch panels (snmp_interfaces): device tiles, the interface table, traffic and utilisation
// graphs, errors and discards, and the availability of WAN links.
import { from, variable, type InfluxQuery } from '../influxql.ts';
import { influx } from '../datasource.ts';
import type { Tr } from '../i18n.ts';
import { higherIsBetter, lowerIsBetter, MERGE, okMapping, scoped, sortBy, stat, table, timeSeries, unitOf, type Scope } from './common.ts';

/** The board's `device` variable narrows every query; `agency` too when the scope says so. */
export const DEVICE_VARIABLE = 'device';
function onDevice<M extends 'net_interface' | 'net_device'>(q: InfluxQuery<M>, scope: Scope): InfluxQuery<M> {
  return scoped(q, scope).where('device', variable(DEVICE_VARIABLE));
}

export function deviceTiles(tr: Tr, scope: Scope) {
  return stat(tr, {
    title: { vi: 'Thiết bị mạng', en: 'Network devices' },
    description: { vi: 'Lần đọc SNMP mới nhất của từng router và switch.', en: 'Latest SNMP read of each router and switch.' },
    width: 24,
    height: 5,
    targets: [influx(onDevice(from('net_device').agg('last', 'up').by('agency', 'device'), scope)).alias('$tag_device')],
  }).mappings(okMapping(tr, { vi: 'Đọc được', en: 'Reachable' }, { vi: 'Không đọc được', en: 'Unreachable' }));
}

export function deviceTable(tr: Tr, scope: Scope) {
  const q = from('net_device').agg('last', 'uptime_seconds').agg('last', 'interfaces').agg('last', 'rebooted').agg('last', 'poll_ms').pick('last', 'sys_descr').rp('raw');
  return table(tr, {
    title: { vi: 'Thiết bị: thời gian chạy, số cổng, mô tả', en: 'Devices: uptime, interfaces, description' },
    description: { vi: 'sysUpTime, số cổng được theo dõi, khởi động lại gần đây, thời gian đọc và sysDescr.', en: 'sysUpTime, interfaces watched, recent restart, read time and sysDescr.' },
    width: 24,
    height: 7,
    targets: [influx(onDevice(q.by('agency', 'device', 'result'), scope)).table()],
  }).withTransformation(MERGE);
}

export function interfaceTable(tr: Tr, scope: Scope) {
  const q = from('net_interface')
    .agg('last', 'oper_up')
    .agg('last', 'admin_up')
    .agg('last', 'link_down')
    .agg('last', 'speed_bps')
    .agg('last', 'in_bps')
    .agg('last', 'out_bps')
    .agg('last', 'in_utilisation_percent')
    .agg('last', 'out_utilisation_percent')
    .agg('last', 'in_errors_per_s')
    .agg('last', 'last_change_seconds')
    .pick('last', 'alias')
    .rp('raw');
  return table(tr, {
    title: { vi: 'Cổng mạng', en: 'Interfaces' },
    description: {
      vi: 'Trạng thái mới nhất của từng cổng: hoạt động, bật, mất kết nối khi đang bật (link_down), tốc độ, lưu lượng, mức sử dụng, lỗi; wan = 1 là đường truyền WAN.',
      en: 'Latest state of each interface: operational, enabled, down while enabled (link_down), speed, traffic, utilisation, errors; wan = 1 marks a WAN link.',
    },
    width: 24,
    height: 10,
    targets: [influx(onDevice(q.by('agency', 'device', 'interface', 'wan'), scope)).table()],
  })
    .withTransformation(MERGE)
    .sortBy([sortBy('link_down', true)])
    .overrideByName('link_down', [{ id: 'thresholds', value: lowerIsBetter(1, 1).build() }, { id: 'custom.cellOptions', value: { type: 'color-background' } }]);
}

function perInterface(tr: Tr, scope: Scope, field: 'in_bps' | 'out_bps' | 'in_utilisation_percent' | 'out_utilisation_percent', title: { vi: string; en: string }) {
  const q = from('net_interface').agg('mean', field).byTime().by('agency', 'device', 'interface');
  return timeSeries(tr, {
    title,
    description: { vi: `${title.vi}, trung bình theo khoảng, theo từng cổng.`, en: `${title.en}, mean per interval, per interface.` },
    unit: unitOf('net_interface', field),
    targets: [influx(onDevice(q, scope)).alias('$tag_device $tag_interface')],
  });
}

export function trafficGraphs(tr: Tr, scope: Scope) {
  return [
    perInterface(tr, scope, 'in_bps', { vi: 'Lưu lượng vào', en: 'Traffic in' }),
    perInterface(tr, scope, 'out_bps', { vi: 'Lưu lượng ra', en: 'Traffic out' }),
    perInterface(tr, scope, 'in_utilisation_percent', { vi: 'Mức sử dụng chiều vào', en: 'Utilisation in' }),
    perInterface(tr, scope, 'out_utilisation_percent', { vi: 'Mức sử dụng chiều ra', en: 'Utilisation out' }),
  ];
}

export function errorGraphs(tr: Tr, scope: Scope) {
  const q = from('net_interface').agg('max', 'in_errors_per_s').agg('max', 'out_errors_per_s').agg('max', 'in_discards_per_s').agg('max', 'out_discards_per_s').byTime().by('agency', 'device', 'interface');
  return timeSeries(tr, {
    title: { vi: 'Lỗi và gói bị loại mỗi giây', en: 'Errors and discards per second' },
    description: { vi: 'Lỗi và gói bị loại (vào, ra) của từng cổng, giá trị lớn nhất theo khoảng.', en: 'Errors and discards (in, out) per interface, maximum per interval.' },
    width: 24,
    unit: unitOf('net_interface', 'in_errors_per_s'),
    targets: [influx(onDevice(q, scope)).alias('$tag_device $tag_interface $col')],
  });
}

/** Share of polls in the time range in which each WAN link was up: the monthly report's figure, live. */
export function wanAvailability(tr: Tr, scope: Scope) {
  return stat(tr, {
    title: { vi: 'Độ sẵn sàng đường truyền WAN', en: 'WAN link availability' },
    description: { vi: 'Tỷ lệ lần đọc mà cổng WAN hoạt động trong khoảng thời gian đang xem.', en: 'Share of reads in the time range in which the WAN link was up.' },
    width: 24,
    height: 5,
    unit: unitOf('net_interface', 'oper_up'),
    targets: [influx(onDevice(from('net_interface').agg('mean', 'oper_up').where('wan', '1').by('agency', 'device', 'interface'), scope)).alias('$tag_agency $tag_device $tag_interface')],
  }).thresholds(higherIsBetter(0.99, 0.999));
}

/** Each mail domain's latest score and checks (mail_domain), worst first. */
export function mailDomains(tr: Tr, scope: Scope) {
  const q = from('mail_domain')
    .agg('last', 'score_percent')
    .agg('last', 'problems')
    .agg('last', 'mx_starttls_ok')
    .agg('last', 'mx_cert_days_left')
    .agg('last', 'spf_ok')
    .agg('last', 'dmarc_ok')
    .pick('last', 'dmarc_policy')
    .agg('last', 'mta_sts_ok')
    .agg('last', 'tls_rpt_ok')
    .rp('raw');
  return table(tr, {
    title: { vi: 'Tên miền thư điện tử', en: 'Mail domains' },
    description: {
      vi: 'Điểm an toàn của từng tên miền thư: STARTTLS và chứng thư của MX, SPF, DMARC, MTA-STS, TLS-RPT (1 = đạt).',
      en: 'Security score of each mail domain: MX STARTTLS and certificates, SPF, DMARC, MTA-STS, TLS-RPT (1 = passes).',
    },
    width: 24,
    height: 7,
    targets: [influx(scoped(q.by('agency', 'domain'), scope)).table()],
  })
    .withTransformation(MERGE)
    .sortBy([sortBy('score_percent')])
    .overrideByName('score_percent', [{ id: 'thresholds', value: higherIsBetter(60, 90).build() }, { id: 'custom.cellOptions', value: { type: 'color-background' } }]);
}

/** The latest problem of each kind per mail domain, with what was seen and what to do. */
export function mailDomainProblems(tr: Tr, scope: Scope) {
  const q = from('mail_domain_problem').pick('last', 'detail').pick('last', 'remediation').agg('last', 'weight').rp('raw');
  return table(tr, {
    title: { vi: 'Vấn đề của tên miền thư và cách khắc phục', en: 'Mail domain problems and what to do' },
    description: { vi: 'Vấn đề gần nhất của mỗi loại trên mỗi tên miền, điều đã thấy và việc cần làm.', en: 'The latest problem of each kind per domain, what was seen and what to do.' },
    width: 24,
    targets: [influx(scoped(q.since('1d').by('agency', 'domain', 'problem', 'severity'), scope)).table()],
  }).withTransformation(MERGE);
}
