<#
.SYNOPSIS
    The main job on the bundled example: import the module, read and validate examples/gitea/kompoxops.yml.
#>
[CmdletBinding()]
param([Parameter(Mandatory)] [string] $ModulePath)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$config = Join-Path $PSScriptRoot 'gitea/kompoxops.yml'

Write-Host "Import-KompoxConfig $config" -ForegroundColor Cyan
$resources = Import-KompoxConfig -Path $config
$resources | Format-Table -Wrap | Out-Host

$app = $resources | Where-Object Kind -eq 'App'
Write-Host "App $($app.Id) is valid; its default host is https://$($app.Name).$($app.Cluster.AppDomain)" -ForegroundColor Green
