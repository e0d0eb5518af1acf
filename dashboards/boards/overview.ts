// The province overview dashboard, the first one people open: agencies reporting, availability,
// video endpoints, active alerts, expiring certificates, new devices and security scores.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { board } from '../board.ts';
import type { Tr } from '../i18n.ts';
import { activeAlerts } from '../panels/alerts.ts';
import { agenciesReporting, agencyStatus, availabilityByAgency, reportingByDistrict } from '../panels/agencies.ts';
import { tlsCertificates } from '../panels/certificates.ts';
import { newDevicesToday } from '../panels/discovery.ts';
import { scoreRanking } from '../panels/security.ts';
import { endpointTiles } from '../panels/videoconf.ts';
import { webSites } from '../panels/web.ts';

export function overview(tr: Tr): Dashboard {
  return board(tr, {
    uid: 'canhgac-overview',
    title: { vi: 'Canh Gác: Toàn tỉnh', en: 'Canh Gác: Province overview' },
    description: { vi: 'Tình trạng mạng và an toàn thông tin của các đơn vị trong tỉnh.', en: 'Network and security state of every agency in the province.' },
    from: 'now-6h',
    rp: 'raw',
    rows: [
      {
        title: { vi: 'Đơn vị', en: 'Agencies' },
        panels: [agenciesReporting(tr), newDevicesToday(tr, {}), reportingByDistrict(tr), agencyStatus(tr), availabilityByAgency(tr), activeAlerts(tr)],
      },
      { title: { vi: 'Truyền hình hội nghị', en: 'Video conference' }, panels: [endpointTiles(tr, {})] },
      { title: { vi: 'Chứng thư số và an toàn', en: 'Certificates and security' }, panels: [tlsCertificates(tr, {}, { soonest: true }), scoreRanking(tr, {})] },
      { title: { vi: 'Toàn vẹn trang web', en: 'Web integrity' }, panels: [webSites(tr, {})] },
    ],
  });
}
