// The alert rules every collector has without configuration (agent silent, target down, loss,
// certificates, security score, ...), in both languages; a rules file tunes or drops them by name.
import type { RuleSpec } from './rules.ts';

/**
 * Intrusion signals of the auth_events check (auth_finding). One alert per kind and source (per user for a
 * new administrator): the source is an alert field, never a tag, and the rule's keyTags name it. A finding
 * ends with a count-0 sample; the hour (four for critical ones) of quiet before an alert resolves keeps an
 * attacker who pauses and comes back in one alert, so one mail per source and kind per repeat interval.
 */
const authRule = (kind: string, spec: Omit<RuleSpec, 'measurement' | 'field' | 'op' | 'threshold' | 'matchers'>): RuleSpec => ({
  measurement: 'auth_finding',
  field: 'count',
  op: '>',
  threshold: 0,
  matchers: { kind },
  keyTags: ['kind', 'service', 'source'],
  sendResolved: false,
  dashboard: 'canhgac-compliance',
  ...spec,
});

const AUTH_RULES: RuleSpec[] = [
  authRule('brute_force', {
    name: 'auth_brute_force',
    severity: 'warning',
    resolveAfter: '1h',
    summary: { vi: 'Dò mật khẩu {{service}} từ {{source}} vào {{host|agent}} ({{value}} lần thất bại)', en: 'Password guessing over {{service}} from {{source}} on {{host|agent}} ({{value}} failures)' },
    description: {
      vi: '{{source}} đăng nhập {{service}} thất bại {{value}} lần vào máy {{host|agent}} từ {{first_seen}} đến {{last_seen}} (ngưỡng: số lần thất bại trong {{window}}). Tài khoản bị thử: {{user}}. Hãy chặn địa chỉ này và kiểm tra mật khẩu của các tài khoản đó.',
      en: '{{source}} failed {{value}} {{service}} logins on {{host|agent}} from {{first_seen}} to {{last_seen}} (threshold: failures within {{window}}). Accounts tried: {{user}}. Block the address and check the passwords of those accounts.',
    },
  }),
  authRule('password_spraying', {
    name: 'auth_password_spraying',
    severity: 'warning',
    resolveAfter: '1h',
    summary: { vi: 'Thử mật khẩu trên {{value}} tài khoản {{service}} từ {{source}} vào {{host|agent}}', en: 'Password spraying over {{service}} from {{source}} on {{host|agent}} ({{value}} accounts)' },
    description: {
      vi: '{{source}} thử đăng nhập {{service}} vào {{value}} tài khoản khác nhau trên máy {{host|agent}} từ {{first_seen}} đến {{last_seen}} (trong {{window}}): {{user}}.',
      en: '{{source}} tried {{value}} different {{service}} accounts on {{host|agent}} from {{first_seen}} to {{last_seen}} (within {{window}}): {{user}}.',
    },
  }),
  authRule('success_after_failures', {
    name: 'auth_success_after_failures',
    severity: 'critical',
    resolveAfter: '4h',
    summary: { vi: 'Đăng nhập {{service}} thành công từ {{source}} vào {{host|agent}} sau {{value}} lần thất bại', en: '{{service}} login from {{source}} on {{host|agent}} succeeded after {{value}} failures' },
    description: {
      vi: 'Tài khoản {{user}} đăng nhập thành công từ {{source}} lúc {{last_seen}}, sau {{value}} lần thất bại từ cùng địa chỉ kể từ {{first_seen}} (trong {{window}}). Có thể mật khẩu đã bị dò ra: kiểm tra phiên đăng nhập này, đổi mật khẩu và chặn địa chỉ.',
      en: 'Account {{user}} logged in from {{source}} at {{last_seen}} after {{value}} failures from the same address since {{first_seen}} (within {{window}}). The password may have been guessed: check the session, change the password and block the address.',
    },
  }),
  authRule('new_admin', {
    name: 'auth_new_admin',
    severity: 'critical',
    resolveAfter: '4h',
    keyTags: ['kind', 'service', 'user'],
    summary: { vi: 'Quản trị viên mới trên {{host|agent}}: {{user}}', en: 'New administrator on {{host|agent}}: {{user}}' },
    description: {
      vi: 'Tài khoản {{user}} được thêm vào nhóm quản trị trên máy {{host|agent}} lúc {{last_seen}} ({{detail}}; thực hiện bởi {{source}}). Xác nhận đây là thay đổi được phép.',
      en: 'Account {{user}} was added to an administrators group on {{host|agent}} at {{last_seen}} ({{detail}}; by {{source}}). Confirm the change was authorised.',
    },
  }),
  authRule('log_cleared', {
    name: 'auth_log_cleared',
    severity: 'critical',
    resolveAfter: '4h',
    keyTags: ['kind', 'service'],
    summary: { vi: 'Nhật ký bảo mật trên {{host|agent}} bị xóa', en: 'Security log cleared on {{host|agent}}' },
    description: {
      vi: '{{detail}} lúc {{last_seen}} (bởi {{source}}). Xóa nhật ký là dấu hiệu thường gặp của kẻ xâm nhập che giấu dấu vết.',
      en: '{{detail}} at {{last_seen}} (by {{source}}). Clearing logs is a common sign of an intruder covering tracks.',
    },
  }),
];

