// What the mail_domain check can find wrong with a mail domain: a stable id, a weight for the score
// (as the security check weighs its checks) and what to do, in Vietnamese and English.

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export const WEIGHTS: Record<Severity, number> = { low: 1, medium: 2, high: 4, critical: 8 };

export interface ProblemSpec {
  severity: Severity;
  vi: string;
  en: string;
}

/** Every problem id, in the order they are reported. */
export const PROBLEMS = {
  mx_missing: {
    severity: 'critical',
    vi: 'Tên miền không có bản ghi MX: thư gửi đến không biết giao cho máy chủ nào. Thêm bản ghi MX trỏ tới máy chủ thư của tỉnh.',
    en: 'The domain has no MX record: senders do not know where to deliver. Add MX records pointing at the mail servers.',
  },
  mx_no_starttls: {
    severity: 'high',
    vi: 'Máy chủ thư (MX) không hỗ trợ STARTTLS hoặc không kết nối được: thư được truyền không mã hoá. Bật STARTTLS với chứng thư hợp lệ trên máy chủ nhận thư.',
    en: 'An MX does not offer STARTTLS or cannot be reached: mail travels unencrypted. Enable STARTTLS with a valid certificate on the receiving server.',
  },
  mx_certificate: {
    severity: 'medium',
    vi: 'Chứng thư TLS của máy chủ thư (MX) hết hạn, không tin cậy hoặc không đúng tên máy chủ: MTA-STS và DANE sẽ từ chối giao thư. Cấp lại chứng thư đúng tên MX từ CA tin cậy.',
    en: 'An MX certificate is expired, untrusted or for another name: MTA-STS senders will refuse to deliver. Issue a certificate for the MX name from a trusted CA.',
  },
  spf_missing: {
    severity: 'high',
    vi: 'Không có bản ghi SPF (v=spf1): kẻ gian có thể giả mạo địa chỉ gửi của tên miền. Thêm một bản ghi TXT "v=spf1 ... -all" liệt kê các máy chủ được phép gửi.',
    en: 'No SPF record (v=spf1): anyone can send as this domain. Add one TXT record "v=spf1 ... -all" listing the allowed senders.',
  },
  spf_multiple: {
    severity: 'high',
    vi: 'Có nhiều hơn một bản ghi SPF: theo RFC 7208 đây là lỗi (permerror) và SPF bị bỏ qua. Gộp thành một bản ghi duy nhất.',
    en: 'More than one SPF record: RFC 7208 makes this a permerror and SPF is ignored. Merge them into one record.',
  },
  spf_plus_all: {
    severity: 'critical',
    vi: 'SPF kết thúc bằng "+all" (hoặc thiếu "all"): mọi máy chủ trên Internet đều được phép gửi thư mang tên miền. Đổi thành "-all" (hoặc "~all" khi đang chuyển đổi).',
    en: 'SPF ends in "+all" (or has no "all"): every server on the Internet may send as the domain. Change it to "-all" ("~all" while migrating).',
  },
  spf_too_many_lookups: {
    severity: 'medium',
    vi: 'SPF cần hơn 10 lần tra cứu DNS (include, a, mx, ptr, exists, redirect): bên nhận trả về permerror. Bớt include hoặc thay bằng địa chỉ ip4/ip6.',
    en: 'SPF needs more than 10 DNS lookups (include, a, mx, ptr, exists, redirect): receivers return permerror. Remove includes or use ip4/ip6 ranges.',
  },
  dmarc_missing: {
    severity: 'high',
    vi: 'Không có bản ghi DMARC (_dmarc): bên nhận không biết xử lý thư giả mạo thế nào và không gửi báo cáo. Thêm TXT "v=DMARC1; p=quarantine; rua=mailto:..." tại _dmarc.',
    en: 'No DMARC record (_dmarc): receivers have no policy for spoofed mail and send no reports. Add TXT "v=DMARC1; p=quarantine; rua=mailto:..." at _dmarc.',
  },
  dmarc_policy_none: {
    severity: 'medium',
    vi: 'Chính sách DMARC là p=none: thư giả mạo vẫn được giao. Sau khi xem báo cáo, nâng lên p=quarantine rồi p=reject.',
    en: 'The DMARC policy is p=none: spoofed mail is still delivered. After reading the reports, move to p=quarantine, then p=reject.',
  },
  dmarc_no_rua: {
    severity: 'low',
    vi: 'DMARC không có rua=: tỉnh không nhận được báo cáo tổng hợp về ai đang gửi thư mang tên miền. Thêm rua=mailto:hộp-thư-báo-cáo.',
    en: 'DMARC has no rua=: no aggregate reports on who sends as the domain. Add rua=mailto:a-report-mailbox.',
  },
  mta_sts_missing: {
    severity: 'medium',
    vi: 'Không có MTA-STS (bản ghi _mta-sts và tệp chính sách): kẻ tấn công trên đường truyền có thể hạ cấp STARTTLS. Công bố chính sách tại https://mta-sts.<tên miền>/.well-known/mta-sts.txt và bản ghi TXT "v=STSv1; id=...".',
    en: 'No MTA-STS (_mta-sts record and policy file): an on-path attacker can strip STARTTLS. Publish a policy at https://mta-sts.<domain>/.well-known/mta-sts.txt and a TXT "v=STSv1; id=...".',
  },
  mta_sts_policy: {
    severity: 'medium',
    vi: 'Có bản ghi _mta-sts nhưng không tải được tệp chính sách qua HTTPS hợp lệ, hoặc tệp sai cú pháp: bên gửi bỏ qua MTA-STS. Kiểm tra máy chủ mta-sts, chứng thư và nội dung tệp.',
    en: 'There is an _mta-sts record but the policy cannot be fetched over valid HTTPS, or it does not parse: senders ignore MTA-STS. Check the mta-sts host, its certificate and the file.',
  },
  mta_sts_testing: {
    severity: 'low',
    vi: 'Chính sách MTA-STS ở chế độ testing/none: chỉ báo cáo, không bảo vệ. Chuyển sang mode: enforce khi báo cáo TLS-RPT không còn lỗi.',
    en: 'The MTA-STS policy is in testing/none mode: it reports but does not protect. Switch to mode: enforce once TLS-RPT reports are clean.',
  },
  mta_sts_mx_mismatch: {
    severity: 'medium',
    vi: 'Có máy chủ MX không nằm trong danh sách mx: của chính sách MTA-STS: bên gửi tuân thủ sẽ không giao thư cho máy đó. Cập nhật chính sách (và id trong bản ghi _mta-sts).',
    en: 'An MX is not covered by the mx: lines of the MTA-STS policy: compliant senders will not deliver to it. Update the policy (and the id of the _mta-sts record).',
  },
  tls_rpt_missing: {
    severity: 'low',
    vi: 'Không có TLS-RPT (_smtp._tls): tỉnh không nhận được báo cáo lỗi TLS khi các nơi gửi thư đến. Thêm TXT "v=TLSRPTv1; rua=mailto:...".',
    en: 'No TLS-RPT (_smtp._tls): no reports of TLS failures from senders. Add TXT "v=TLSRPTv1; rua=mailto:...".',
  },
  dkim_missing: {
    severity: 'high',
    vi: 'Selector DKIM được khai báo nhưng không có khoá công khai (hoặc khoá đã bị thu hồi, p= rỗng): thư ký DKIM sẽ không xác thực được. Công bố lại bản ghi <selector>._domainkey.',
    en: 'A listed DKIM selector has no public key (or a revoked one, empty p=): signed mail fails DKIM. Publish the <selector>._domainkey record again.',
  },
} as const satisfies Record<string, ProblemSpec>;

export type ProblemId = keyof typeof PROBLEMS;

export interface Found {
  id: ProblemId;
  /** What was seen, in English (a record, a host and its error); at most 300 characters. */
  detail: string;
}
