<#
.SYNOPSIS
    Runs the Pester tests against the built module and writes the counts to a JSON file for build.ps1.
.DESCRIPTION
    Runs in its own pwsh process (started by build.ps1) so the module's assemblies are never loaded into,
    and locked by, the process that builds them.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $PackagePath,
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ResultPath,
    # Kompox.Testing.dll as the xunit run of this configuration built it (Debug or Release).
    [Parameter(Mandatory)] [string] $TestingAssemblyPath
)

$ErrorActionPreference = 'Stop'
# Progress bars of the cmdlets under test would only clutter the log; tests that check progress read it from a runspace of their own.
$ProgressPreference = 'SilentlyContinue'
Import-Module $PesterPath -MinimumVersion 5.7.1
$env:KOMPOX_TEST_MODULE = (Resolve-Path $ModulePath).Path
$env:KOMPOX_TEST_PACKAGE = (Resolve-Path $PackagePath).Path
$env:KOMPOX_TEST_TESTING_ASSEMBLY = (Resolve-Path $TestingAssemblyPath).Path

$config = New-PesterConfiguration
$config.Run.Path = Join-Path $PSScriptRoot '../tests/Pester'
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Normal'
$config.TestResult.Enabled = $true
$config.TestResult.OutputPath = [System.IO.Path]::ChangeExtension($ResultPath, '.xml')
$result = Invoke-Pester -Configuration $config

[pscustomobject]@{
    Passed = $result.PassedCount
    Failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Error  = [bool]$result.FailedContainersCount
} | ConvertTo-Json | Set-Content $ResultPath