/**
 * Routers and switches of the snmp_interfaces check (net_interface, net_device). A link that is
 * administratively up but operationally down is a cable, a neighbour or a circuit gone: critical on a WAN
 * link (`wan=1`), a warning elsewhere. Utilisation and errors are judged per direction, one rule each.
 */
const ifRule = (spec: Omit<RuleSpec, 'measurement' | 'keyTags' | 'dashboard'>): RuleSpec => ({
  measurement: 'net_interface',
  keyTags: ['device', 'interface'],
  dashboard: 'canhgac-network',
  ...spec,
});
const ifDirection = (dir: 'in' | 'out', vi: string, en: string): RuleSpec[] => [
  ifRule({
    name: `interface_utilisation_${dir}`,
    field: `${dir}_utilisation_percent`,
    op: '>',
    threshold: 80,
    for: '10m',
    resolveAfter: '10m',
    severity: 'warning',
    summary: { vi: `Cổng {{interface}} trên {{device}} quá tải chiều ${vi} ({{value}}%)`, en: `Interface {{interface}} on {{device}} saturated ${en} ({{value}}%)` },
    description: {
      vi: `Lưu lượng chiều ${vi} của cổng {{interface}} trên thiết bị {{device}} vượt {{threshold}}% tốc độ cổng suốt 10 phút (hiện {{value}}%). Kiểm tra nguồn lưu lượng hoặc nâng băng thông.`,
      en: `Traffic ${en} on interface {{interface}} of {{device}} has been above {{threshold}}% of its speed for 10 minutes (now {{value}}%). Find the source or raise the bandwidth.`,
    },
  }),
  ifRule({
    name: `interface_errors_${dir}`,
    field: `${dir}_errors_per_s`,
    op: '>',
    threshold: 1,
    for: '5m',
    resolveAfter: '10m',
    severity: 'warning',
    summary: { vi: `Cổng {{interface}} trên {{device}} bị lỗi chiều ${vi} ({{value}} lỗi/giây)`, en: `Interface {{interface}} on {{device}} has ${en} errors ({{value}}/s)` },
    description: {
      vi: `Cổng {{interface}} trên thiết bị {{device}} có {{value}} lỗi/giây chiều ${vi} (ngưỡng {{threshold}}) trong 5 phút. Thường do cáp, đầu nối, module quang hoặc lệch duplex.`,
      en: `Interface {{interface}} of {{device}} has {{value}} ${en} errors per second (threshold {{threshold}}) for 5 minutes. Usually a cable, a connector, an optic or a duplex mismatch.`,
    },
  }),
];
const NETWORK_RULES: RuleSpec[] = [
  ifRule({
    name: 'wan_link_down',
    field: 'link_down',
    op: '==',
    threshold: 1,
    matchers: { wan: '1' },
    for: '1m',
    resolveAfter: '1m',
    severity: 'critical',
    summary: { vi: 'Mất đường truyền WAN {{interface}} trên {{device}}', en: 'WAN link {{interface}} on {{device}} is down' },
    description: {
      vi: 'Cổng WAN {{interface}} trên thiết bị {{device}} đang bật nhưng không hoạt động (link_down = {{value}}). Đơn vị có thể mất kết nối mạng truyền số liệu chuyên dùng: kiểm tra cáp, thiết bị đầu cuối và báo nhà cung cấp đường truyền.',
      en: 'WAN interface {{interface}} on {{device}} is enabled but down (link_down = {{value}}). The agency may have lost the provincial data network: check the cable, the terminating equipment and call the carrier.',
    },
  }),
  ifRule({
    name: 'interface_down',
    field: 'link_down',
    op: '==',
    threshold: 1,
    matchers: { wan: '!1' },
    for: '5m',
    resolveAfter: '2m',
    severity: 'warning',
    summary: { vi: 'Cổng {{interface}} trên {{device}} mất kết nối', en: 'Interface {{interface}} on {{device}} is down' },
    description: {
      vi: 'Cổng {{interface}} trên thiết bị {{device}} đang bật nhưng không hoạt động (link_down = {{value}}): cáp, thiết bị đầu bên kia hoặc module quang.',
      en: 'Interface {{interface}} on {{device}} is enabled but down (link_down = {{value}}): the cable, the device at the other end or an optic.',
    },
  }),
  ...ifDirection('in', 'vào', 'in'),
  ...ifDirection('out', 'ra', 'out'),
  {
    name: 'network_device_unreachable',
    measurement: 'net_device',
    field: 'up',
    op: '==',
    threshold: 0,
    keyTags: ['device'],
    for: '5m',
    resolveAfter: '2m',
    severity: 'critical',
    dashboard: 'canhgac-network',
    summary: { vi: 'Không đọc được thiết bị mạng {{device}} qua SNMP', en: 'Network device {{device}} cannot be read over SNMP' },
    description: {
      vi: 'Agent không đọc được {{device}} qua SNMP ({{error|result}}; up = {{value}}): thiết bị tắt, mất kết nối, bị chặn, hoặc thông tin xác thực SNMP sai.',
      en: 'The agent cannot read {{device}} over SNMP ({{error|result}}; up = {{value}}): the device is off, unreachable, filtered, or the SNMP credentials are wrong.',
    },
  },
];

