import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS } from './finding.ts';
import { fixture, recordedEnv } from './fixtures/recorded-env.ts';
import { checkFirewall, parseIptablesSave, parseNftRuleset } from './linux/firewall.ts';
import { checkLinuxEol } from './linux/eol.ts';
import { checkSambaSmb1 } from './linux/samba.ts';
import { checkSshPasswordAuth, checkSshRootLogin } from './linux/ssh.ts';
import { checkTimeSync, parseChronyTracking, parseTimesyncOffset } from './linux/time-sync.ts';
import { checkAutoUpdates, checkSecurityUpdates, securityUpgrades } from './linux/updates.ts';
import { checkLinuxRiskyPorts, parseProcNet } from './sockets.ts';

// Recorded on this Debian 12 machine (nft in a throw-away namespace, sshd -T, apt-get -s upgrade,
// /proc/net with socat listeners in a namespace) unless the test says the text is hand-written.

const UPTODATE = 'Reading package lists...\nBuilding dependency tree...\nReading state information...\nCalculating upgrade...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n';
const APT_SIM = 'apt-get -s -o Debug::NoLocking=1 upgrade';

describe('linux.firewall', () => {
  it('passes an nftables input chain with rules and a drop policy', async () => {
    expect(parseNftRuleset(fixture('linux/nft-ruleset-filtering.txt'))).toEqual({ filtering: true, rules: 4, policy: 'drop' });
    const f = await checkFirewall(recordedEnv({ commands: { 'nft list ruleset': fixture('linux/nft-ruleset-filtering.txt') } }));
    expect(f).toEqual({ status: 'pass', detail: 'nftables filters input: 4 rule(s), policy drop' });
  });
  it("fails Debian's stock empty input chain plus a NAT-only table, and an empty ruleset", async () => {
    expect(parseNftRuleset(fixture('linux/nft-ruleset-stock-nat-only.txt')).filtering).toBe(false);
    expect((await checkFirewall(recordedEnv({ commands: { 'nft list ruleset': fixture('linux/nft-ruleset-stock-nat-only.txt') } }))).status).toBe('fail');
    expect((await checkFirewall(recordedEnv({ commands: { 'nft list ruleset': '' } }))).status).toBe('fail');
  });
  it('reads iptables-save and ufw (hand-written outputs in their documented format)', async () => {
    const ipt = '*nat\n:PREROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\nCOMMIT\n';
    expect(parseIptablesSave(ipt)).toEqual({ filtering: true, rules: 2, policy: 'drop' });
    expect(parseIptablesSave('*nat\n-A POSTROUTING -j MASQUERADE\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n').filtering).toBe(false);
    expect((await checkFirewall(recordedEnv({ commands: { 'iptables-save': ipt } }))).status).toBe('pass');
    expect((await checkFirewall(recordedEnv({ commands: { 'ufw status': 'Status: active\n\nTo Action From\n22/tcp ALLOW Anywhere\n' } }))).detail).toBe('ufw is active');
    expect((await checkFirewall(recordedEnv({ commands: { 'ufw status': 'Status: inactive\n', 'nft list ruleset': '' } }))).status).toBe('fail');
  });
  it('is an error with the reason when no tool can read the rules (not root), a failure when no tool exists', async () => {
    const denied = { code: 1, stderr: 'Operation not permitted (you must be root)\n' };
    const e = await checkFirewall(recordedEnv({ commands: { 'nft list ruleset': denied } }));
    expect(e).toEqual({ status: 'error', detail: 'cannot read the firewall rules (nft list ruleset exited with 1: Operation not permitted (you must be root))' });
    expect((await checkFirewall(recordedEnv({}))).detail).toMatch(/no firewall tool found/);
  });
});

