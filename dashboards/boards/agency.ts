// The agency detail dashboard: one agency at a time (the `agency` variable) with its probes, hosts,
// LAN devices, certificates, security checks and agents.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { board } from '../board.ts';
import type { Tr } from '../i18n.ts';
import { variable } from '../influxql.ts';
import { certFiles, tlsCertificates } from '../panels/certificates.ts';
import type { Scope } from '../panels/common.ts';
import { deviceList, exposures, lanDevices, newDevicesToday } from '../panels/discovery.ts';
import { hostDisks, hostLoad, hostUptime } from '../panels/host.ts';
import { agentsLastSeen, outboxDepth } from '../panels/pipeline.ts';
import { dnsResolve, httpResponse, pingLatency, pingLoss, probeAvailability, probeResults, tcpConnect } from '../panels/probes.ts';
import { failingChecks, scoreOverTime, securityChecks } from '../panels/security.ts';
import { flaggedPagesOverTime, webFindings, webSites } from '../panels/web.ts';
import { tagVariable } from '../variables.ts';

export const AGENCY_VARIABLE = 'agency';

export function agencyDetail(tr: Tr): Dashboard {
  const scope: Scope = { agency: variable(AGENCY_VARIABLE) };
  return board(tr, {
    uid: 'canhgac-agency',
    title: { vi: 'Canh Gác: Chi tiết đơn vị', en: 'Canh Gác: Agency detail' },
    description: { vi: 'Mọi số liệu của một đơn vị: máy chủ, điểm đo, mạng LAN, an toàn, chứng thư, agent.', en: 'Everything about one agency: hosts, probes, LAN, security, certificates, agents.' },
    from: 'now-6h',
    rp: 'raw',
    variables: [tagVariable('agent_status', AGENCY_VARIABLE, tr({ vi: 'Đơn vị', en: 'Agency' }))],
    rows: [
      { title: { vi: 'Máy chạy agent', en: 'Agent hosts' }, panels: [hostLoad(tr, scope), hostDisks(tr, scope), hostUptime(tr, scope)] },
      {
        title: { vi: 'Điểm đo', en: 'Probes' },
        panels: [probeAvailability(tr, scope), pingLatency(tr, scope), pingLoss(tr, scope), tcpConnect(tr, scope), httpResponse(tr, scope), dnsResolve(tr, scope), probeResults(tr, scope)],
      },
      { title: { vi: 'Mạng LAN', en: 'LAN' }, panels: [lanDevices(tr, scope), newDevicesToday(tr, scope), exposures(tr, scope), deviceList(tr, scope)] },
      { title: { vi: 'An toàn thông tin', en: 'Security' }, panels: [scoreOverTime(tr, scope), failingChecks(tr, scope), securityChecks(tr, scope)] },
      { title: { vi: 'Chứng thư số', en: 'Certificates' }, panels: [tlsCertificates(tr, scope), certFiles(tr, scope)] },
      { title: { vi: 'Toàn vẹn trang web', en: 'Web integrity' }, panels: [webSites(tr, scope), webFindings(tr, scope), flaggedPagesOverTime(tr, scope)] },
      { title: { vi: 'Agent', en: 'Agents' }, panels: [agentsLastSeen(tr, scope), outboxDepth(tr, scope)] },
    ],
  });
}
