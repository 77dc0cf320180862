# The cluster Pester tests run against: the Kubernetes API test server of Kompox.Testing, started in this process, or,
# when KOMPOX_TEST_KUBECONFIG is set, the real cluster that kubeconfig (and KOMPOX_TEST_CONTEXT) reaches.

$Root = (Resolve-Path "$PSScriptRoot/../..").Path

Import-Module (Join-Path $Root 'tests/Kompox.Testing/KubeApiServer.psm1')

<#
.SYNOPSIS
    Starts a Kubernetes API test server on 127.0.0.1 (dispose it in AfterAll).
#>
function Start-KompoxTestServer { Start-KompoxKubeApiServer -AssemblyPath $env:KOMPOX_TEST_TESTING_ASSEMBLY }

<#
.SYNOPSIS
    The gitea example copied into a new directory, its kompoxops.yml pointed at a cluster; returns the file's path.
.PARAMETER DataRoot
    K3S_DATA_ROOT; without it the example's own (/var/lib/kompox), for tests that never create a disk.
.PARAMETER NodeName
    K3S_NODE_NAME; without it none, so the disk goes on the cluster's only node.
.PARAMETER AppName
    The app's name instead of the example's (gitea), with its custom host <AppName>.example.org instead of git.example.org.
#>
function New-KompoxTestConfig {
    param(
        [Parameter(Mandatory)] [string] $Directory,
        [Parameter(Mandatory)] [string] $Kubeconfig,
        [string] $Context = 'kompox-test',
        [string] $DataRoot,
        [string] $NodeName,
        [string] $AppName,
        [string] $ClusterName,
        [string] $Name = 'kompoxops.yml'
    )
    $dir = (New-Item -ItemType Directory -Force $Directory).FullName
    Copy-Item (Join-Path $Root 'examples/gitea/*') $dir -Exclude 'kompoxops.yml'
    $text = (Get-Content (Join-Path $Root 'examples/gitea/kompoxops.yml') -Raw).
        Replace('kubeconfig: ~/.kube/config', "kubeconfig: '$Kubeconfig'").
        Replace('context: lab', "context: '$Context'").
        Replace('K3S_NODE_NAME: lab-node1', $(if ($NodeName) { "K3S_NODE_NAME: '$NodeName'" } else { '' }))
    if ($AppName) { $text = $text.Replace('  name: gitea', "  name: $AppName").Replace('http_80: git.example.org', "http_80: $AppName.example.org") }
    # Configs read together must agree on a cluster they share (ClusterConflict): a cluster of its own for one that differs.
    if ($ClusterName) { $text = $text.Replace("cluster:`n  name: lab", "cluster:`n  name: $ClusterName") }
    if ($DataRoot) { $text = $text.Replace('K3S_DATA_ROOT: /var/lib/kompox', "K3S_DATA_ROOT: '$DataRoot'") }
    $path = Join-Path $dir $Name
    Set-Content $path $text
    $path
}

# A copy of an app's directory (examples/gitea unless Source says) in Destination whose cluster is the one the apps of
# the test data define (tests/data/apps/nginx-single): configs read in one invocation must agree on a cluster they share
# (ClusterConflict), and the example's and the bad-compose fixtures' differ from it.
function Copy-KompoxExampleOnDataCluster {
    param([Parameter(Mandatory)] [string] $Destination, [string] $Source = (Join-Path $Root 'examples/gitea'))
    $dir = (New-Item -ItemType Directory -Force $Destination).FullName
    Copy-Item (Join-Path $Source '*') $dir
    $cluster = '(?ms)^cluster:.*?(?=^app:)'
    $shared = [regex]::Match((Get-Content (Join-Path $Root 'tests/data/apps/nginx-single/kompoxops.yml') -Raw), $cluster).Value
    $path = Join-Path $dir 'kompoxops.yml'
    Set-Content $path ([regex]::Replace((Get-Content $path -Raw), $cluster, $shared.Replace('$', '$$')))
    $path
}

# Runs the machine's kubectl: the first argument is the kubeconfig, the second the directory kubectl keeps its discovery
# cache under (HOME), the rest go to kubectl as they are. No declared parameters, so that no kubectl flag (-c, -o, -n)
# is ever taken for one. Returns ExitCode and Output.
function Invoke-Kubectl {
    $kubeconfig, $cacheHome, $arguments = $args
    $saved = $env:HOME
    $env:HOME = $cacheHome
    try { $output = & kubectl @arguments "--kubeconfig=$kubeconfig" 2>&1 | Out-String }
    finally { $env:HOME = $saved }
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $output }
}

Export-ModuleMember -Function Start-KompoxTestServer, New-KompoxTestConfig, Copy-KompoxExampleOnDataCluster, Invoke-Kubectl
