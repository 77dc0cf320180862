<#
.SYNOPSIS
    Copies the built module into the user's module path, so that `Import-Module Kompox` finds it by name.
.DESCRIPTION
    The target is <first entry of $env:PSModulePath under the user's home>/Kompox/<version>/, the layout
    Install-Module uses. A previous install of the same version is replaced; other versions are kept.
    Runs in its own pwsh (started by build.ps1), so no session that has the module loaded is affected.
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    # The built module directory (out/Kompox), holding Kompox.psd1.
    [Parameter(Mandatory)] [string] $ModulePath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$manifest = Join-Path $ModulePath 'Kompox.psd1'
if (-not (Test-Path -LiteralPath $manifest)) { throw "$ModulePath holds no Kompox.psd1; run ./build.ps1 -Task Build first" }
$version = (Import-PowerShellDataFile -LiteralPath $manifest).ModuleVersion

$home_ = [System.IO.Path]::TrimEndingDirectorySeparator([System.IO.Path]::GetFullPath($HOME))
$userPath = $env:PSModulePath -split [System.IO.Path]::PathSeparator | Where-Object { $_ } | Where-Object {
    $full = [System.IO.Path]::GetFullPath($_)
    $full.StartsWith($home_ + [System.IO.Path]::DirectorySeparatorChar, [System.StringComparison]::OrdinalIgnoreCase)
} | Select-Object -First 1
if (-not $userPath) { throw "No entry of `$env:PSModulePath is under your home directory ($home_); add one (e.g. $(Join-Path $home_ '.local/share/powershell/Modules')) and run again" }

$target = Join-Path $userPath "Kompox/$version"
if ($PSCmdlet.ShouldProcess($target, "Install Kompox $version")) {
    if (Test-Path -LiteralPath $target) { Remove-Item -LiteralPath $target -Recurse -Force }
    $null = New-Item -ItemType Directory -Force $target
    Copy-Item -Path (Join-Path $ModulePath '*') -Destination $target -Recurse
    Write-Host "Installed Kompox $version in $target; load it with: Import-Module Kompox"
}
