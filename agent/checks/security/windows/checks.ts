// The Windows security checks (firewall, Defender, updates, SMBv1, RDP, guest, administrators, ...),
// each judged from the facts one PowerShell script gathered.
import type { HostEnv } from '../env.ts';
import { daysBetween, error, fail, notApplicable, pass, type Finding, type HostCheck, type Thresholds } from '../finding.ts';
import { judgeListeners, type Listener } from '../sockets.ts';
import { windowsEol } from './eol.ts';
import { asList, parseWindowsDate, psBool, windowsFacts, type WindowsFacts } from './facts.ts';

type FactCheck = (facts: WindowsFacts, limits: Thresholds, now: Date) => Finding;

/** A section the script could not read is an error with the script's own reason (often localised). */
function section(facts: WindowsFacts, name: string): unknown {
  if (facts[name] !== undefined && facts[name] !== null) return facts[name];
  const why = facts.errors?.[name];
  throw new Error(why ? `${name}: ${why}` : `${name}: not reported by the facts script`);
}

export const firewallFacts: FactCheck = (facts) => {
  const profiles = asList(section(facts, 'firewall'));
  if (profiles.length === 0) return error('no firewall profile reported');
  const off = profiles.filter((p) => psBool(p.enabled) !== true).map((p) => String(p.name));
  if (off.length > 0) return fail(`firewall off for profile(s): ${off.join(', ')}`);
  return pass(`firewall on for ${profiles.map((p) => String(p.name)).join(', ')}`);
};

/** Security Center productState: byte 2 is the scanner state (0x10/0x11 on), byte 3 the signatures (0x00 up to date). */
export function decodeProductState(state: number): { on: boolean; upToDate: boolean } {
  const scanner = (state >> 8) & 0xff;
  return { on: scanner === 0x10 || scanner === 0x11, upToDate: (state & 0xff) === 0 };
}

export const antivirusFacts: FactCheck = (facts, limits, now) => {
  const d = facts.defender as Record<string, unknown> | undefined;
  const notes: string[] = [];
  if (d && psBool(d.AMServiceEnabled) !== false && psBool(d.AntivirusEnabled) !== false) {
    const updated = parseWindowsDate(d.AntivirusSignatureLastUpdated, facts.culture);
    const age = updated ? daysBetween(updated, now) : typeof d.AntivirusSignatureAge === 'number' ? d.AntivirusSignatureAge : undefined;
    const rtp = psBool(d.RealTimeProtectionEnabled);
    if (rtp === true && age !== undefined && age <= limits.maxSignatureAgeDays) return pass(`Microsoft Defender real-time protection on, signatures ${age} day(s) old`);
    if (rtp !== true) notes.push('Microsoft Defender real-time protection off');
    else notes.push(age === undefined ? 'Microsoft Defender signature date unknown' : `Microsoft Defender signatures ${age} day(s) old (limit ${limits.maxSignatureAgeDays})`);
  }
  // Another antivirus registered with Security Center (workstations only) replaces Defender.
  for (const p of asList(facts.antivirusProducts)) {
    const name = String(p.name ?? '?');
    if (/defender/i.test(name) && d) continue;
    const s = decodeProductState(Number(p.productState));
    if (s.on && s.upToDate) return pass(`${name}: real-time protection on, signatures up to date (Security Center)`);
    notes.push(`${name}: ${s.on ? 'signatures out of date' : 'real-time protection off'}`);
  }
  if (notes.length > 0) return fail(notes.join('; '));
  const why = [facts.errors?.defender, facts.errors?.antivirusProducts].filter(Boolean).join('; ');
  return why ? error(`no antivirus status readable: ${why}`) : fail('no antivirus found');
};

export const updatesFacts: FactCheck = (facts, limits, now) => {
  let latest: Date | undefined;
  let source = '';
  for (const h of asList(facts.updateHistory)) {
    // Operation 1 is an install; result 2 succeeded, 3 succeeded with errors.
    if (Number(h.operation) !== 1 || ![2, 3].includes(Number(h.resultCode))) continue;
    const d = parseWindowsDate(h.date, facts.culture);
    if (d && (!latest || d > latest)) [latest, source] = [d, String(h.title ?? 'update')];
  }
  if (!latest) {
    for (const h of asList(facts.hotfixes)) {
      const d = parseWindowsDate(h.InstalledOn, facts.culture);
      if (d && (!latest || d > latest)) [latest, source] = [d, String(h.HotFixID ?? 'hotfix')];
    }
  }
  if (!latest) {
    const why = [facts.errors?.updateHistory, facts.errors?.hotfixes].filter(Boolean).join('; ');
    return why && facts.updateHistory === undefined && facts.hotfixes === undefined ? error(`cannot read the update history: ${why}`) : fail('no successful update install recorded');
  }
  const age = daysBetween(latest, now);
  const text = `last successful install ${latest.toISOString().slice(0, 10)} (${age} days ago): ${source.slice(0, 120)}`;
  return age <= limits.maxUpdateAgeDays ? pass(text) : fail(`${text}; limit ${limits.maxUpdateAgeDays} days`);
};

