<#
.SYNOPSIS
    The main job on the bundled example: import the module, read examples/gitea/kompoxops.yml, validate the app and
    show the Kubernetes objects it becomes; then deploy it to the built-in cluster simulator and take it down again.
.DESCRIPTION
    A fresh machine has no cluster, so the deploy half runs against the Kubernetes API test server of Kompox.Testing,
    started in this process on 127.0.0.1: a simulator that answers as kube-apiserver does and reports a Ready Pod
    after each rollout, but runs no container. The example's kompoxops.yml is copied to a temporary directory and
    pointed at the simulator's kubeconfig, with the k3s disks under that directory; everything is removed at the end.
    With a real cluster, follow the README's tour instead.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    # Kompox.Testing.dll with its dependencies beside it (build.ps1's Start task publishes it).
    [Parameter(Mandatory)] [string] $TestingAssemblyPath
)

$ErrorActionPreference = 'Stop'
# Colour codes belong on a terminal only: PowerShell colours table headers, warnings and errors even into a file or pipe.
if ([Console]::IsOutputRedirected) { $PSStyle.OutputRendering = 'PlainText' }
Import-Module $ModulePath
$config = Join-Path $PSScriptRoot 'gitea/kompoxops.yml'

function Write-Step([string] $Text) { Write-Host $Text -ForegroundColor Cyan }

Write-Step "Import-KompoxConfig $config"
$resources = Import-KompoxConfig -Path $config
$resources | Format-Table -Wrap | Out-Host

Write-Step 'Test-KompoxApp'
$result = $resources | Test-KompoxApp
$result | Format-Table -Wrap | Out-Host
foreach ($warning in $result.Warnings) { Write-Host "warning: $warning" -ForegroundColor Yellow }
$result.Objects | Format-Table | Out-Host

if (-not $result.IsValid) { throw "the example app is not valid: $($result.Errors -join '; ')" }
$app = $result.App
Write-Host "App $($app.Id) is valid; its default host is https://$($app.Name).$($app.Cluster.AppDomain)" -ForegroundColor Green
Write-Host "Its manifest: Import-KompoxConfig $config | ConvertTo-KompoxManifest" -ForegroundColor Green

# --- Deploy, on the simulator -------------------------------------------------------------------------------------

Import-Module (Join-Path $PSScriptRoot '../tests/Kompox.Testing/KubeApiServer.psm1')

