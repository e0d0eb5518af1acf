// The pipeline health dashboard: agents, their outboxes and the collector, to tell whether all the
// data is arriving.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { board } from '../board.ts';
import type { Tr } from '../i18n.ts';
import { agentMemory, agentsByVersion, agentsLastSeen, collectorSpool, ingestErrors, ingestRate, outboxBytes, outboxDepth, outboxDrops } from '../panels/pipeline.ts';

export function pipeline(tr: Tr): Dashboard {
  return board(tr, {
    uid: 'canhgac-pipeline',
    title: { vi: 'Canh Gác: Đường dữ liệu', en: 'Canh Gác: Pipeline health' },
    description: { vi: 'Agent, hàng đợi, mẫu bị loại và máy chủ thu thập: dữ liệu có về đủ không.', en: 'Agents, outboxes, drops and the collector: is all the data arriving.' },
    from: 'now-6h',
    rp: 'raw',
    rows: [
      { title: { vi: 'Agent', en: 'Agents' }, panels: [agentsByVersion(tr, {}), agentMemory(tr, {}), agentsLastSeen(tr, {})] },
      { title: { vi: 'Hàng đợi của agent', en: 'Agent outboxes' }, panels: [outboxDepth(tr, {}), outboxBytes(tr, {}), outboxDrops(tr, {})] },
      { title: { vi: 'Máy chủ thu thập', en: 'Collector' }, panels: [ingestRate(tr), ingestErrors(tr), collectorSpool(tr)] },
    ],
  });
}
