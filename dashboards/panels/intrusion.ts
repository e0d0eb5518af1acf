// Intrusion-signal panels (auth_events): failed logins over time per agency and the findings of the
// range per agency and kind; source addresses stay fields, so they are never a series here.
import { from } from '../influxql.ts';
import { influx } from '../datasource.ts';
import type { Tr } from '../i18n.ts';
import { MERGE, scoped, sortBy, table, timeSeries, unitOf, type Scope } from './common.ts';

export function loginFailures(tr: Tr, scope: Scope) {
  return timeSeries(tr, {
    title: { vi: 'Đăng nhập thất bại theo đơn vị', en: 'Failed logins per agency' },
    description: {
      vi: 'Số lần đăng nhập/xác thực thất bại (sshd, PAM, sudo, su, Windows 4625) đọc từ nhật ký của các máy có agent.',
      en: 'Failed logins and authentications (sshd, PAM, sudo, su, Windows 4625) read from the logs of the hosts with an agent.',
    },
    unit: unitOf('auth_summary', 'failures'),
    targets: [influx(scoped(from('auth_summary').agg('sum', 'failures').byTime('0').by('agency'), scope)).alias('$tag_agency')],
  });
}

export function intrusionFindings(tr: Tr, scope: Scope) {
  return table(tr, {
    title: { vi: 'Dấu hiệu xâm nhập theo đơn vị', en: 'Intrusion signals per agency' },
    description: {
      vi: 'Số dấu hiệu mới trong khoảng thời gian (dò mật khẩu, thử nhiều tài khoản, đăng nhập sau chuỗi thất bại, quản trị viên mới, xóa nhật ký), theo đơn vị, máy và loại. Địa chỉ nguồn xem trên trang đơn vị của bảng điều khiển.',
      en: 'New signals in the time range (password guessing, spraying, login after failures, new administrator, log cleared) by agency, host and kind. The source addresses are on the agency page of the console.',
    },
    width: 24,
    targets: [influx(scoped(from('auth_finding').agg('sum', 'started', 'findings').agg('max', 'count', 'largest_count').by('agency', 'host', 'kind', 'service'), scope)).table()],
  })
    .withTransformation(MERGE)
    .sortBy([sortBy('findings', true)]);
}
