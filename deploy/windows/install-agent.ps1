<#
.SYNOPSIS
  Installs the Canh Gác agent as the Windows service "CanhGacAgent" from the offline bundle.

.DESCRIPTION
  Run in an elevated PowerShell from the unpacked bundle folder, which holds:
    canhgac-agent.exe          the agent (Node single executable, built as in deploy/docs/operations.md)
    oui.tsv.br                 vendor table for LAN discovery
    agent.yaml                 sample configuration
    CanhGacAgent.exe           WinSW 2.x service wrapper (the agent itself is not a service program)
    CanhGacAgent.xml           the wrapper's settings (next to it, same base name)
    SHA256SUMS                 checksums of the files above
  Installs to C:\Program Files\CanhGac; the one config file is C:\ProgramData\CanhGac\agent.yaml,
  the token C:\ProgramData\CanhGac\token, logs C:\ProgramData\CanhGac\logs.
  No internet access is needed.

.EXAMPLE
  .\install-agent.ps1 -Collector https://collector.example.vn:8443 -Code ABCD-EFGH-JKLM-NPQR -Ca .\collector-ca.pem
.EXAMPLE
  .\install-agent.ps1            # upgrade in place, keeping config and token
.EXAMPLE
  .\install-agent.ps1 -Uninstall # remove the service and program (config, token and outbox stay)
#>
[CmdletBinding()]
param(
  [string]$Collector,
  [string]$Code,
  [string]$Ca,
  # The service runs as LocalService; the security check reads some settings only an administrator can.
  [switch]$RunAsSystem,
  [switch]$Uninstall
)

$ErrorActionPreference = 'Stop'
$Here = Split-Path -Parent $MyInvocation.MyCommand.Path
$ProgramDir = Join-Path $env:ProgramFiles 'CanhGac'
$DataDir = Join-Path $env:ProgramData 'CanhGac'
$Config = Join-Path $DataDir 'agent.yaml'
$Exe = Join-Path $ProgramDir 'canhgac-agent.exe'
$Wrapper = Join-Path $ProgramDir 'CanhGacAgent.exe'
$ServiceName = 'CanhGacAgent'

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
  Write-Error 'Run this script in PowerShell opened with "Run as administrator".'
  exit 2
}

if ($Uninstall) {
  if (Get-Service $ServiceName -ErrorAction SilentlyContinue) {
    & $Wrapper stop | Out-Null
    & $Wrapper uninstall | Out-Null
  }
  Remove-Item -Recurse -Force $ProgramDir -ErrorAction SilentlyContinue
  Write-Host "Removed the service and $ProgramDir. Config, token and outbox remain in $DataDir."
  exit 0
}

# The bundle must be intact before anything is touched.
foreach ($line in Get-Content (Join-Path $Here 'SHA256SUMS')) {
  $expected, $name = $line -split '\s+', 2
  $actual = (Get-FileHash -Algorithm SHA256 (Join-Path $Here $name)).Hash.ToLower()
  if ($actual -ne $expected) { Write-Error "The bundle is damaged: $name does not match SHA256SUMS."; exit 1 }
}

$existing = Get-Service $ServiceName -ErrorAction SilentlyContinue
if ($existing -and $existing.Status -eq 'Running') { Stop-Service $ServiceName }

New-Item -ItemType Directory -Force $ProgramDir, $DataDir, (Join-Path $DataDir 'logs') | Out-Null
foreach ($f in 'canhgac-agent.exe', 'oui.tsv.br', 'CanhGacAgent.exe', 'CanhGacAgent.xml', 'huong-dan-cai-dat.md') {
  Copy-Item -Force (Join-Path $Here $f) $ProgramDir
}

if (-not (Test-Path $Config)) {
  # The sample names Linux paths; the Windows ones sit in the same comments.
  (Get-Content -Raw (Join-Path $Here 'agent.yaml')) `
    -replace '/var/lib/canhgac/token', 'C:\ProgramData\CanhGac\token' `
    -replace '/etc/canhgac/collector-ca.pem', 'C:\ProgramData\CanhGac\collector-ca.pem' |
    Set-Content -Encoding UTF8 $Config
  Write-Host "Config written: $Config"
} else {
  Write-Host "Config kept: $Config"
}
if ($Collector) { (Get-Content -Raw $Config) -replace '(?m)^  url: .*$', "  url: $Collector" | Set-Content -Encoding UTF8 $Config }
if ($Ca) {
  Copy-Item -Force $Ca (Join-Path $DataDir 'collector-ca.pem')
  (Get-Content -Raw $Config) -replace '(?m)^  # ca: .*$', '  ca: C:\ProgramData\CanhGac\collector-ca.pem' | Set-Content -Encoding UTF8 $Config
}

# Only administrators, SYSTEM and the service account may read the data folder (it holds the token).
$account = if ($RunAsSystem) { 'NT AUTHORITY\SYSTEM' } else { 'NT AUTHORITY\LocalService' }
icacls $DataDir /inheritance:r /grant:r 'BUILTIN\Administrators:(OI)(CI)F' 'NT AUTHORITY\SYSTEM:(OI)(CI)F' "${account}:(OI)(CI)M" | Out-Null

& $Exe check-config --config $Config
if ($LASTEXITCODE -ne 0) { Write-Error 'Fix the configuration above, then run this script again.'; exit 2 }

if ($Code) {
  & $Exe enroll --config $Config --code $Code
  if ($LASTEXITCODE -ne 0) { Write-Error 'Enrolment failed (see the message above).'; exit 1 }
}

$xml = Join-Path $ProgramDir 'CanhGacAgent.xml'
(Get-Content -Raw $xml) -replace '<username>[^<]*</username>', "<username>$account</username>" | Set-Content -Encoding UTF8 $xml
if (-not $existing) { & $Wrapper install | Out-Null }
Set-Service $ServiceName -StartupType Automatic
Start-Service $ServiceName
Get-Service $ServiceName | Format-Table -AutoSize Name, Status, StartType
Write-Host "Logs: $(Join-Path $DataDir 'logs')"
