// LAN discovery panels: devices per subnet, new devices today, exposed risky services, the inventory.
import { from } from '../influxql.ts';
import { influx } from '../datasource.ts';
import type { Tr } from '../i18n.ts';
import { lowerIsBetter, MERGE, scoped, sortBy, stat, table, timeSeries, unitOf, type Scope } from './common.ts';

export function lanDevices(tr: Tr, scope: Scope) {
  return timeSeries(tr, {
    title: { vi: 'Số thiết bị trong mạng LAN', en: 'Devices on the LAN' },
    description: { vi: 'Số thiết bị tìm thấy trên mỗi dải mạng theo thời gian (không tính máy quét).', en: 'Devices found per subnet over time (the scanner excluded).' },
    unit: unitOf('lan_summary', 'devices'),
    targets: [influx(scoped(from('lan_summary').agg('max', 'devices').byTime().by('agency', 'subnet'), scope)).alias('$tag_agency $tag_subnet')],
  });
}

/** Devices never seen before, since midnight (Asia/Ho_Chi_Minh, the dashboards' time zone). */
export function newDevicesToday(tr: Tr, scope: Scope) {
  return stat(tr, {
    title: { vi: 'Thiết bị mới hôm nay', en: 'New devices today' },
    description: { vi: 'Số thiết bị lần đầu xuất hiện trong mạng LAN kể từ 0 giờ hôm nay.', en: 'Devices seen for the first time on a LAN since midnight.' },
    unit: unitOf('lan_summary', 'new_devices'),
    width: 6,
    height: 6,
    targets: [influx(scoped(from('lan_summary').agg('sum', 'new_devices'), scope))],
  })
    .timeFrom('now/d')
    .thresholds(lowerIsBetter(1, 10));
}

/** Risky services open on LAN devices; every numeric field of lan_exposure is a column. */
export function exposures(tr: Tr, scope: Scope) {
  const q = from('lan_exposure').lastOfEveryField();
  return table(tr, {
    title: { vi: 'Dịch vụ rủi ro đang mở', en: 'Exposed risky services' },
    description: { vi: 'Dịch vụ rủi ro (Telnet, SMB, RDP...) đang mở trên thiết bị LAN; risk 1 thấp .. 4 nghiêm trọng.', en: 'Risky services (Telnet, SMB, RDP...) open on LAN devices; risk 1 low .. 4 critical.' },
    width: 24,
    targets: [influx(scoped(q.by('agency', 'ip', 'port', 'service'), scope)).table()],
  })
    .withTransformation(MERGE)
    .sortBy([sortBy('risk', true)]);
}

/** The device inventory; names and vendors are strings, which only the raw retention policy keeps. */
export function deviceList(tr: Tr, scope: Scope) {
  const q = from('lan_device').pick('last', 'ip').pick('last', 'vendor').pick('last', 'hostname').agg('last', 'up').rp('raw');
  return table(tr, {
    title: { vi: 'Danh sách thiết bị LAN', en: 'LAN devices' },
    description: { vi: 'Địa chỉ IP, hãng sản xuất (theo OUI) và tên máy của từng thiết bị (dữ liệu chi tiết).', en: 'IP address, vendor (from the OUI) and host name of every device (raw data).' },
    width: 24,
    targets: [influx(scoped(q.by('agency', 'subnet', 'mac'), scope)).table()],
  }).withTransformation(MERGE);
}
