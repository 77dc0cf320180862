<#
.SYNOPSIS
    Benchmarks, printed as ratios against a baseline measured in the same run (never asserted).
.DESCRIPTION
    Cold start: a new pwsh that imports Kompox and reads a config (target under 1.3x), and one that tests the
    example app (compose loading and conversion included), each against a new pwsh that only exits.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $Runs = 7
)

$ErrorActionPreference = 'Stop'
$sample = (Resolve-Path (Join-Path $PSScriptRoot '../examples/gitea/kompoxops.yml')).Path

function Measure-Median([string] $Command) {
    $times = foreach ($i in 1..$Runs) {
        (Measure-Command { & dotnet pwsh -NoLogo -NoProfile -NonInteractive -Command $Command | Out-Null }).TotalMilliseconds
    }
    $sorted = $times | Sort-Object
    $sorted[[int][Math]::Floor($sorted.Count / 2)]
}

# One warm-up of each so the first run's disk cache does not count against either side.
$null = Measure-Median 'exit'
$baseline = Measure-Median 'exit'
$cold = Measure-Median "Import-Module '$ModulePath'; Import-KompoxConfig '$sample' | Out-Null"
$coldTest = Measure-Median "Import-Module '$ModulePath'; Test-KompoxApp '$sample' | Out-Null"

'{0,-44} {1,8:N0} ms' -f 'pwsh -c exit (median)', $baseline
'{0,-44} {1,8:N0} ms' -f 'pwsh -c Import-Module; Import-KompoxConfig', $cold
'{0,-44} {1,8:N2}x (target < 1.30x)' -f 'cold Import-KompoxConfig ratio', ($cold / $baseline)
'{0,-44} {1,8:N0} ms' -f 'pwsh -c Import-Module; Test-KompoxApp', $coldTest
'{0,-44} {1,8:N2}x' -f 'cold Test-KompoxApp ratio', ($coldTest / $baseline)
