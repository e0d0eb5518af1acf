/**
 * The host security check catalogue: one entry per check the agent's `security` check can run.
 * Shared by the agent (what to run, default severity) and the collector (titles and remediation
 * shown in the compliance view), so the texts a user reads are the ones the agent meant.
 *
 * Ids are stable: they are the `check_id` tag in InfluxDB, the key of waivers and severity
 * overrides in agent configs. Never rename one; retire it and add a new id instead.
 */

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Weight of a check in `security_score`: each step up counts twice as much as the one below. */
export const SEVERITY_WEIGHTS: Readonly<Record<Severity, number>> = { low: 1, medium: 2, high: 4, critical: 8 };

/** What one check found. `waived` is a failure covered by an unexpired waiver. */
export const CHECK_STATUSES = ['pass', 'fail', 'not_applicable', 'error', 'waived'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

export type SecurityPlatform = 'linux' | 'windows' | 'any';

export interface Localized {
  vi: string;
  en: string;
}

export interface SecurityCheckSpec {
  readonly id: string;
  readonly platform: SecurityPlatform;
  readonly severity: Severity;
  readonly title: Localized;
  readonly remediation: Localized;
  /** Why it matters; names the CIS benchmark recommendation where one applies. */
  readonly rationale: string;
}

const spec = (s: SecurityCheckSpec): SecurityCheckSpec => s;

export const SECURITY_CHECKS = [
  spec({
    id: 'risky_ports',
    platform: 'any',
    severity: 'high',
    title: {
      vi: 'Không có dịch vụ rủi ro (telnet, ftp, rsh, SMB, VNC) mở ra mạng',
      en: 'No risky service (telnet, ftp, rsh, SMB, VNC) listening on the network',
    },
    remediation: {
      vi: 'Gỡ hoặc tắt dịch vụ (telnet, ftp, rsh/rlogin, VNC); nếu buộc phải dùng, chỉ cho nghe trên 127.0.0.1 hoặc chặn bằng tường lửa. Dùng SSH/SFTP thay cho telnet/ftp.',
      en: 'Remove or stop the service (telnet, ftp, rsh/rlogin, VNC); if it must stay, bind it to 127.0.0.1 or block it in the firewall. Use SSH/SFTP instead of telnet/ftp.',
    },
    rationale: 'Clear-text or unauthenticated remote access is the usual first step of an intrusion. CIS Debian Linux 12 §2.2 (Server services: ensure telnet, ftp, rsh, samba are not in use); CIS Windows §5 (System services).',
  }),
  spec({
    id: 'clock_offset',
    platform: 'any',
    severity: 'medium',
    title: { vi: 'Đồng hồ máy lệch ít so với máy chủ thu thập', en: 'Clock close to the collector' },
    remediation: {
      vi: 'Bật đồng bộ thời gian (Linux: systemd-timesyncd hoặc chrony; Windows: dịch vụ Windows Time) với máy chủ NTP của tỉnh.',
      en: "Enable time synchronisation (Linux: systemd-timesyncd or chrony; Windows: the Windows Time service) against the province's NTP server.",
    },
    rationale: 'Logs from hosts with wrong clocks cannot be correlated during an incident; Kerberos refuses logons beyond 5 minutes of skew. CIS Debian Linux 12 §2.3 (Configure time synchronization).',
  }),
  spec({
    id: 'linux.firewall',
    platform: 'linux',
    severity: 'high',
    title: { vi: 'Tường lửa đang chạy và có luật lọc gói vào', en: 'Firewall active with inbound filtering rules' },
    remediation: {
      vi: 'Cài và bật nftables (hoặc ufw): chặn mặc định gói vào, chỉ mở các cổng cần thiết; lưu luật để nạp lại khi khởi động (systemctl enable nftables).',
      en: 'Install and enable nftables (or ufw): drop inbound traffic by default and open only the ports needed; persist the rules (systemctl enable nftables).',
    },
    rationale: 'A host firewall limits what an attacker on the LAN can reach. CIS Debian Linux 12 §4 (Host based firewall: ensure a single firewall utility is configured, default deny).',
  }),
  spec({
    id: 'linux.security_updates',
    platform: 'linux',
    severity: 'critical',
    title: { vi: 'Không còn bản cập nhật bảo mật chờ cài', en: 'No pending security updates' },
    remediation: {
      vi: 'Chạy: apt-get update && apt-get upgrade (hoặc unattended-upgrade) rồi khởi động lại dịch vụ/máy nếu được yêu cầu.',
      en: 'Run apt-get update && apt-get upgrade (or unattended-upgrade), then restart services or reboot when asked.',
    },
    rationale: 'Most compromises use vulnerabilities for which a fix has been published. CIS Debian Linux 12 §1.2 (Ensure updates, patches, and additional security software are installed).',
  }),
  spec({
    id: 'linux.auto_updates',
    platform: 'linux',
    severity: 'medium',
    title: { vi: 'Đã bật tự động cài cập nhật bảo mật', en: 'Automatic security updates enabled' },
    remediation: {
      vi: 'Cài unattended-upgrades và bật: apt-get install unattended-upgrades && dpkg-reconfigure -plow unattended-upgrades (tạo /etc/apt/apt.conf.d/20auto-upgrades).',
      en: 'Install and enable unattended-upgrades: apt-get install unattended-upgrades && dpkg-reconfigure -plow unattended-upgrades (writes /etc/apt/apt.conf.d/20auto-upgrades).',
    },
    rationale: 'Agencies without IT staff on site patch only when updates install themselves. CIS Debian Linux 12 §1.2 (package updates).',
  }),
  spec({
    id: 'linux.ssh_root_login',
    platform: 'linux',
    severity: 'high',
    title: { vi: 'SSH không cho đăng nhập trực tiếp bằng root', en: 'SSH refuses direct root login' },
    remediation: {
      vi: 'Đặt "PermitRootLogin no" trong /etc/ssh/sshd_config (và các tệp trong sshd_config.d), rồi chạy: systemctl reload ssh.',
      en: 'Set "PermitRootLogin no" in /etc/ssh/sshd_config (and files in sshd_config.d), then run systemctl reload ssh.',
    },
    rationale: "Root logins leave no trace of who acted and make root's password a single target. CIS Debian Linux 12: Ensure sshd PermitRootLogin is disabled.",
  }),
  spec({
    id: 'linux.ssh_password_auth',
    platform: 'linux',
    severity: 'medium',
    title: { vi: 'SSH chỉ cho đăng nhập bằng khóa, không bằng mật khẩu', en: 'SSH allows key logins only, no passwords' },
    remediation: {
      vi: 'Cài khóa SSH cho người quản trị, rồi đặt "PasswordAuthentication no" và "KbdInteractiveAuthentication no" trong sshd_config; systemctl reload ssh.',
      en: 'Install SSH keys for the administrators, then set "PasswordAuthentication no" and "KbdInteractiveAuthentication no" in sshd_config; systemctl reload ssh.',
    },
    rationale: 'Password logins over SSH are brute-forced from the LAN and the internet. CIS Debian Linux 12 §5.1 (Configure SSH server).',
  }),
  spec({
    id: 'linux.time_sync',
    platform: 'linux',
    severity: 'medium',
    title: { vi: 'Đồng bộ thời gian (timesyncd/chrony) đang chạy và đã đồng bộ', en: 'Time synchronisation (timesyncd/chrony) running and synchronised' },
    remediation: {
      vi: 'Bật systemd-timesyncd (timedatectl set-ntp true) hoặc cài chrony, trỏ tới máy chủ NTP của tỉnh.',
      en: "Enable systemd-timesyncd (timedatectl set-ntp true) or install chrony, pointed at the province's NTP server.",
    },
    rationale: 'Correct time is needed for log correlation, certificates and Kerberos. CIS Debian Linux 12 §2.3 (Ensure time synchronization is in use).',
  }),
  spec({
    id: 'linux.eol',
    platform: 'linux',
    severity: 'critical',
    title: { vi: 'Bản phân phối Linux còn được hỗ trợ bảo mật', en: 'Linux distribution still receives security support' },
    remediation: {
      vi: 'Nâng cấp lên bản phát hành còn hỗ trợ (ví dụ Debian 12/13, Ubuntu 24.04 LTS) theo hướng dẫn nâng cấp của bản phân phối.',
      en: "Upgrade to a supported release (e.g. Debian 12/13, Ubuntu 24.04 LTS) following the distribution's upgrade notes.",
    },
    rationale: 'An end-of-life release gets no security fixes: every new vulnerability stays open. CIS: Ensure the operating system is a supported version.',
  }),
  spec({
    id: 'linux.samba_smb1',
    platform: 'linux',
    severity: 'high',
    title: { vi: 'Samba không chấp nhận SMBv1', en: 'Samba refuses SMBv1' },
    remediation: {
      vi: 'Đặt "server min protocol = SMB2_10" (hoặc cao hơn) trong phần [global] của /etc/samba/smb.conf rồi khởi động lại smbd.',
      en: 'Set "server min protocol = SMB2_10" (or higher) in the [global] section of /etc/samba/smb.conf and restart smbd.',
    },
    rationale: 'SMBv1 carried WannaCry and NotPetya. CIS Debian Linux 12 §2.2 (Ensure samba file server services are not in use, or hardened).',
  }),
  spec({
    id: 'windows.firewall',
    platform: 'windows',
    severity: 'high',
    title: { vi: 'Windows Firewall bật cho mọi hồ sơ (Domain, Private, Public)', en: 'Windows Firewall on for every profile (Domain, Private, Public)' },
    remediation: {
      vi: 'Chạy PowerShell quyền quản trị: Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True (hoặc bật qua Group Policy).',
      en: 'In an elevated PowerShell: Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True (or through Group Policy).',
    },
    rationale: "CIS Microsoft Windows 10/11: Ensure 'Windows Firewall: Domain/Private/Public: Firewall state' is set to 'On'.",
  }),
  spec({
    id: 'windows.antivirus',
    platform: 'windows',
    severity: 'critical',
    title: { vi: 'Phần mềm diệt virus bật bảo vệ thời gian thực, mẫu nhận diện mới (dưới 7 ngày)', en: 'Antivirus real-time protection on, signatures younger than 7 days' },
    remediation: {
      vi: 'Bật bảo vệ thời gian thực của Microsoft Defender (Set-MpPreference -DisableRealtimeMonitoring $false) và cập nhật mẫu (Update-MpSignature), hoặc kiểm tra phần mềm diệt virus đang dùng.',
      en: 'Turn on Microsoft Defender real-time protection (Set-MpPreference -DisableRealtimeMonitoring $false) and update signatures (Update-MpSignature), or check the installed antivirus.',
    },
    rationale: "CIS Microsoft Windows: Ensure 'Turn off real-time protection' is set to 'Disabled'; stale signatures miss current malware.",
  }),
  spec({
    id: 'windows.updates',
    platform: 'windows',
    severity: 'critical',
    title: { vi: 'Đã cài cập nhật Windows trong 30 ngày qua', en: 'Windows updates installed within the last 30 days' },
    remediation: {
      vi: 'Mở Windows Update và cài các bản cập nhật; kiểm tra dịch vụ Windows Update (wuauserv) và cấu hình WSUS nếu có.',
      en: 'Open Windows Update and install the updates; check the Windows Update service (wuauserv) and WSUS settings if used.',
    },
    rationale: 'Microsoft ships security fixes every month; a host without an install for 30 days misses at least one round. CIS: Ensure updates are installed.',
  }),
  spec({
    id: 'windows.smb1',
    platform: 'windows',
    severity: 'high',
    title: { vi: 'Đã tắt SMBv1', en: 'SMBv1 disabled' },
    remediation: {
      vi: 'Chạy PowerShell quyền quản trị: Set-SmbServerConfiguration -EnableSMB1Protocol $false -Force; Disable-WindowsOptionalFeature -Online -FeatureName SMB1Protocol.',
      en: 'In an elevated PowerShell: Set-SmbServerConfiguration -EnableSMB1Protocol $false -Force; Disable-WindowsOptionalFeature -Online -FeatureName SMB1Protocol.',
    },
    rationale: "CIS Microsoft Windows: Ensure 'Configure SMB v1 server' is set to 'Disabled' (WannaCry, NotPetya).",
  }),
  spec({
    id: 'windows.rdp_nla',
    platform: 'windows',
    severity: 'high',
    title: { vi: 'Remote Desktop tắt, hoặc bật kèm xác thực mức mạng (NLA)', en: 'Remote Desktop off, or on with Network Level Authentication' },
    remediation: {
      vi: 'Tắt Remote Desktop nếu không dùng; nếu cần, bật "Chỉ cho phép kết nối từ máy dùng Remote Desktop với Network Level Authentication" (System Properties > Remote).',
      en: 'Turn Remote Desktop off when unused; otherwise tick "Allow connections only from computers running Remote Desktop with Network Level Authentication" (System Properties > Remote).',
    },
    rationale: "CIS Microsoft Windows: Ensure 'Require user authentication for remote connections by using Network Level Authentication' is set to 'Enabled' (BlueKeep-class pre-auth bugs).",
  }),
  spec({
    id: 'windows.guest',
    platform: 'windows',
    severity: 'medium',
    title: { vi: 'Tài khoản Guest bị vô hiệu hóa', en: 'Guest account disabled' },
    remediation: {
      vi: 'Chạy PowerShell quyền quản trị: Disable-LocalUser -Name Guest (tên tài khoản có thể khác; tài khoản có SID kết thúc bằng -501).',
      en: 'In an elevated PowerShell: Disable-LocalUser -Name Guest (the name may differ; it is the account whose SID ends in -501).',
    },
    rationale: "CIS Microsoft Windows: Ensure 'Accounts: Guest account status' is set to 'Disabled'.",
  }),
  spec({
    id: 'windows.local_admins',
    platform: 'windows',
    severity: 'medium',
    title: { vi: 'Ít tài khoản quản trị cục bộ', en: 'Few local administrators' },
    remediation: {
      vi: 'Xem nhóm Administrators (lusrmgr.msc hoặc Get-LocalGroupMember -SID S-1-5-32-544) và gỡ các tài khoản không cần quyền quản trị; người dùng hằng ngày dùng tài khoản thường.',
      en: 'Review the Administrators group (lusrmgr.msc or Get-LocalGroupMember -SID S-1-5-32-544) and remove accounts that do not need it; daily work uses standard accounts.',
    },
    rationale: 'Every administrator account is a path to full control of the host. CIS Controls 5.4: Restrict administrator privileges to dedicated administrator accounts.',
  }),
  spec({
    id: 'windows.password_policy',
    platform: 'windows',
    severity: 'medium',
    title: { vi: 'Chính sách mật khẩu: độ dài tối thiểu và khóa tài khoản khi nhập sai', en: 'Password policy: minimum length and account lockout' },
    remediation: {
      vi: 'Trong secpol.msc (hoặc GPO): Minimum password length ≥ 8 (khuyến nghị 14), Account lockout threshold từ 1 đến 10 lần sai.',
      en: 'In secpol.msc (or a GPO): Minimum password length ≥ 8 (14 recommended), Account lockout threshold between 1 and 10 invalid attempts.',
    },
    rationale: "CIS Microsoft Windows: Ensure 'Minimum password length' is set to '14 or more' and 'Account lockout threshold' to '5 or fewer, but not 0'.",
  }),
  spec({
    id: 'windows.eol',
    platform: 'windows',
    severity: 'critical',
    title: { vi: 'Phiên bản Windows còn được hỗ trợ bảo mật', en: 'Windows version still receives security updates' },
    remediation: {
      vi: 'Nâng cấp lên phiên bản Windows còn hỗ trợ (Windows 11 bản mới, Windows Server 2022/2025) hoặc đăng ký Extended Security Updates.',
      en: 'Upgrade to a supported Windows release (current Windows 11, Windows Server 2022/2025) or enrol in Extended Security Updates.',
    },
    rationale: 'An end-of-life Windows gets no security fixes. CIS: Ensure the operating system is a supported version.',
  }),
] as const satisfies readonly SecurityCheckSpec[];

export type SecurityCheckId = (typeof SECURITY_CHECKS)[number]['id'];

const byId = new Map<string, SecurityCheckSpec>(SECURITY_CHECKS.map((c) => [c.id, c]));

export function securityCheckSpec(id: string): SecurityCheckSpec | undefined {
  return byId.get(id);
}

export function isSecurityCheckId(id: string): id is SecurityCheckId {
  return byId.has(id);
}

export function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}

export interface ScoreInput {
  status: CheckStatus;
  severity: Severity;
}

export interface Score {
  scorePercent: number;
  passed: number;
  failed: number;
  errors: number;
  waived: number;
  notApplicable: number;
}

/**
 * Weighted share of passed checks. Waived and not-applicable checks are left out; an error counts
 * against the score (a check that could not be verified is not a pass). With nothing to score the
 * score is 100: there is nothing known to be wrong.
 */
export function securityScore(results: readonly ScoreInput[]): Score {
  let earned = 0;
  let possible = 0;
  const s: Score = { scorePercent: 100, passed: 0, failed: 0, errors: 0, waived: 0, notApplicable: 0 };
  for (const r of results) {
    const w = SEVERITY_WEIGHTS[r.severity];
    if (r.status === 'waived') s.waived++;
    else if (r.status === 'not_applicable') s.notApplicable++;
    else {
      possible += w;
      if (r.status === 'pass') {
        earned += w;
        s.passed++;
      } else if (r.status === 'fail') s.failed++;
      else s.errors++;
    }
  }
  if (possible > 0) s.scorePercent = Math.round((earned / possible) * 10000) / 100;
  return s;
}
