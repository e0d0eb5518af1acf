// The video-conference dashboard: readiness, link quality and SIP of the province's endpoints.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { board } from '../board.ts';
import type { Tr } from '../i18n.ts';
import { endpointComponents, endpointMetrics, endpointTiles, readinessTimeline, sipResponse, sipStatus } from '../panels/videoconf.ts';

export function videoconf(tr: Tr): Dashboard {
  return board(tr, {
    uid: 'canhgac-videoconf',
    title: { vi: 'Canh Gác: Truyền hình hội nghị', en: 'Canh Gác: Video conference' },
    description: { vi: 'Chất lượng đường truyền, SIP và mức sẵn sàng của các điểm cầu truyền hình hội nghị.', en: 'Link quality, SIP and readiness of the video-conference endpoints.' },
    from: 'now-24h',
    rp: 'raw',
    rows: [
      { title: { vi: 'Sẵn sàng', en: 'Readiness' }, panels: [endpointTiles(tr, {}), readinessTimeline(tr, {})] },
      { title: { vi: 'Chất lượng đường truyền', en: 'Link quality' }, panels: [...endpointMetrics(tr, {}), endpointComponents(tr, {})] },
      { title: { vi: 'SIP', en: 'SIP' }, panels: [sipResponse(tr, {}), sipStatus(tr, {})] },
    ],
  });
}
