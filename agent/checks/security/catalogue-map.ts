// Ties each security check id of the catalogue (protocol/security-checks.ts) to the code that runs it.
import type { SecurityCheckId } from '../../../protocol/index.ts';
import { checkClockOffset } from './clock.ts';
import type { HostCheck } from './finding.ts';
import { checkFirewall } from './linux/firewall.ts';
import { checkLinuxEol } from './linux/eol.ts';
import { checkSambaSmb1 } from './linux/samba.ts';
import { checkSshPasswordAuth, checkSshRootLogin } from './linux/ssh.ts';
import { checkTimeSync } from './linux/time-sync.ts';
import { checkAutoUpdates, checkSecurityUpdates } from './linux/updates.ts';
import { checkLinuxRiskyPorts } from './sockets.ts';
import * as win from './windows/checks.ts';

/** The code behind each catalogue entry; `risky_ports` reads the socket table its platform's way. */
export const HOST_CHECKS: Record<SecurityCheckId, HostCheck> = {
  risky_ports: (env, limits) => (env.platform === 'win32' ? win.fromFacts(win.listenersFacts)(env, limits) : checkLinuxRiskyPorts(env)),
  clock_offset: checkClockOffset,
  'linux.firewall': checkFirewall,
  'linux.security_updates': checkSecurityUpdates,
  'linux.auto_updates': checkAutoUpdates,
  'linux.ssh_root_login': (env) => checkSshRootLogin(env),
  'linux.ssh_password_auth': (env) => checkSshPasswordAuth(env),
  'linux.time_sync': checkTimeSync,
  'linux.eol': checkLinuxEol,
  'linux.samba_smb1': checkSambaSmb1,
  'windows.firewall': win.fromFacts(win.firewallFacts),
  'windows.antivirus': win.fromFacts(win.antivirusFacts),
  'windows.updates': win.fromFacts(win.updatesFacts),
  'windows.smb1': win.fromFacts(win.smb1Facts),
  'windows.rdp_nla': win.fromFacts(win.rdpFacts),
  'windows.guest': win.fromFacts(win.guestFacts),
  'windows.local_admins': win.fromFacts(win.adminsFacts),
  'windows.password_policy': win.fromFacts(win.passwordPolicyFacts),
  'windows.eol': win.fromFacts(win.eolFacts),
};
