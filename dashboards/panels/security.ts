// Security posture panels: score ranking and history per agency, failing checks, every check's result.
import { from, latestWhere } from '../influxql.ts';
import { influx } from '../datasource.ts';
import type { Tr } from '../i18n.ts';
import { barGauge, higherIsBetter, MERGE, okMapping, scoped, sortBy, table, timeSeries, unitOf, type Scope } from './common.ts';

const SCORE = higherIsBetter(60, 80);

export function scoreRanking(tr: Tr, scope: Scope) {
  return barGauge(tr, {
    title: { vi: 'Xếp hạng điểm an toàn thông tin', en: 'Security score ranking' },
    description: { vi: 'Điểm an toàn mới nhất của mỗi đơn vị (tỷ lệ có trọng số các kiểm tra đạt).', en: 'Latest security score per agency (weighted share of passed checks).' },
    unit: unitOf('security_score', 'score_percent'),
    targets: [influx(scoped(from('security_score').agg('last', 'score_percent').by('agency'), scope)).alias('$tag_agency')],
  })
    .min(0)
    .max(100)
    .thresholds(SCORE)
    .withTransformation({ id: 'sortBy', options: { sort: [{ field: 'Last *', desc: false }] } });
}

export function scoreOverTime(tr: Tr, scope: Scope) {
  return timeSeries(tr, {
    title: { vi: 'Điểm an toàn theo thời gian', en: 'Security score over time' },
    description: { vi: 'Điểm an toàn trung bình của mỗi đơn vị (và mỗi máy của đơn vị).', en: 'Mean security score per agency (and per agent).' },
    unit: unitOf('security_score', 'score_percent'),
    width: 24,
    targets: [influx(scoped(from('security_score').agg('mean', 'score_percent').byTime().by('agency', 'agent'), scope)).alias('$tag_agency $tag_agent')],
  })
    .min(0)
    .max(100)
    .thresholds(SCORE);
}

/** Checks whose latest run failed, per agency. */
export function failingChecks(tr: Tr, scope: Scope) {
  const latest = scoped(from('security').agg('last', 'pass').by('agency', 'agent', 'check_id', 'severity'), scope);
  return table(tr, {
    title: { vi: 'Kiểm tra an toàn đang không đạt', en: 'Failing security checks' },
    description: { vi: 'Các kiểm tra có kết quả mới nhất là không đạt, theo đơn vị và mức độ.', en: 'Checks whose latest result is a failure, by agency and severity.' },
    width: 24,
    targets: [influx(latestWhere(latest, 'pass', '=', 0)).table()],
  })
    .withTransformation(MERGE)
    .sortBy([sortBy('severity')]);
}

/** Every security check with its latest result; every numeric field of `security` is a column. */
export function securityChecks(tr: Tr, scope: Scope) {
  const q = from('security').lastOfEveryField();
  return table(tr, {
    title: { vi: 'Các kiểm tra an toàn', en: 'Security checks' },
    description: { vi: 'Kết quả mới nhất của từng kiểm tra trên từng máy.', en: 'Latest result of every check on every host.' },
    width: 24,
    targets: [influx(scoped(q.by('agency', 'agent', 'check_id', 'severity'), scope)).table()],
  })
    .withTransformation(MERGE)
    .sortBy([sortBy('pass')])
    .overrideByName('pass', [{ id: 'mappings', value: okMapping(tr, { vi: 'Đạt', en: 'Pass' }, { vi: 'Không đạt', en: 'Fail' }) }]);
}