describe('linux.security_updates', () => {
  it('counts packages from a -security suite in a recorded apt-get -s upgrade (Debian 12, 136 upgrades)', async () => {
    const pending = securityUpgrades(fixture('linux/apt-upgrade-debian12-pending.txt'));
    expect(pending.length).toBe(81);
    expect(pending).toContain('libgcrypt20');
    const f = await checkSecurityUpdates(recordedEnv({ commands: { [APT_SIM]: fixture('linux/apt-upgrade-debian12-pending.txt') } }));
    expect(f.status).toBe('fail');
    expect(f.detail).toMatch(/^81 package\(s\) wait for a security update: /);
  });
  it('passes a host with nothing to upgrade, ignores non-security upgrades, and is n/a without apt', async () => {
    expect(await checkSecurityUpdates(recordedEnv({ commands: { [APT_SIM]: UPTODATE } }))).toEqual({ status: 'pass', detail: 'no package waits for a security update' });
    const onlyPoint = 'Inst tzdata [2024a-0+deb12u1] (2025b-0+deb12u1 Debian:12.11/stable [all])\nConf tzdata (2025b-0+deb12u1 Debian:12.11/stable [all])\n';
    expect((await checkSecurityUpdates(recordedEnv({ commands: { [APT_SIM]: onlyPoint } }))).status).toBe('pass');
    expect((await checkSecurityUpdates(recordedEnv({}))).status).toBe('not_applicable');
    expect(await checkSecurityUpdates(recordedEnv({ commands: { [APT_SIM]: { code: 100, stderr: 'E: Could not open lock file' } } }))).toEqual({
      status: 'error',
      detail: 'apt-get -s upgrade exited with 100: E: Could not open lock file',
    });
  });
});

