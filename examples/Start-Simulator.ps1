<#
.SYNOPSIS
    Starts the built-in cluster simulator on its own, for the README's tour and kubectl, until Ctrl+C.
.DESCRIPTION
    The Kubernetes API test server of Kompox.Testing (the one build.ps1 -Task Start deploys the example to), started
    in this process on 127.0.0.1: it answers as kube-apiserver does and reports a Ready Pod after each rollout, but runs
    no container. Writes into -Directory, replacing what an earlier run wrote there:
      kubeconfig    the admin kubeconfig (context kompox-test), for the module and kubectl
      cluster.yml   a shared cluster file for the simulator: version, service, provider (k3s) and cluster, the disks
                    under k3s/ beside it; New-KompoxConfig -Cluster writes an app config that names it
    Prints the kubeconfig's path and lines to try, then serves until Ctrl+C, and stops the server.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    # Kompox.Testing.dll with its dependencies beside it (build.ps1's Simulator task publishes it).
    [Parameter(Mandatory)] [string] $TestingAssemblyPath,
    [string] $Directory = (Join-Path $PSScriptRoot '../out/simulator')
)

$ErrorActionPreference = 'Stop'
if ([Console]::IsOutputRedirected) { $PSStyle.OutputRendering = 'PlainText' }
Import-Module (Join-Path $PSScriptRoot '../tests/Kompox.Testing/KubeApiServer.psm1')

$Directory = (New-Item -ItemType Directory $Directory -Force).FullName
Remove-Item (Join-Path $Directory '*') -Recurse -Force -ErrorAction Ignore
$dataRoot = (New-Item -ItemType Directory (Join-Path $Directory 'k3s')).FullName
$server = Start-KompoxKubeApiServer -AssemblyPath $TestingAssemblyPath
try {
    $url = $server.BaseUri.GetLeftPart([System.UriPartial]::Authority)
    $kubeconfig = $server.WriteKubeconfig((Join-Path $Directory 'kubeconfig'))
    $clusterFile = Join-Path $Directory 'cluster.yml'
    # The simulator has one node (this machine), on which the disks go: no K3S_NODE_NAME.
    @"
# The cluster simulator started by build.ps1 -Task Simulator: a shared cluster file for the apps you try on it.
version: 1
service:
  name: ops
provider:
  name: k3s1
  driver: k3s
cluster:
  name: sim
  auth:
    type: kubectl
    kubeconfig: '$($kubeconfig.Replace("'", "''"))'
    context: kompox-test
  domain: sim.example.com
  settings:
    K3S_DATA_ROOT: '$($dataRoot.Replace("'", "''"))'
"@ | Set-Content $clusterFile

    $module = (Resolve-Path $ModulePath).Path
    Write-Host "Cluster simulator at $url (no container runs: each rollout reports a Ready Pod)" -ForegroundColor Yellow
    Write-Host "Kubeconfig:   $kubeconfig"
    Write-Host "Cluster file: $clusterFile"
    Write-Host ''
    Write-Host 'Try, in another terminal:' -ForegroundColor Cyan
    Write-Host "  kubectl --kubeconfig '$kubeconfig' get nodes"
    Write-Host "  dotnet pwsh -NoExit -Command `"Import-Module '$module'`""
    Write-Host "  Import-KompoxConfig '$clusterFile' | Initialize-KompoxCluster -Confirm:`$false"
    Write-Host "  New-KompoxConfig -Cluster '$clusterFile' -Path ./myapp/kompoxops.yml   # beside myapp's compose file"
    Write-Host '  New-KompoxApp ./myapp/kompoxops.yml -Confirm:$false'
    Write-Host "  Get-KompoxApp -Cluster '$clusterFile'"
    Write-Host ''
    Write-Host 'Serving until Ctrl+C.' -ForegroundColor Cyan
    while ($true) { Start-Sleep -Seconds 1 }
}
finally {
    $server.DisposeAsync().AsTask().GetAwaiter().GetResult() | Out-Null
    Write-Host 'Cluster simulator stopped.'
}
