// Certificate panels: TLS endpoint and file certificates by days left, and the soonest expiry per agency.
import { from } from '../influxql.ts';
import { influx } from '../datasource.ts';
import type { Tr } from '../i18n.ts';
import { barGauge, higherIsBetter, MERGE, scoped, sortBy, table, type Scope } from './common.ts';

const DAYS = higherIsBetter(14, 30);

/** Every certificate a TLS endpoint presents, soonest expiry first; every numeric field of tls_cert is a column. */
export function tlsCertificates(tr: Tr, scope: Scope, opts: { soonest?: boolean } = {}) {
  const q = from('tls_cert').lastOfEveryField();
  return table(tr, {
    title: opts.soonest ? { vi: 'Chứng thư số sắp hết hạn nhất', en: 'Certificates expiring soonest' } : { vi: 'Chứng thư số của các điểm TLS', en: 'Certificates of TLS endpoints' },
    description: {
      vi: 'Số ngày còn lại (âm khi đã hết hạn), chuỗi tin cậy, khớp tên máy, tự ký, còn nhận TLS 1.0/1.1. Sắp xếp theo số ngày còn lại.',
      en: 'Days left (negative once expired), chain, host name match, self-signed, legacy TLS. Sorted by days left.',
    },
    width: opts.soonest ? 12 : 24,
    targets: [influx(scoped(q.by('agency', 'target', 'subject_cn', 'issuer_cn'), scope)).table()],
  })
    .withTransformation(MERGE)
    .sortBy([sortBy('days_left')])
    .overrideByName('days_left', [{ id: 'thresholds', value: DAYS.build() }, { id: 'custom.cellOptions', value: { type: 'color-background' } }]);
}

/** Certificates read from files and certificate stores. */
export function certFiles(tr: Tr, scope: Scope) {
  const q = from('cert_file').lastOfEveryField();
  return table(tr, {
    title: { vi: 'Chứng thư số dạng tệp', en: 'Certificate files' },
    description: { vi: 'Chứng thư số đọc từ tệp hoặc kho chứng thư trên máy, sắp xếp theo số ngày còn lại.', en: 'Certificates read from files or certificate stores, sorted by days left.' },
    width: 24,
    targets: [influx(scoped(q.by('agency', 'path', 'subject_cn', 'issuer_cn'), scope)).table()],
  })
    .withTransformation(MERGE)
    .sortBy([sortBy('days_left')]);
}

export function daysLeftByAgency(tr: Tr, scope: Scope) {
  return barGauge(tr, {
    title: { vi: 'Chứng thư hết hạn sớm nhất theo đơn vị', en: 'Earliest certificate expiry by agency' },
    description: { vi: 'Số ngày còn lại của chứng thư hết hạn sớm nhất ở mỗi đơn vị (điểm TLS và tệp).', en: 'Days left of the earliest-expiring certificate per agency (endpoints and files).' },
    unit: 'd',
    targets: [
      influx(scoped(from('tls_cert').agg('min', 'days_left').by('agency'), scope), 'A').alias('TLS $tag_agency'),
      influx(scoped(from('cert_file').agg('min', 'days_left').by('agency'), scope), 'B').alias(`${tr({ vi: 'tệp', en: 'file' })} $tag_agency`),
    ],
  }).thresholds(DAYS);
}
