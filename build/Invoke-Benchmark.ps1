<#
.SYNOPSIS
    Cold-start benchmarks, printed as ratios against baselines measured in the same run (never asserted).
.DESCRIPTION
    Every case is a new pwsh started through its own apphost, as users start it, and cases take turns round by round
    so that a busy machine slows them alike. Baselines: pwsh that only exits (PowerShell's own floor) and a trivial
    binary module that reads a file and writes four objects (the floor of any binary module). Kompox runs with its
    ReadyToRun images and, to show what they are worth, from a copy holding IL only. Last, one process per layout
    reports how many methods each step had to JIT-compile, which is where a cold start's time goes.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $FloorModulePath,
    [int] $Runs = 9
)

$ErrorActionPreference = 'Stop'
$ModulePath = (Resolve-Path $ModulePath).Path
$FloorModulePath = (Resolve-Path $FloorModulePath).Path
$sample = (Resolve-Path (Join-Path $PSScriptRoot '../examples/gitea/kompoxops.yml')).Path
$pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
if (-not (Test-Path $pwsh)) { throw "No pwsh apphost beside this PowerShell ($PSHOME); run the benchmark from the repository's dotnet tool (dotnet pwsh)." }
if (-not $env:DOTNET_ROOT) {
    # The apphost looks for the runtime in the default places only; point it at the one running this script.
    $env:DOTNET_ROOT = (Resolve-Path (Join-Path ([System.Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()) '../../..')).Path
}

# The same module without its ReadyToRun folders: what users of a platform without images get.
$ilOnly = Join-Path ([System.IO.Path]::GetTempPath()) "kompox-bench-il-$PID"
Copy-Item (Split-Path $ModulePath) $ilOnly -Recurse
Get-ChildItem (Join-Path $ilOnly 'Dependencies') -Directory | Remove-Item -Recurse -Force
$ilModule = Join-Path $ilOnly 'Kompox.psd1'

$cases = [ordered]@{
    Bare         = 'exit'
    Floor        = "Import-Module '$FloorModulePath'; Read-FloorFile '$sample' | Out-Null"
    Config       = "Import-Module '$ModulePath'; Import-KompoxConfig '$sample' | Out-Null"
    Test         = "Import-Module '$ModulePath'; Test-KompoxApp '$sample' | Out-Null"
    ConfigIL     = "Import-Module '$ilModule'; Import-KompoxConfig '$sample' | Out-Null"
    TestIL       = "Import-Module '$ilModule'; Test-KompoxApp '$sample' | Out-Null"
}

function Measure-Once([string] $Command) {
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    & $pwsh -NoLogo -NoProfile -NonInteractive -Command $Command | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "pwsh -Command `"$Command`" failed with exit code $LASTEXITCODE" }
    $watch.Elapsed.TotalMilliseconds
}

function Get-Load {
    if (Test-Path /proc/loadavg) { "load average $((Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ') on $([Environment]::ProcessorCount) cores" }
    else { "$([Environment]::ProcessorCount) cores" }
}

try {
    $loadBefore = Get-Load
    $times = @{}
    foreach ($name in $cases.Keys) { $times[$name] = [System.Collections.Generic.List[double]]::new() }
    foreach ($round in 0..$Runs) {
        foreach ($name in $cases.Keys) {
            $ms = Measure-Once $cases[$name]
            if ($round -gt 0) { $times[$name].Add($ms) }   # round 0 fills the disk cache for every case alike
        }
    }
    $median = @{}
    foreach ($name in $cases.Keys) {
        $sorted = @($times[$name] | Sort-Object)
        $median[$name] = $sorted[[int][Math]::Floor($sorted.Count / 2)]
    }

    "pwsh: $pwsh"
    "machine: $loadBefore before, $(Get-Load) after; $Runs rounds, medians"
    ''
    '{0,-52} {1,8:N0} ms' -f 'pwsh -c exit', $median.Bare
    '{0,-52} {1,8:N0} ms' -f 'floor module: import, read a file, write 4 objects', $median.Floor
    '{0,-52} {1,8:N0} ms' -f 'Kompox: import, Import-KompoxConfig', $median.Config
    '{0,-52} {1,8:N0} ms' -f 'Kompox: import, Test-KompoxApp', $median.Test
    '{0,-52} {1,8:N0} ms' -f 'Kompox IL only: import, Import-KompoxConfig', $median.ConfigIL
    '{0,-52} {1,8:N0} ms' -f 'Kompox IL only: import, Test-KompoxApp', $median.TestIL
    ''
    '{0,-52} {1,8:N2}x' -f 'floor module / pwsh -c exit', ($median.Floor / $median.Bare)
    '{0,-52} {1,8:N2}x (goal <= 1.05x)' -f 'Import-KompoxConfig / floor module', ($median.Config / $median.Floor)
    '{0,-52} {1,8:N2}x' -f 'Import-KompoxConfig / pwsh -c exit', ($median.Config / $median.Bare)
    '{0,-52} {1,8:N2}x (goal <= 1.40x)' -f 'Test-KompoxApp / pwsh -c exit', ($median.Test / $median.Bare)
    '{0,-52} {1,8:N2}x' -f 'Import-KompoxConfig, IL only / with ReadyToRun', ($median.ConfigIL / $median.Config)
    '{0,-52} {1,8:N2}x' -f 'Test-KompoxApp, IL only / with ReadyToRun', ($median.TestIL / $median.Test)
    ''

    # JIT work does not depend on how busy the machine is, so it shows where the time goes even on a loaded one.
    $probe = @'
function Step { [System.Runtime.JitInfo]::GetCompiledMethodCount($false); [System.Runtime.JitInfo]::GetCompilationTime($false).TotalMilliseconds }
$s0 = Step; Import-Module 'MODULE'; $s1 = Step
$null = Import-KompoxConfig 'SAMPLE' -WarningAction Ignore; $s2 = Step
$null = Test-KompoxApp 'SAMPLE' -WarningAction Ignore; $s3 = Step
'{0} {1:N0} {2} {3:N0} {4} {5:N0}' -f ($s1[0] - $s0[0]), ($s1[1] - $s0[1]), ($s2[0] - $s1[0]), ($s2[1] - $s1[1]), ($s3[0] - $s2[0]), ($s3[1] - $s2[1])
'@
    'methods JIT-compiled (JIT ms)        Import-Module   first Import-KompoxConfig   first Test-KompoxApp'
    foreach ($layout in @(@{ Name = 'with ReadyToRun'; Path = $ModulePath }, @{ Name = 'IL only'; Path = $ilModule })) {
        $counts = (& $pwsh -NoLogo -NoProfile -NonInteractive -Command $probe.Replace('MODULE', $layout.Path).Replace('SAMPLE', $sample)) -split ' '
        '{0,-36} {1,6} ({2,4}) {3,14} ({4,4}) {5,18} ({6,4})' -f $layout.Name, $counts[0], $counts[1], $counts[2], $counts[3], $counts[4], $counts[5]
    }
}
finally {
    Remove-Item $ilOnly -Recurse -Force -ErrorAction Ignore
}