/**
 * The rules that work with no configuration. A rules file may tune any of them by name
 * (`{ name: target_down, for: 5m }`) or drop one (`{ name: high_loss, disabled: true }`).
 * Templates: `{{tag}}`, `{{a|b}}` (the first tag present), `{{value}}`, `{{threshold}}`, `{{agency}}`,
 * `{{location}}` (host:port, URL, file, endpoint address: see locationOf in templates.ts) and
 * `{{named_location}}` (`name (location)`). Every built-in rule names the exact thing and the value.
 */
export const BUILTIN_RULES: RuleSpec[] = [
  {
    name: 'agent_silent',
    kind: 'absent',
    missedIntervals: 3,
    severity: 'critical',
    dashboard: 'canhgac-agents',
    summary: { vi: 'Agent {{host|agent}} ngừng gửi dữ liệu', en: 'Agent {{host|agent}} stopped reporting' },
    description: {
      vi: 'Collector không nhận được mẫu nào từ agent {{agent}} ({{host|agent}}) trong {{value}} giây (3 chu kỳ báo cáo của agent). Máy có thể đã tắt, mất mạng hoặc dịch vụ agent đã dừng.',
      en: 'The collector received no sample from agent {{agent}} ({{host|agent}}) for {{value}} seconds (3 of its reporting intervals). The host may be off, offline, or the agent service stopped.',
    },
  },
  {
    name: 'target_down',
    measurement: ['ping', 'tcp', 'http'],
    field: 'up',
    op: '==',
    threshold: 0,
    for: '2m',
    resolveAfter: '1m',
    severity: 'critical',
    dashboard: 'canhgac-availability',
    summary: { vi: 'Mất kết nối tới {{named_location}}', en: 'Lost connection to {{named_location}}' },
    description: {
      vi: '{{location}} không phản hồi (kết quả: {{result}}, up = {{value}}).',
      en: '{{location}} does not answer (result: {{result}}, up = {{value}}).',
    },
  },
  {
    name: 'sip_endpoint_down',
    measurement: 'sip',
    field: 'up',
    op: '==',
    threshold: 0,
    for: '2m',
    resolveAfter: '1m',
    severity: 'critical',
    dashboard: 'canhgac-videoconf',
    summary: { vi: 'Mất kết nối tới điểm cầu {{named_location}}', en: 'Lost connection to video endpoint {{named_location}}' },
    description: {
      vi: 'Điểm cầu {{named_location}} không trả lời SIP OPTIONS (kết quả: {{result}}, up = {{value}}).',
      en: 'Video endpoint {{named_location}} does not answer SIP OPTIONS (result: {{result}}, up = {{value}}).',
    },
  },
  {
    name: 'high_loss',
    measurement: 'ping',
    field: 'loss_percent',
    op: 'between',
    threshold: [20, 100],
    for: '5m',
    resolveAfter: '5m',
    severity: 'warning',
    dashboard: 'canhgac-availability',
    summary: { vi: 'Mất gói cao tới {{named_location}} ({{value}}%)', en: 'High packet loss to {{named_location}} ({{value}}%)' },
    description: {
      vi: 'Tỷ lệ mất gói tới {{target}} là {{value}}% (ngưỡng {{threshold}}%).',
      en: 'Packet loss to {{target}} is {{value}}% (threshold {{threshold}}%).',
    },
  },
  {
    name: 'videoconf_not_ready',
    measurement: 'videoconf',
    field: 'ready',
    op: '==',
    threshold: 0,
    for: '2m',
    resolveAfter: '2m',
    severity: 'critical',
    dashboard: 'canhgac-videoconf',
    summary: { vi: 'Điểm cầu {{named_location}} chưa sẵn sàng họp trực tuyến', en: 'Video endpoint {{named_location}} is not ready for conferencing' },
    description: {
      vi: 'Một thành phần của điểm cầu {{named_location}} không đạt ngưỡng (mất gói, độ trễ, jitter hoặc SIP): ready = {{value}}.',
      en: 'A component of video endpoint {{named_location}} is outside its thresholds (loss, delay, jitter or SIP): ready = {{value}}.',
    },
  },
  {
    name: 'cert_expiring',
    measurement: ['tls_cert', 'cert_file'],
    field: 'days_left',
    op: 'between',
    threshold: [7, 30],
    severity: 'warning',
    keyTags: ['target', 'name', 'path'],
    dashboard: 'canhgac-certificates',
    summary: { vi: 'Chứng chỉ {{named_location}} sắp hết hạn (còn {{value}} ngày)', en: 'Certificate {{named_location}} expires soon ({{value}} days left)' },
    description: {
      vi: 'Chứng chỉ {{subject_cn|name}} tại {{location}} còn {{value}} ngày. Hãy gia hạn trước khi hết hạn.',
      en: 'Certificate {{subject_cn|name}} at {{location}} has {{value}} days left. Renew it before it expires.',
    },
  },
  {
    name: 'cert_expiring_critical',
    measurement: ['tls_cert', 'cert_file'],
    field: 'days_left',
    op: 'between',
    threshold: [0, 7],
    severity: 'critical',
    keyTags: ['target', 'name', 'path'],
    dashboard: 'canhgac-certificates',
    summary: { vi: 'Chứng chỉ {{named_location}} chỉ còn {{value}} ngày', en: 'Certificate {{named_location}} has only {{value}} days left' },
    description: {
      vi: 'Chứng chỉ {{subject_cn|name}} tại {{location}} hết hạn sau {{value}} ngày. Cần gia hạn ngay.',
      en: 'Certificate {{subject_cn|name}} at {{location}} expires in {{value}} days. Renew it now.',
    },
  },
  {
    name: 'cert_expired',
    measurement: ['tls_cert', 'cert_file'],
    field: 'expired',
    op: '==',
    threshold: 1,
    severity: 'critical',
    keyTags: ['target', 'name', 'path'],
    dashboard: 'canhgac-certificates',
    summary: { vi: 'Chứng chỉ {{named_location}} đã hết hạn', en: 'Certificate {{named_location}} has expired' },
    description: {
      vi: 'Chứng chỉ {{subject_cn|name}} tại {{location}} đã hết hạn (expired = {{value}}); người dùng sẽ gặp cảnh báo bảo mật hoặc không kết nối được.',
      en: 'Certificate {{subject_cn|name}} at {{location}} has expired (expired = {{value}}); users see security warnings or cannot connect.',
    },
  },
  {
    name: 'security_check_failed',
    measurement: 'security',
    field: 'pass',
    op: '==',
    threshold: 0,
    matchers: { severity: 'critical' },
    keyTags: ['host', 'check_id'],
    severity: 'critical',
    dashboard: 'canhgac-security',
    summary: { vi: 'Kiểm tra bảo mật nghiêm trọng không đạt: {{check_id}} trên {{host|agent}}', en: 'Critical security check failed: {{check_id}} on {{host|agent}}' },
    description: {
      vi: 'Kiểm tra {{check_id}} (mức nghiêm trọng) không đạt trên agent {{agent}} (pass = {{value}}).',
      en: 'Check {{check_id}} (critical) failed on agent {{agent}} (pass = {{value}}).',
    },
  },
  {
    name: 'security_score_dropped',
    measurement: 'security_score',
    field: 'score_percent',
    op: 'decrease',
    threshold: 10,
    severity: 'warning',
    dashboard: 'canhgac-security',
    summary: { vi: 'Điểm bảo mật của {{host|agent}} giảm xuống {{value}}%', en: 'Security score of {{host|agent}} dropped to {{value}}%' },
    description: {
      vi: 'Điểm bảo mật của agent {{agent}} giảm hơn {{threshold}} điểm, còn {{value}}%.',
      en: 'The security score of agent {{agent}} fell by more than {{threshold}} points to {{value}}%.',
    },
  },
  {
    name: 'new_lan_device',
    measurement: 'lan_summary',
    field: 'new_devices',
    op: '>',
    threshold: 0,
    severity: 'warning',
    sendResolved: false,
    dashboard: 'canhgac-lan',
    summary: { vi: 'Phát hiện {{value}} thiết bị mới trong mạng {{subnet}}', en: '{{value}} new device(s) on subnet {{subnet}}' },
    description: {
      vi: 'Lượt dò mạng {{subnet}} tìm thấy {{value}} thiết bị chưa từng thấy. Hãy xác nhận đó là thiết bị được phép.',
      en: 'The sweep of {{subnet}} found {{value}} device(s) never seen before. Confirm they are allowed.',
    },
  },
  {
    name: 'exposed_risky_service',
    measurement: 'lan_exposure',
    field: 'open',
    op: '==',
    threshold: 1,
    severity: 'warning',
    resolveAfter: '10m',
    dashboard: 'canhgac-lan',
    summary: { vi: 'Dịch vụ rủi ro {{service}} mở trên {{ip}}:{{port}}', en: 'Risky service {{service}} open on {{ip}}:{{port}}' },
    description: {
      vi: 'Thiết bị {{ip}} mở cổng {{port}} ({{service}}). Hãy đóng hoặc chặn dịch vụ nếu không cần thiết.',
      en: 'Device {{ip}} has port {{port}} ({{service}}) open. Close or firewall it unless it is needed.',
    },
  },
  {
    name: 'disk_almost_full',
    measurement: 'host_disk',
    field: 'used_percent',
    op: '>',
    threshold: 90,
    for: '5m',
    resolveAfter: '10m',
    severity: 'warning',
    dashboard: 'canhgac-hosts',
    summary: { vi: 'Ổ đĩa {{mount}} trên {{host}} sắp đầy ({{value}}%)', en: 'Disk {{mount}} on {{host}} almost full ({{value}}%)' },
    description: {
      vi: 'Phân vùng {{mount}} trên máy {{host}} đã dùng {{value}}% (ngưỡng {{threshold}}%).',
      en: 'File system {{mount}} on {{host}} is {{value}}% used (threshold {{threshold}}%).',
    },
  },
  {
    name: 'agent_dropping_samples',
    measurement: 'agent_status',
    field: 'dropped_samples',
    op: 'increase',
    threshold: 0,
    resolveAfter: '15m',
    severity: 'warning',
    keyTags: ['host'],
    dashboard: 'canhgac-agents',
    summary: { vi: 'Agent {{host|agent}} đang bỏ mẫu dữ liệu (tổng {{value}})', en: 'Agent {{host|agent}} is dropping samples ({{value}} so far)' },
    description: {
      vi: 'Hàng đợi của agent {{agent}} đã đầy và mẫu cũ bị bỏ (tổng {{value}}). Kiểm tra kết nối tới collector.',
      en: "Agent {{agent}}'s outbox is full and old samples are dropped ({{value}} so far). Check its connection to the collector.",
    },
  },
  {
    name: 'collector_spool_growing',
    measurement: 'collector_status',
    field: 'spool_samples',
    op: 'increase',
    threshold: 0,
    for: '10m',
    resolveAfter: '5m',
    severity: 'warning',
    dashboard: 'canhgac-pipeline',
    summary: { vi: 'Hàng đợi ghi InfluxDB của collector {{instance}} đang tăng ({{value}} mẫu)', en: 'Spool for InfluxDB of collector {{instance}} is growing ({{value}} samples)' },
    description: {
      vi: 'Collector {{instance}} không ghi kịp vào InfluxDB; dữ liệu đang được giữ trên đĩa.',
      en: 'Collector {{instance}} cannot keep up writing InfluxDB; samples wait on disk.',
    },
  },
  {
    // Written by the collector per agent (collector/ingest/refusals.ts): over its series budget, or refused by InfluxDB.
    name: 'samples_refused',
    measurement: 'collector_refusals',
    field: 'refused_samples',
    op: '>',
    threshold: 0,
    resolveAfter: '15m',
    severity: 'warning',
    keyTags: ['instance', 'reason'],
    dashboard: 'canhgac-pipeline',
    summary: { vi: 'Collector {{instance}} từ chối {{value}} mẫu từ {{agent|instance}} ({{reason}})', en: 'Collector {{instance}} refused {{value}} samples from {{agent|instance}} ({{reason}})' },
    description: {
      vi: 'Mẫu không được lưu vào InfluxDB. series_budget: agent {{agent}} gửi nhiều chuỗi số liệu (tag) khác nhau hơn mức cho phép, xem /readyz và agencies[].seriesBudget; influxdb: InfluxDB từ chối, dữ liệu nằm trong dataDir/deadletter.',
      en: 'The samples were not stored in InfluxDB. series_budget: agent {{agent}} sends more distinct series than its budget, see /readyz and agencies[].seriesBudget; influxdb: InfluxDB refused them, they are kept in dataDir/deadletter.',
    },
  },
  // Web integrity (agent/checks/web_integrity): web_finding carries `url` and `evidence` as labels (catalogue alertFields).
  {
    name: 'web_spam_content',
    measurement: 'web_finding',
    field: 'count',
    op: '>',
    threshold: 0,
    matchers: { kind: '~spam_keyword|hidden_spam|new_sitemap_url' },
    severity: 'critical',
    dashboard: 'canhgac-agency',
    summary: { vi: 'Nội dung cờ bạc trên {{name|site}}', en: 'Gambling or spam content on {{name|site}}' },
    description: {
      vi: 'Trang {{url}} có nội dung cờ bạc hoặc quảng cáo trái phép ({{kind}}): "{{evidence}}". Việc cần làm trước: lưu bằng chứng (chụp trang, tải mã nguồn), gỡ nội dung, tìm tệp và tài khoản quản trị lạ trong CMS, đổi mật khẩu quản trị, cập nhật CMS và plugin, báo đội ứng cứu sự cố của tỉnh.',
      en: 'Page {{url}} carries gambling or other illegal advertising ({{kind}}): "{{evidence}}". First: keep evidence (screenshot, page source), remove the content, look for unknown files and admin accounts in the CMS, change the admin passwords, update the CMS and its plugins, tell the provincial incident response team.',
    },
  },
  {
    name: 'web_cloaking_redirect',
    measurement: 'web_finding',
    field: 'count',
    op: '>',
    threshold: 0,
    matchers: { kind: '~cloaking|offsite_redirect' },
    severity: 'critical',
    dashboard: 'canhgac-agency',
    summary: { vi: 'Trang trên {{name|site}} che giấu nội dung hoặc chuyển hướng ra ngoài', en: 'Cloaking or hijacked redirect on {{name|site}}' },
    description: {
      vi: 'Trang {{url}} hiển thị khác cho Google hoặc người đến từ công cụ tìm kiếm, hoặc chuyển người xem sang tên miền khác ({{kind}}): {{evidence}}. Việc cần làm trước: tìm mã kiểm tra User-Agent/Referer trong .htaccess, cấu hình máy chủ web và các tệp đầu trang (index, header), gỡ bỏ, đổi mật khẩu quản trị, báo đội ứng cứu sự cố.',
      en: 'Page {{url}} shows Google or visitors from a search engine something else, or sends visitors to another domain ({{kind}}): {{evidence}}. First: look for User-Agent/Referer checks in .htaccess, the web server configuration and the page head files (index, header), remove them, change the admin passwords, tell the incident response team.',
    },
  },
  {
    name: 'web_defaced',
    measurement: 'web_finding',
    field: 'count',
    op: '>',
    threshold: 0,
    matchers: { kind: 'defacement' },
    severity: 'critical',
    dashboard: 'canhgac-agency',
    summary: { vi: 'Trang chủ {{name|site}} bị thay đổi giao diện (deface)', en: 'Start page of {{name|site}} defaced' },
    description: {
      vi: '{{url}}: {{evidence}}. Việc cần làm trước: đưa trang về chế độ bảo trì hoặc khôi phục từ bản sao lưu sạch, giữ nhật ký máy chủ làm bằng chứng, tìm lỗ hổng đã bị khai thác, đổi toàn bộ mật khẩu, báo đội ứng cứu sự cố.',
      en: '{{url}}: {{evidence}}. First: put the site in maintenance or restore a clean backup, keep the server logs as evidence, find the hole that was used, change every password, tell the incident response team.',
    },
  },
  {
    name: 'web_new_script_domain',
    measurement: 'web_finding',
    field: 'count',
    op: '>',
    threshold: 0,
    matchers: { kind: 'new_script_domain' },
    severity: 'warning',
    dashboard: 'canhgac-agency',
    summary: { vi: 'Mã script từ tên miền lạ trên {{name|site}}', en: 'Script from an unknown domain on {{name|site}}' },
    description: {
      vi: 'Trang {{url}} nạp script hoặc iframe từ tên miền chưa có trong mốc chuẩn: {{evidence}}. Nếu là dịch vụ hợp lệ, thêm tên miền vào trustedDomains của agent; nếu không, gỡ mã nhúng và kiểm tra mã nguồn trang.',
      en: 'Page {{url}} loads a script or iframe from a domain not in its baseline: {{evidence}}. If it is a legitimate service, add the domain to the agent\'s trustedDomains; otherwise remove it and review the page source.',
    },
  },
  ...AUTH_RULES,
  ...NETWORK_RULES,
];
