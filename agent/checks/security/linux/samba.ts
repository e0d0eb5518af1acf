// The Samba SMBv1 check: whether smb.conf still lets clients speak SMB1.
import type { HostEnv } from '../env.ts';
import { fail, notApplicable, pass, type Finding } from '../finding.ts';

const SMB1 = new Set(['core', 'coreplus', 'lanman1', 'lanman2', 'nt1', 'smb1']);

/** `server min protocol` (or its alias `min protocol`) from the [global] section of smb.conf. */
export function sambaMinProtocol(text: string): string | undefined {
  let section = 'global';
  let value: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\s*[#;].*$/, '').trim();
    const s = /^\[(.+)\]$/.exec(line);
    if (s) section = s[1].trim().toLowerCase();
    const m = /^(server\s+min\s+protocol|min\s+protocol)\s*=\s*(\S+)/i.exec(line);
    if (m && section === 'global') value = m[2].toLowerCase();
  }
  return value;
}

export async function checkSambaSmb1(env: HostEnv): Promise<Finding> {
  const conf = await env.readText('/etc/samba/smb.conf');
  if (conf === undefined) return notApplicable('Samba not installed (no /etc/samba/smb.conf)');
  const min = sambaMinProtocol(conf);
  // Samba 4.11 and later default to SMB2_02, so no setting means no SMBv1.
  if (min === undefined) return pass('server min protocol not set (Samba 4.11+ default SMB2_02)');
  return SMB1.has(min) ? fail(`server min protocol = ${min} accepts SMBv1`) : pass(`server min protocol = ${min}`);
}