describe('linux.auto_updates', () => {
  const base = { '/etc/debian_version': '12.11\n', '/etc/apt/apt.conf.d/01autoremove': 'APT { NeverAutoRemove { "^linux-image.*"; }; };\n' };
  it("passes Debian's 20auto-upgrades with unattended-upgrades installed", async () => {
    const env = recordedEnv({
      files: { ...base, '/usr/bin/unattended-upgrade': '#!/usr/bin/python3\n', '/etc/apt/apt.conf.d/20auto-upgrades': 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n' },
    });
    expect((await checkAutoUpdates(env)).status).toBe('pass');
  });
  it('reads the nested form and lets a later file switch it off', async () => {
    const env = recordedEnv({
      files: {
        ...base,
        '/usr/bin/unattended-upgrade': 'x',
        '/etc/apt/apt.conf.d/20auto-upgrades': 'APT { Periodic { Update-Package-Lists "1"; Unattended-Upgrade "1"; }; };\n',
        '/etc/apt/apt.conf.d/99local': '// switched off during migration\nAPT::Periodic::Unattended-Upgrade "0";\n',
      },
    });
    expect(await checkAutoUpdates(env)).toEqual({ status: 'fail', detail: 'APT::Periodic::Unattended-Upgrade is "0"' });
  });
  it('fails without the package, and is n/a off Debian', async () => {
    expect(await checkAutoUpdates(recordedEnv({ files: base }))).toEqual({ status: 'fail', detail: 'unattended-upgrades is not installed' });
    expect((await checkAutoUpdates(recordedEnv({ files: { '/etc/redhat-release': 'Rocky Linux 9' } }))).status).toBe('not_applicable');
  });
});

describe('linux.ssh_*', () => {
  it("judges a recorded `sshd -T` of Debian 12's default config: root by key only and passwords on both fail", async () => {
    const env = recordedEnv({ commands: { 'sshd -T': fixture('linux/sshd-T-debian12-default.txt') } });
    expect(await checkSshRootLogin(env)).toEqual({ status: 'fail', detail: 'PermitRootLogin without-password (sshd -T)' });
    expect(await checkSshPasswordAuth(env)).toEqual({ status: 'fail', detail: 'PasswordAuthentication yes (sshd -T)' });
  });
  it('follows Include drop-ins: the first value wins, Match blocks are not global', async () => {
    const env = recordedEnv({
      files: {
        '/etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\nPasswordAuthentication yes\nMatch User backup\n  PasswordAuthentication yes\n',
        '/etc/ssh/sshd_config.d/10-hardening.conf': '# province baseline\nPermitRootLogin no\npasswordauthentication=no\n',
        '/etc/ssh/sshd_config.d/README': 'PermitRootLogin yes\n',
      },
    });
    expect(await checkSshRootLogin(env)).toEqual({ status: 'pass', detail: 'PermitRootLogin no (/etc/ssh/sshd_config)' });
    expect((await checkSshPasswordAuth(env)).status).toBe('pass');
  });
  it('uses the OpenSSH defaults for unset keys, and is n/a without an SSH server', async () => {
    const env = recordedEnv({ files: { '/etc/ssh/sshd_config': 'Port 22\n' } });
    expect(await checkSshRootLogin(env)).toEqual({ status: 'fail', detail: 'PermitRootLogin prohibit-password (OpenSSH default) (/etc/ssh/sshd_config)' });
    expect((await checkSshRootLogin(recordedEnv({}))).status).toBe('not_applicable');
  });
});

describe('linux.time_sync (hand-written outputs of systemd 252 and chrony 4.3)', () => {
  const synced = 'Timezone=Asia/Ho_Chi_Minh\nLocalRTC=no\nCanNTP=yes\nNTP=yes\nNTPSynchronized=yes\nTimeUSec=Fri 2026-11-27 10:00:00 +07\n';
  const status = '       Server: 10.10.0.1 (ntp.example.vn)\nPoll interval: 34min 8s (min: 32s; max 34min 8s)\n         Leap: normal\n      Version: 4\n      Stratum: 2\n       Offset: -1.734ms\n        Delay: 2.108ms\n';
  it('passes timesyncd synchronised, with its offset', async () => {
    expect(parseTimesyncOffset(status)).toBeCloseTo(-1.734);
    const f = await checkTimeSync(recordedEnv({ commands: { 'timedatectl show': synced, 'timedatectl timesync-status': status } }), DEFAULT_THRESHOLDS);
    expect(f).toEqual({ status: 'pass', detail: 'systemd (timedatectl): synchronised, offset -1.734 ms' });
  });
  it('fails NTP switched off, and a synchronised clock whose offset is too large', async () => {
    const off = await checkTimeSync(recordedEnv({ commands: { 'timedatectl show': synced.replace('NTP=yes\nNTPSynchronized=yes', 'NTP=no\nNTPSynchronized=no') } }), DEFAULT_THRESHOLDS);
    expect(off).toEqual({ status: 'fail', detail: 'timedatectl: NTP off' });
    const far = await checkTimeSync(recordedEnv({ commands: { 'timedatectl show': synced, 'timedatectl timesync-status': status.replace('-1.734ms', '+2min') } }), DEFAULT_THRESHOLDS);
    expect(far.status).toBe('fail');
  });
  it('reads chrony tracking', async () => {
    const tracking = 'Reference ID    : 0A0A0001 (10.10.0.1)\nStratum         : 3\nRef time (UTC)  : Fri Nov 27 02:58:11 2026\nSystem time     : 0.000021403 seconds slow of NTP time\nLast offset     : -0.000011234 seconds\nLeap status     : Normal\n';
    expect(parseChronyTracking(tracking)).toEqual({ synchronised: true, offsetMs: expect.closeTo(-0.021403, 6), leap: 'Normal' });
    expect((await checkTimeSync(recordedEnv({ commands: { 'chronyc -n tracking': tracking } }), DEFAULT_THRESHOLDS)).status).toBe('pass');
    const unsync = tracking.replace('Leap status     : Normal', 'Leap status     : Not synchronised');
    expect(await checkTimeSync(recordedEnv({ commands: { 'chronyc -n tracking': unsync } }), DEFAULT_THRESHOLDS)).toEqual({ status: 'fail', detail: 'chrony: Not synchronised' });
  });
  it('without systemd or chronyc: a running ntpd passes, nothing running fails', async () => {
    const ps = { '/proc/1/comm': 'process_api\n', '/proc/812/comm': 'ntpd\n' };
    expect(await checkTimeSync(recordedEnv({ files: ps }), DEFAULT_THRESHOLDS)).toEqual({ status: 'pass', detail: 'ntpd running (offset not readable)' });
    expect((await checkTimeSync(recordedEnv({ files: { '/proc/1/comm': 'init\n' } }), DEFAULT_THRESHOLDS)).status).toBe('fail');
  });
});

describe('linux.eol', () => {
  it('passes Debian 12 (recorded os-release) and fails Debian 10 and Ubuntu 20.04', async () => {
    expect(await checkLinuxEol(recordedEnv({ files: { '/etc/os-release': fixture('linux/os-release-debian12.txt') } }))).toEqual({
      status: 'pass',
      detail: 'Debian GNU/Linux 12 (bookworm): supported until 2028-06-30',
    });
    const buster = 'PRETTY_NAME="Debian GNU/Linux 10 (buster)"\nNAME="Debian GNU/Linux"\nVERSION_ID="10"\nID=debian\n';
    expect(await checkLinuxEol(recordedEnv({ files: { '/etc/os-release': buster } }))).toEqual({ status: 'fail', detail: 'Debian GNU/Linux 10 (buster): security support ended on 2024-06-30' });
    const focal = 'NAME="Ubuntu"\nVERSION="20.04.6 LTS (Focal Fossa)"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 20.04.6 LTS"\nVERSION_ID="20.04"\n';
    expect((await checkLinuxEol(recordedEnv({ files: { '/usr/lib/os-release': focal } }))).status).toBe('fail');
  });
  it('Debian 11 is supported until its LTS ends on 2026-08-31, then fails', async () => {
    const bullseye = 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nVERSION_ID="11"\nID=debian\n';
    expect((await checkLinuxEol(recordedEnv({ files: { '/etc/os-release': bullseye }, now: '2026-08-31T12:00:00Z' }))).status).toBe('pass');
    expect((await checkLinuxEol(recordedEnv({ files: { '/etc/os-release': bullseye }, now: '2026-09-01T00:00:00Z' }))).status).toBe('fail');
  });
  it('is not_applicable for a distribution it has no date for', async () => {
    const arch = 'NAME="Arch Linux"\nID=arch\nPRETTY_NAME="Arch Linux"\n';
    expect((await checkLinuxEol(recordedEnv({ files: { '/etc/os-release': arch } }))).status).toBe('not_applicable');
  });
});

describe('linux.samba_smb1', () => {
  it('fails NT1 in [global], passes the modern default, ignores share sections, n/a without Samba', async () => {
    const conf = (extra: string) => `[global]\n   workgroup = SOYTE\n${extra}\n[hoso]\n   path = /srv/hoso\n   min protocol = NT1\n`;
    expect(await checkSambaSmb1(recordedEnv({ files: { '/etc/samba/smb.conf': conf('   server min protocol = NT1') } }))).toEqual({ status: 'fail', detail: 'server min protocol = nt1 accepts SMBv1' });
    expect((await checkSambaSmb1(recordedEnv({ files: { '/etc/samba/smb.conf': conf('; server min protocol = NT1') } }))).status).toBe('pass');
    expect((await checkSambaSmb1(recordedEnv({ files: { '/etc/samba/smb.conf': conf('server min protocol = SMB3') } }))).status).toBe('pass');
    expect((await checkSambaSmb1(recordedEnv({}))).status).toBe('not_applicable');
  });
});

describe('risky_ports on Linux (/proc/net)', () => {
  it('parses the socket tables: addresses, ports, IPv6, and only LISTEN/bound sockets', () => {
    expect(parseProcNet(fixture('linux/proc-net-tcp-risky.txt'), 'tcp')).toEqual([
      { protocol: 'tcp', address: '0.0.0.0', port: 23 },
      { protocol: 'tcp', address: '0.0.0.0', port: 22 },
      { protocol: 'tcp', address: '127.0.0.1', port: 21 },
    ]);
    expect(parseProcNet(fixture('linux/proc-net-tcp6-risky.txt'), 'tcp')).toEqual([{ protocol: 'tcp', address: '::', port: 5900 }]);
    const v6 = '  sl  local_address remote_address st\n   0: 00000000000000000000000001000000:0017 00000000000000000000000000000000:0000 0A\n   1: 0000000000000000FFFF00000100007F:0015 00000000000000000000000000000000:0000 0A\n   2: B80D0120000000000000000001000000:0050 00000000000000000000000000000000:0000 0A\n';
    expect(parseProcNet(v6, 'tcp').map((l) => l.address)).toEqual(['::1', '::ffff:127.0.0.1', '2001:db8::1']);
  });
  it('fails telnet, VNC and tftp open to the network; names loopback-only ftp without failing for it', async () => {
    const env = recordedEnv({
      files: {
        '/proc/net/tcp': fixture('linux/proc-net-tcp-risky.txt'),
        '/proc/net/tcp6': fixture('linux/proc-net-tcp6-risky.txt'),
        '/proc/net/udp': fixture('linux/proc-net-udp-risky.txt'),
      },
    });
    expect(await checkLinuxRiskyPorts(env)).toEqual({
      status: 'fail',
      detail: 'risky service listening: telnet on 0.0.0.0:23/tcp, vnc on [::]:5900/tcp, tftp on 0.0.0.0:69/udp; loopback only, not reachable from the LAN: ftp on 127.0.0.1:21/tcp',
    });
  });
  it("passes this CI machine's recorded socket table (only loopback services)", async () => {
    const f = await checkLinuxRiskyPorts(recordedEnv({ files: { '/proc/net/tcp': fixture('linux/proc-net-tcp-ci.txt') } }));
    expect(f.status).toBe('pass');
    expect((await checkLinuxRiskyPorts(recordedEnv({}))).status).toBe('error');
  });
});
