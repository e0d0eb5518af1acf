// The network dashboard: the routers and switches of every agency (snmp_interfaces), one device or all,
// with their interfaces, traffic, errors and WAN links, and the mail domains' security.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { board } from '../board.ts';
import type { Tr } from '../i18n.ts';
import { variable } from '../influxql.ts';
import { DEVICE_VARIABLE, deviceTable, deviceTiles, errorGraphs, interfaceTable, mailDomainProblems, mailDomains, trafficGraphs, wanAvailability } from '../panels/network.ts';
import type { Scope } from '../panels/common.ts';
import { tagVariable } from '../variables.ts';

export function network(tr: Tr): Dashboard {
  const scope: Scope = { agency: variable('agency') };
  return board(tr, {
    uid: 'canhgac-network',
    title: { vi: 'Canh Gác: Thiết bị và đường truyền mạng', en: 'Canh Gác: Network devices and links' },
    description: {
      vi: 'Router và switch của các đơn vị qua SNMP: trạng thái cổng, lưu lượng, mức sử dụng, lỗi và độ sẵn sàng của đường truyền WAN; an toàn của các tên miền thư điện tử.',
      en: 'Agency routers and switches over SNMP: interface state, traffic, utilisation, errors and WAN link availability; the security of the mail domains.',
    },
    from: 'now-6h',
    rp: 'raw',
    variables: [
      tagVariable('net_device', 'agency', tr({ vi: 'Đơn vị', en: 'Agency' }), { includeAll: true }),
      tagVariable('net_device', DEVICE_VARIABLE, tr({ vi: 'Thiết bị', en: 'Device' }), { includeAll: true }),
    ],
    rows: [
      { title: { vi: 'Thiết bị', en: 'Devices' }, panels: [deviceTiles(tr, scope), wanAvailability(tr, scope), deviceTable(tr, scope)] },
      { title: { vi: 'Cổng', en: 'Interfaces' }, panels: [interfaceTable(tr, scope)] },
      { title: { vi: 'Lưu lượng', en: 'Traffic' }, panels: [...trafficGraphs(tr, scope), errorGraphs(tr, scope)] },
      { title: { vi: 'Tên miền thư điện tử', en: 'Mail domains' }, panels: [mailDomains(tr, scope), mailDomainProblems(tr, scope)] },
    ],
  });
}