$work = (New-Item -ItemType Directory (Join-Path ([System.IO.Path]::GetTempPath()) "kompox-start-$PID")).FullName
$server = $null
try {
    $server = Start-KompoxKubeApiServer -AssemblyPath $TestingAssemblyPath
    $serverUrl = $server.BaseUri.GetLeftPart([System.UriPartial]::Authority)
    $kubeconfig = $server.WriteKubeconfig((Join-Path $work 'admin.kubeconfig'))
    $dataRoot = (New-Item -ItemType Directory (Join-Path $work 'k3s')).FullName
    $app = (New-Item -ItemType Directory (Join-Path $work 'gitea')).FullName
    Copy-Item (Join-Path $PSScriptRoot 'gitea/*') $app
    $deployConfig = Join-Path $app 'kompoxops.yml'
    # The simulator has one node, on which the disk goes: no K3S_NODE_NAME.
    (Get-Content $config -Raw).
        Replace('kubeconfig: ~/.kube/config', "kubeconfig: '$kubeconfig'").
        Replace('context: lab', 'context: kompox-test').
        Replace('K3S_DATA_ROOT: /var/lib/kompox', "K3S_DATA_ROOT: '$dataRoot'").
        Replace('K3S_NODE_NAME: lab-node1', '') | Set-Content $deployConfig

    Write-Host ''
    Write-Host "No cluster here: deploying to Kompox's BUILT-IN CLUSTER SIMULATOR at $serverUrl" -ForegroundColor Yellow
    Write-Host '(the Kubernetes API test server of Kompox.Testing, in this process: it answers as kube-apiserver does and' -ForegroundColor Yellow
    Write-Host " reports a Ready Pod after each rollout, but runs no container). Config: $deployConfig" -ForegroundColor Yellow
    Write-Host ''

    Write-Step 'Import-KompoxConfig | Initialize-KompoxCluster   # the shared Traefik ingress'
    Import-KompoxConfig $deployConfig | Initialize-KompoxCluster -Confirm:$false | Format-Table | Out-Host

    Write-Step 'Import-KompoxConfig | New-KompoxApp   # creates the first disk, applies, waits for the rollout'
    $deployed = Import-KompoxConfig $deployConfig | New-KompoxApp -Confirm:$false -WarningAction SilentlyContinue
    $deployed | Format-Table -Wrap | Out-Host
    $diskId = $deployed.CurrentDiskId

    Write-Step 'Get-KompoxApp'
    $status = Get-KompoxApp -Path $deployConfig
    $status | Format-List | Out-Host

    # The simulator runs no container, so nothing would write a log: give each container two lines, as it would.
    foreach ($container in $status.Containers) {
        $server.AppendLog($status.Namespace, $status.PodName, $container.Name, "[simulator] $($container.Name) ($($container.Image)) started", $null)
        $server.AppendLog($status.Namespace, $status.PodName, $container.Name, "[simulator] $($container.Name) is ready", $null)
    }
    Write-Step 'Get-KompoxAppLog -Tail 5   # (the simulator wrote these lines for the containers it does not run)'
    Get-KompoxAppLog -Path $deployConfig -Tail 5 | Format-Table Timestamp, Service, Message -AutoSize -Wrap | Out-Host

    $credential = Join-Path $work 'gitea.kubeconfig'
    Write-Step "Get-KompoxAppCredential -OutFile $credential   # namespace-scoped, read-only, 1 hour"
    $written = Get-KompoxAppCredential -Path $deployConfig -OutFile $credential -Confirm:$false
    $written | Format-Table -Wrap | Out-Host
    if (Get-Command kubectl -CommandType Application -ErrorAction Ignore) {
        Write-Step "kubectl get pods --kubeconfig $credential"
        # kubectl keeps its discovery cache under HOME: give it one in the temporary directory.
        $savedHome = $env:HOME
        $env:HOME = $work
        try { & kubectl get pods "--kubeconfig=$credential" 2>&1 | Out-Host }
        finally { $env:HOME = $savedHome }
        if ($LASTEXITCODE -ne 0) { throw "kubectl get pods with the app's credential failed (exit code $LASTEXITCODE)" }
        Write-Host ''
    }
    else {
        Write-Host 'kubectl is not on PATH: skipping "kubectl get pods" with the credential' -ForegroundColor Yellow
    }

    Write-Step 'Remove-KompoxApp -Confirm:$false   # deletes the app''s objects, keeps its disk and namespace'
    $removed = Remove-KompoxApp -Path $deployConfig -Confirm:$false -PassThru
    $removed | Out-Host
    $removed.Deleted | Group-Object { "$_".Split(' ')[0] } -NoElement | Format-Table @{ Name = 'Deleted kind'; Expression = 'Name' }, Count -AutoSize | Out-Host

    Write-Step 'New-KompoxApp   # again: back on the same disk'
    $again = New-KompoxApp -Path $deployConfig -Confirm:$false -WarningAction SilentlyContinue
    $again | Format-Table -Wrap | Out-Host
    if ($again.CurrentDiskId -ne $diskId) { throw "the app came back on disk $($again.CurrentDiskId), not on its disk $diskId" }
    Write-Host "Same disk as the first deploy: $diskId" -ForegroundColor Green
    Write-Host 'That was the simulator. On a real cluster: see the README''s tour.' -ForegroundColor Green
}
finally {
    if ($server) { $server.DisposeAsync().AsTask().GetAwaiter().GetResult() | Out-Null }
    Remove-Item $work -Recurse -Force -ErrorAction Ignore
}
