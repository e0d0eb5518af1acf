// The certificates dashboard: every certificate by days left, per agency, TLS endpoint and file.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { board } from '../board.ts';
import type { Tr } from '../i18n.ts';
import { certFiles, daysLeftByAgency, tlsCertificates } from '../panels/certificates.ts';

export function certificates(tr: Tr): Dashboard {
  return board(tr, {
    uid: 'canhgac-certificates',
    title: { vi: 'Canh Gác: Chứng thư số', en: 'Canh Gác: Certificates' },
    description: { vi: 'Mọi chứng thư số theo số ngày còn lại, theo đơn vị, điểm TLS và tệp.', en: 'Every certificate by days left, by agency, endpoints and files.' },
    from: 'now-24h',
    rp: 'raw',
    rows: [
      { title: { vi: 'Theo đơn vị', en: 'By agency' }, panels: [daysLeftByAgency(tr, {})] },
      { title: { vi: 'Điểm TLS', en: 'TLS endpoints' }, panels: [tlsCertificates(tr, {})] },
      { title: { vi: 'Tệp chứng thư', en: 'Certificate files' }, panels: [certFiles(tr, {})] },
    ],
  });
}
