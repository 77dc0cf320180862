<#
.SYNOPSIS
    The main job: the Kompox service, with the bundled example (examples/gitea) deployed through its REST API from
    PowerShell in client mode, on the built-in cluster simulator; it serves until Ctrl+C.
.DESCRIPTION
    A fresh machine has no cluster, so the Kubernetes API test server of Kompox.Testing is started in this process on
    127.0.0.1: a simulator that answers as kube-apiserver does and reports a Ready Pod after each rollout, but runs no
    container. Start-KompoxService then starts the service (the module's service/Kompox.Service.dll, its own process) on
    a new store in a temporary directory; as its administrator this script registers the simulator as a k3s cluster
    (the content of the simulator's kubeconfig, which the service keeps encrypted), installs its ingress and makes a
    user; as that user it deploys the gitea example and shows it. Then it prints where the service answers, the
    administrator's token, a curl line and a Connect-KompoxService line to try, and serves until Ctrl+C, when the
    service is stopped and the temporary directory removed. With a real cluster, follow the README's tour instead.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    # Kompox.Testing.dll with its dependencies beside it (build.ps1's Start task publishes it).
    [Parameter(Mandatory)] [string] $TestingAssemblyPath,
    # End after showing the deployed app instead of serving until Ctrl+C (for tests).
    [switch] $Once
)

$ErrorActionPreference = 'Stop'
# Colour codes belong on a terminal only: PowerShell colours table headers, warnings and errors even into a file or pipe.
if ([Console]::IsOutputRedirected) { $PSStyle.OutputRendering = 'PlainText' }
Import-Module $ModulePath
Import-Module (Join-Path $PSScriptRoot '../tests/Kompox.Testing/KubeApiServer.psm1')
$PSDefaultParameterValues['*-Kompox*:Confirm'] = $false

function Write-Step([string] $Text) { Write-Host $Text -ForegroundColor Cyan }

$work = (New-Item -ItemType Directory (Join-Path ([System.IO.Path]::GetTempPath()) "kompox-start-$PID")).FullName
$simulator = $null
$service = $null
try {
    $simulator = Start-KompoxKubeApiServer -AssemblyPath $TestingAssemblyPath
    $kubeconfig = $simulator.WriteKubeconfig((Join-Path $work 'simulator.kubeconfig'))
    $dataRoot = (New-Item -ItemType Directory (Join-Path $work 'k3s')).FullName
    Write-Host "No cluster here: the BUILT-IN CLUSTER SIMULATOR answers at $($simulator.BaseUri.GetLeftPart([System.UriPartial]::Authority))" -ForegroundColor Yellow
    Write-Host '(the Kubernetes API test server of Kompox.Testing, in this process: it answers as kube-apiserver does and' -ForegroundColor Yellow
    Write-Host ' reports a Ready Pod after each rollout, but runs no container).' -ForegroundColor Yellow
    Write-Host ''

    Write-Step "Start-KompoxService -DataPath $work/store   # its own process; a new store, so the administrator's token is made"
    $service = Start-KompoxService -DataPath (Join-Path $work 'store')
    $service | Format-List | Out-Host
    $service | Connect-KompoxService | Format-Table | Out-Host

    Write-Step 'New-KompoxProvider; New-KompoxCluster -KubeconfigPath   # the simulator, its kubeconfig''s content stored encrypted'
    $null = New-KompoxProvider -Name sim -Driver k3s
    New-KompoxCluster -Name lab -Provider sim -Domain apps.example.com -KubeconfigPath $kubeconfig -Context kompox-test -Settings @{ K3S_DATA_ROOT = $dataRoot } | Format-Table | Out-Host

    Write-Step 'Initialize-KompoxCluster -Name lab   # the shared Traefik ingress, installed by the service'
    Initialize-KompoxCluster -Name lab | Format-Table | Out-Host

    Write-Step 'New-KompoxUser -Name demo; Connect-KompoxService as demo'
    $user = New-KompoxUser -Name demo
    $null = Connect-KompoxService -Uri $service.Uri -Token $user.Token

    $compose = Join-Path $PSScriptRoot 'gitea/compose.yml'
    Write-Step "New-KompoxApp -Name gitea -Cluster lab -ComposePath $compose   # registered for demo, deployed by the service"
    $deployed = New-KompoxApp -Name gitea -Cluster lab -ComposePath $compose -WarningAction SilentlyContinue
    $deployed | Format-Table -Wrap | Out-Host

    # The simulator runs no container, so nothing would write a log: give each container a line, as it would.
    foreach ($container in $deployed.Containers) {
        $simulator.AppendLog($deployed.Namespace, $deployed.PodName, $container.Name, "[simulator] $($container.Name) ($($container.Image)) started", $null)
    }
    Write-Step 'Get-KompoxApp -Name gitea | Get-KompoxAppLog   # through the REST API'
    Get-KompoxApp -Name gitea | Get-KompoxAppLog | Format-Table Timestamp, Service, Message -AutoSize -Wrap | Out-Host

    $uri = $service.Uri.AbsoluteUri
    Write-Host ''
    Write-Host "The Kompox service is running at $uri" -ForegroundColor Green
    Write-Host "  OpenAPI:             $($service.OpenApiUri)" -ForegroundColor Green
    Write-Host "  administrator token: $($service.Token)" -ForegroundColor Green
    Write-Host "  user demo's token:   $($user.Token)" -ForegroundColor Green
    Write-Host "Try:" -ForegroundColor Green
    Write-Host "  curl -H 'Authorization: Bearer $($user.Token)' ${uri}v1/apps"
    Write-Host "  Connect-KompoxService -Uri $uri -Token $($user.Token); Get-KompoxApp"
    if ($Once) { return }

    Write-Host 'Serving until Ctrl+C.' -ForegroundColor Green
    while (Get-Process -Id $service.ProcessId -ErrorAction Ignore) { Start-Sleep -Milliseconds 500 }
    Write-Host "The service (process $($service.ProcessId)) has ended." -ForegroundColor Yellow
}
finally {
    # Also on Ctrl+C: the terminal's SIGINT may have stopped the service already; then there is nothing to stop.
    Disconnect-KompoxService
    if ($service -and (Get-Process -Id $service.ProcessId -ErrorAction Ignore)) { $service | Stop-KompoxService -ErrorAction Continue }
    if ($simulator) { $simulator.DisposeAsync().AsTask().GetAwaiter().GetResult() | Out-Null }
    Remove-Item $work -Recurse -Force -ErrorAction Ignore
}