export const smb1Facts: FactCheck = (facts) => {
  const smb = section(facts, 'smb') as Record<string, unknown>;
  const on = psBool(smb.EnableSMB1Protocol);
  if (on === undefined) return error(`unreadable EnableSMB1Protocol ${JSON.stringify(smb.EnableSMB1Protocol)}`);
  return on ? fail('SMB server accepts SMBv1 (EnableSMB1Protocol true)') : pass('SMBv1 disabled on the SMB server');
};

export const rdpFacts: FactCheck = (facts) => {
  const rdp = section(facts, 'rdp') as Record<string, unknown>;
  if (Number(rdp.fDenyTSConnections) === 1) return pass('Remote Desktop off');
  return Number(rdp.userAuthentication) === 1 ? pass('Remote Desktop on, with Network Level Authentication') : fail('Remote Desktop on without Network Level Authentication');
};

export const guestFacts: FactCheck = (facts) => {
  if (facts.guest === undefined && facts.errors?.guest) throw new Error(`guest: ${facts.errors.guest}`);
  const g = asList(facts.guest)[0];
  if (!g) return pass('no built-in guest account (SID -501)');
  const enabled = psBool(g.Enabled);
  return enabled === false ? pass(`guest account "${String(g.Name)}" disabled`) : fail(`guest account "${String(g.Name)}" enabled`);
};

export const adminsFacts: FactCheck = (facts, limits) => {
  const members = asList(section(facts, 'admins'));
  const names = members.map((m) => String(m.name));
  const text = `${names.length} member(s) of Administrators: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''}`;
  return names.length <= limits.maxLocalAdmins ? pass(text) : fail(`${text}; limit ${limits.maxLocalAdmins}`);
};

export const passwordPolicyFacts: FactCheck = (facts, limits) => {
  const p = section(facts, 'passwordPolicy') as Record<string, unknown>;
  const min = Number(p.MinimumPasswordLength);
  const lockout = Number(p.LockoutBadCount);
  if (!Number.isFinite(min) || !Number.isFinite(lockout)) return error('secedit export lacks MinimumPasswordLength or LockoutBadCount');
  const problems: string[] = [];
  if (min < limits.minPasswordLength) problems.push(`minimum password length ${min} (at least ${limits.minPasswordLength})`);
  if (lockout === 0) problems.push('no account lockout (LockoutBadCount 0)');
  else if (lockout > limits.maxLockoutThreshold) problems.push(`lockout after ${lockout} bad attempts (at most ${limits.maxLockoutThreshold})`);
  return problems.length ? fail(problems.join('; ')) : pass(`minimum length ${min}, lockout after ${lockout} bad attempts`);
};

export const eolFacts: FactCheck = (facts, _limits, now) => {
  const os = section(facts, 'os') as Record<string, unknown>;
  const build = Number(os.build);
  const editionId = String(os.editionId ?? '');
  const caption = String(os.caption ?? '').trim();
  const e = windowsEol({ build, editionId, productType: Number(os.productType ?? 1) });
  if (!e) return notApplicable(`no end-of-life date known for build ${build} (${caption})`);
  if (!e.eol) return notApplicable(`no end-of-life date known for ${e.name} edition ${editionId}`);
  const today = now.toISOString().slice(0, 10);
  const text = `${caption || e.name} (build ${build}, ${editionId}, ${e.family})`;
  return today > e.eol ? fail(`${text}: security updates ended on ${e.eol}`) : pass(`${text}: supported until ${e.eol}`);
};

export const listenersFacts: FactCheck = (facts) => {
  const list: Listener[] = asList(section(facts, 'listeners')).map((l) => ({
    protocol: String(l.protocol) === 'udp' ? 'udp' : 'tcp',
    address: String(l.address),
    port: Number(l.port),
  }));
  return judgeListeners(list);
};

/** Turns a facts judgement into a host check that reads the facts once per cycle. */
export function fromFacts(judge: FactCheck): HostCheck {
  return async (env: HostEnv, limits: Thresholds) => judge(await windowsFacts(env), limits, env.now());
}
