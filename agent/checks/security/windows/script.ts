/**
 * The PowerShell (5.1 and 7) script that reads every Windows fact in one process start. It prints
 * one JSON object: keys are ours and locale independent, values are what the cmdlets return, so
 * a Vietnamese Windows and an English one produce the same shape. A section that fails is named in
 * `errors` with the exception text instead of stopping the rest.
 */
export const WINDOWS_FACTS_SCRIPT = String.raw`
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Console]::OutputEncoding = [System.Text.Encoding]::UTF8
$r = [ordered]@{ schema = 1; culture = (Get-Culture).Name; uiCulture = (Get-UICulture).Name; errors = [ordered]@{} }
function Section($name, [scriptblock]$block) {
  try { $r[$name] = & $block } catch { $r.errors[$name] = $_.Exception.Message }
}
Section 'os' {
  $o = Get-CimInstance Win32_OperatingSystem
  $cv = Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
  [ordered]@{ caption = $o.Caption; version = $o.Version; build = [int]$o.BuildNumber; productType = [int]$o.ProductType;
    editionId = $cv.EditionID; displayVersion = $cv.DisplayVersion; installationType = $cv.InstallationType }
}
Section 'firewall' { @(Get-NetFirewallProfile | ForEach-Object { [ordered]@{ name = [string]$_.Name; enabled = $_.Enabled } }) }
Section 'defender' {
  Get-MpComputerStatus | Select-Object AMServiceEnabled, AntivirusEnabled, RealTimeProtectionEnabled, AntivirusSignatureLastUpdated, AntivirusSignatureAge
}
Section 'antivirusProducts' {
  @(Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct | ForEach-Object { [ordered]@{ name = $_.displayName; productState = [int]$_.productState } })
}
Section 'updateHistory' {
  $s = (New-Object -ComObject Microsoft.Update.Session).CreateUpdateSearcher()
  $n = [Math]::Min($s.GetTotalHistoryCount(), 100)
  @($s.QueryHistory(0, $n) | ForEach-Object { [ordered]@{ date = $_.Date.ToUniversalTime().ToString('o'); operation = [int]$_.Operation; resultCode = [int]$_.ResultCode; title = $_.Title } })
}
Section 'hotfixes' { @(Get-HotFix | Select-Object HotFixID, InstalledOn) }
Section 'smb' { Get-SmbServerConfiguration | Select-Object EnableSMB1Protocol }
Section 'rdp' {
  $ts = Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server'
  $tcp = Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp'
  [ordered]@{ fDenyTSConnections = [int]$ts.fDenyTSConnections; userAuthentication = [int]$tcp.UserAuthentication }
}
Section 'guest' { Get-LocalUser | Where-Object { $_.SID.Value -like '*-501' } | Select-Object Name, Enabled }
Section 'admins' {
  try { @(Get-LocalGroupMember -SID 'S-1-5-32-544' | ForEach-Object { [ordered]@{ name = $_.Name; source = [string]$_.PrincipalSource } }) }
  catch {
    # Get-LocalGroupMember throws on orphaned SIDs; the WinNT provider still lists the members.
    $g = (New-Object System.Security.Principal.SecurityIdentifier('S-1-5-32-544')).Translate([System.Security.Principal.NTAccount]).Value.Split('\')[1]
    @(([ADSI]"WinNT://$env:COMPUTERNAME/$g,group").Invoke('Members') | ForEach-Object { [ordered]@{ name = $_.GetType().InvokeMember('Name', 'GetProperty', $null, $_, $null); source = 'WinNT' } })
  }
}
Section 'passwordPolicy' {
  $tmp = [System.IO.Path]::GetTempFileName()
  try {
    secedit /export /cfg $tmp /areas SECURITYPOLICY /quiet | Out-Null
    $p = [ordered]@{}
    foreach ($line in Get-Content $tmp) {
      if ($line -match '^\s*(MinimumPasswordLength|LockoutBadCount|PasswordComplexity|MaximumPasswordAge|LockoutDuration)\s*=\s*(-?\d+)') { $p[$Matches[1]] = [int]$Matches[2] }
    }
    $p
  } finally { Remove-Item $tmp -ErrorAction SilentlyContinue }
}
Section 'listeners' {
  $t = @(Get-NetTCPConnection -State Listen | ForEach-Object { [ordered]@{ protocol = 'tcp'; address = $_.LocalAddress; port = [int]$_.LocalPort } })
  $u = @(Get-NetUDPEndpoint | ForEach-Object { [ordered]@{ protocol = 'udp'; address = $_.LocalAddress; port = [int]$_.LocalPort } })
  $t + $u
}
$r | ConvertTo-Json -Depth 5 -Compress
`;

/** Arguments for powershell.exe: the script as -EncodedCommand (UTF-16LE, base64), so no quoting can break it. */
export function powershellArgs(script = WINDOWS_FACTS_SCRIPT): string[] {
  return ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', Buffer.from(script, 'utf16le').toString('base64')];
}
