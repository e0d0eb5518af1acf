// The security compliance dashboard: scores per agency over a month, the checks that fail, and the
// intrusion signals of the authentication logs.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { board } from '../board.ts';
import type { Tr } from '../i18n.ts';
import { failingChecks, scoreOverTime, scoreRanking } from '../panels/security.ts';
import { intrusionFindings, loginFailures } from '../panels/intrusion.ts';

export function compliance(tr: Tr): Dashboard {
  return board(tr, {
    uid: 'canhgac-compliance',
    title: { vi: 'Canh Gác: Tuân thủ an toàn thông tin', en: 'Canh Gác: Security compliance' },
    description: { vi: 'Điểm an toàn của các đơn vị theo thời gian và các kiểm tra đang không đạt.', en: 'Security score per agency over time and the checks that fail.' },
    // A month of scores: the hourly roll-ups carry it.
    from: 'now-30d',
    rp: 'rollup_1h',
    rows: [
      { title: { vi: 'Điểm an toàn', en: 'Score' }, panels: [scoreRanking(tr, {}), scoreOverTime(tr, {})] },
      { title: { vi: 'Kiểm tra không đạt', en: 'Failing checks' }, panels: [failingChecks(tr, {})] },
      { title: { vi: 'Dấu hiệu xâm nhập', en: 'Intrusion signals' }, panels: [loginFailures(tr, {}), intrusionFindings(tr, {})] },
    ],
  });
}
