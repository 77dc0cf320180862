<#
.SYNOPSIS
    The main job on the bundled example: import the module, read examples/gitea/kompoxops.yml, validate the app and
    show the Kubernetes objects it becomes.
#>
[CmdletBinding()]
param([Parameter(Mandatory)] [string] $ModulePath)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$config = Join-Path $PSScriptRoot 'gitea/kompoxops.yml'

Write-Host "Import-KompoxConfig $config" -ForegroundColor Cyan
$resources = Import-KompoxConfig -Path $config
$resources | Format-Table -Wrap | Out-Host

Write-Host 'Test-KompoxApp' -ForegroundColor Cyan
$result = $resources | Test-KompoxApp
$result | Format-Table -Wrap | Out-Host
foreach ($warning in $result.Warnings) { Write-Host "warning: $warning" -ForegroundColor Yellow }
$result.Objects | Format-Table | Out-Host

if (-not $result.IsValid) { throw "the example app is not valid: $($result.Errors -join '; ')" }
$app = $result.App
Write-Host "App $($app.Id) is valid; its default host is https://$($app.Name).$($app.Cluster.AppDomain)" -ForegroundColor Green
Write-Host "Its manifest: Import-KompoxConfig $config | ConvertTo-KompoxManifest" -ForegroundColor Green
