// The Windows Security log through Get-WinEvent after a saved record id: 4625, 4624 (types 3 and 10),
// 4740, 4720, 4732/4728/4756 and 1102, printed by PowerShell as JSON with our own keys (the event's XML
// data names and SIDs, never its localized message), so a Vietnamese Windows reads like an English one.
import { execFile } from 'node:child_process';
import type { AuthEvent } from './events.ts';

export const WINDOWS_EVENT_IDS = [4625, 4624, 4740, 4720, 4732, 4728, 4756, 1102] as const;

/** The script: events after CANHGAC_AFTER (or within CANHGAC_SINCE_MS on the first run), oldest first, at most CANHGAC_MAX. */
export const WINDOWS_SCRIPT = String.raw`
$ErrorActionPreference = 'Stop'
$after = [long]$env:CANHGAC_AFTER
$max = [int]$env:CANHGAC_MAX
$ids = '(' + ((${WINDOWS_EVENT_IDS.join(',')}) | ForEach-Object { "EventID=$_" }) -join ' or ' + ')'
if ($after -gt 0) { $cond = "EventRecordID > $after" } else { $cond = "TimeCreated[timediff(@SystemTime) <= $([long]$env:CANHGAC_SINCE_MS)]" }
$oldest = $null
try { $oldest = (Get-WinEvent -LogName Security -MaxEvents 1 -Oldest).RecordId } catch { }
$events = @()
try { $events = @(Get-WinEvent -LogName Security -FilterXPath "*[System[$ids and $cond]]" -Oldest -MaxEvents $max) }
catch { if ($_.FullyQualifiedErrorId -notlike 'NoMatchingEventsFound*') { throw } }
$out = foreach ($e in $events) {
  $x = [xml]$e.ToXml()
  $data = @{}
  if ($x.Event.EventData) { foreach ($d in $x.Event.EventData.Data) { if ($d.Name) { $data[$d.Name] = [string]$d.'#text' } } }
  if ($x.Event.UserData) { foreach ($n in $x.Event.UserData.FirstChild.ChildNodes) { $data[$n.LocalName] = [string]$n.InnerText } }
  [pscustomobject]@{ record = [long]$e.RecordId; id = [int]$e.Id; time = $e.TimeCreated.ToUniversalTime().ToString('o'); data = $data; message = [string](($e.Message -split "\r?\n")[0]) }
}
ConvertTo-Json -InputObject ([pscustomobject]@{ oldest = $oldest; events = @($out) }) -Depth 4 -Compress
`;

export interface WindowsRecord {
  record: number;
  id: number;
  time: string;
  data: Record<string, string>;
  message?: string;
}

export interface WindowsBatch {
  oldest?: number;
  records: WindowsRecord[];
}

/** PowerShell's JSON as it comes: maybe a BOM, `null` for an empty log, an object for a single event. */
export function parseWindowsOutput(text: string): WindowsBatch {
  const clean = text.replace(/^\uFEFF/, '').trim();
  if (clean === '' || clean === 'null') return { records: [] };
  const o = JSON.parse(clean) as { oldest?: unknown; events?: unknown };
  const list = Array.isArray(o.events) ? o.events : o.events ? [o.events] : [];
  const records: WindowsRecord[] = [];
  for (const r of list as Record<string, unknown>[]) {
    const record = Number(r.record);
    const id = Number(r.id);
    if (!Number.isInteger(record) || !Number.isInteger(id) || typeof r.time !== 'string') continue;
    const data: Record<string, string> = {};
    if (r.data && typeof r.data === 'object') for (const [k, v] of Object.entries(r.data)) if (typeof v === 'string') data[k] = v;
    records.push({ record, id, time: r.time, data, message: typeof r.message === 'string' ? r.message : undefined });
  }
  return { oldest: typeof o.oldest === 'number' ? o.oldest : undefined, records };
}

/** ISO time, or the `/Date(ms)/` Windows PowerShell 5.1 writes for a DateTime object. */
function timeOf(s: string): number {
  const m = /^\/Date\((-?\d{1,15})\)\/$/.exec(s);
  return m ? Number(m[1]) : Date.parse(s);
}

