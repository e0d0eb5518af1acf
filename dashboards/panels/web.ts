// Web integrity panels: each watched site's last crawl (every numeric field of web_integrity), the
// latest finding of each kind with its URL and evidence, and flagged pages over time.
import { from } from '../influxql.ts';
import { influx } from '../datasource.ts';
import type { Tr } from '../i18n.ts';
import { lowerIsBetter, MERGE, scoped, sortBy, table, timeSeries, unitOf, type Scope } from './common.ts';

/** One row per agency and site: the last value of every numeric field, most flagged pages first. */
export function webSites(tr: Tr, scope: Scope, opts: { width?: number } = {}) {
  const q = from('web_integrity').lastOfEveryField();
  return table(tr, {
    title: { vi: 'Toàn vẹn trang web', en: 'Web integrity' },
    description: {
      vi: 'Lần thu thập cuối của mỗi trang web (trình duyệt, Googlebot, người đến từ công cụ tìm kiếm): trang có vấn đề, từ khoá cờ bạc (hiện và ẩn), che giấu nội dung, chuyển hướng ra ngoài, tên miền script mới, thay đổi giao diện.',
      en: 'Last crawl of each site (browser, Googlebot, visitor from a search engine): flagged pages, gambling keywords (visible and hidden), cloaking, off-site redirects, new script domains, defacement.',
    },
    width: opts.width ?? 24,
    targets: [influx(scoped(q.by('agency', 'site'), scope)).table()],
  })
    .withTransformation(MERGE)
    .sortBy([sortBy('pages_flagged', true)])
    .overrideByName('pages_flagged', [{ id: 'thresholds', value: lowerIsBetter(1, 1).build() }, { id: 'custom.cellOptions', value: { type: 'color-background' } }]);
}

/** The latest finding of each kind per site, with its URL and evidence (strings: raw retention only). */
export function webFindings(tr: Tr, scope: Scope) {
  const q = from('web_finding').pick('last', 'url').pick('last', 'evidence').agg('last', 'count').rp('raw');
  return table(tr, {
    title: { vi: 'Phát hiện mới nhất trên trang web', en: 'Latest web findings' },
    description: {
      vi: 'Phát hiện gần nhất của từng loại trên mỗi trang web, với địa chỉ và bằng chứng (count = 0: đã hết). Danh sách đầy đủ: trang Toàn vẹn trang web của bảng điều khiển.',
      en: 'The latest finding of each kind on each site, with its URL and evidence (count = 0: gone). The full list: the console\'s Web integrity page.',
    },
    width: 24,
    targets: [influx(scoped(q.by('agency', 'site', 'kind'), scope)).table()],
  }).withTransformation(MERGE);
}

export function flaggedPagesOverTime(tr: Tr, scope: Scope) {
  return timeSeries(tr, {
    title: { vi: 'Trang có vấn đề theo thời gian', en: 'Flagged pages over time' },
    description: { vi: 'Số trang có ít nhất một phát hiện ở mỗi lần thu thập.', en: 'Pages with at least one finding, per crawl.' },
    unit: unitOf('web_integrity', 'pages_flagged'),
    targets: [influx(scoped(from('web_integrity').agg('max', 'pages_flagged').byTime().by('agency', 'site'), scope)).alias('$tag_agency $tag_site')],
  });
}