const present = (v: string | undefined): string | undefined => (v === undefined || v === '' || v === '-' ? undefined : v);

/** Administrators (S-1-5-32-544) and the domain's Domain, Schema and Enterprise Admins (RID 512, 518, 519). */
export function isAdminGroupSid(sid: string | undefined): boolean {
  if (!sid) return false;
  if (sid === 'S-1-5-32-544') return true;
  return /^S-1-5-21-\d+-\d+-\d+-(512|518|519)$/.test(sid);
}

/** `CN=Nguyễn Văn A,OU=...` → `Nguyễn Văn A`; anything else as it is. */
function memberName(dn: string | undefined, sid: string | undefined): string | undefined {
  const name = present(dn);
  if (!name) return present(sid);
  if (!name.startsWith('CN=')) return name;
  const end = name.search(/(?<!\\),/);
  return end < 0 ? name.slice(3) : name.slice(3, end);
}

const logonService = (type: string | undefined) => (type === '10' ? 'rdp' : 'windows_logon');
const who = (d: Record<string, string>) => {
  const user = present(d.SubjectUserName);
  const domain = present(d.SubjectDomainName);
  return user ? (domain ? `${domain}\\${user}` : user) : undefined;
};

/** One Security log record as an event (undefined for those the check does not count: machine accounts, other logon types). */
export function windowsEvent(r: WindowsRecord): AuthEvent | undefined {
  const time = timeOf(r.time);
  if (!Number.isFinite(time)) return undefined;
  const d = r.data;
  const user = present(d.TargetUserName);
  switch (r.id) {
    case 4625: {
      const e: AuthEvent = { time, kind: 'failure', service: logonService(d.LogonType), detail: `logon type ${d.LogonType ?? '?'}, status ${d.Status ?? '?'}/${d.SubStatus ?? '?'}` };
      const ip = present(d.IpAddress);
      if (ip) e.source = ip;
      if (user) e.user = user;
      return e;
    }
    case 4624: {
      if (d.LogonType !== '3' && d.LogonType !== '10') return undefined;
      if (!user || user.endsWith('$') || user === 'ANONYMOUS LOGON') return undefined;
      const e: AuthEvent = { time, kind: 'success', service: logonService(d.LogonType), user, detail: `logon type ${d.LogonType}` };
      const ip = present(d.IpAddress);
      if (ip) e.source = ip;
      return e;
    }
    case 4740:
      return { time, kind: 'lockout', service: 'windows_logon', user, source: present(d.TargetDomainName), detail: 'account locked out' };
    case 4720:
      return { time, kind: 'user_created', service: 'windows', user, source: who(d) ?? 'local', detail: 'account created' };
    case 4728:
    case 4732:
    case 4756:
      if (!isAdminGroupSid(present(d.TargetSid))) return undefined;
      return { time, kind: 'admin_grant', service: 'windows', user: memberName(d.MemberName, d.MemberSid), source: who(d) ?? 'local', detail: `added to ${d.TargetDomainName ? `${d.TargetDomainName}\\` : ''}${d.TargetUserName ?? d.TargetSid}` };
    case 1102:
      return { time, kind: 'log_cleared', service: 'windows', source: who(d) ?? 'local', user: present(d.SubjectUserName), detail: 'Security log cleared' };
    default:
      return undefined;
  }
}

/** Runs the script with Windows PowerShell 5.1; resolves to its stdout. */
export function runWindowsScript(env: { after: number; max: number; sinceMs: number }, timeoutMs: number): Promise<string> {
  const encoded = Buffer.from(WINDOWS_SCRIPT, 'utf16le').toString('base64');
  return new Promise((resolve, reject) => {
    execFile(
      'powershell.exe',
      ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', encoded],
      { env: { ...process.env, CANHGAC_AFTER: String(env.after), CANHGAC_MAX: String(env.max), CANHGAC_SINCE_MS: String(env.sinceMs) }, timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024, windowsHide: true },
      (err, stdout, stderr) => {
        if (err) reject(new Error(String(stderr).trim().split('\n')[0] || err.message));
        else resolve(String(stdout));
      },
    );
  });
}
