# One cluster, many apps (issue 16) through the module against the Kubernetes API test server of Kompox.Testing: a
# kompoxops.yml that is a YAML stream of apps (YAML 1.2.2 chapter 9), app files that name a shared cluster file, and
# Get-KompoxApp -Cluster, which finds the apps by their namespaces as kubectl get namespaces -l
# app.kubernetes.io/managed-by=kompox would (a label selector: kubernetes apimachinery pkg/labels/selector.go).
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestCluster.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRunspace.psm1') -Force
    $Server = Start-KompoxTestServer
    $Kubeconfig = $Server.WriteKubeconfig((Join-Path $TestDrive 'admin.kubeconfig'))
    $DataRoot = (New-Item -ItemType Directory (Join-Path $TestDrive 'data')).FullName
    $Work = (New-Item -ItemType Directory (Join-Path $TestDrive 'apps')).FullName

    $ClusterSection = @"
version: 1
service:
  name: ops
provider:
  name: k3s1
  driver: k3s
cluster:
  name: lab
  auth:
    type: kubectl
    kubeconfig: '$Kubeconfig'
    context: kompox-test
  domain: apps.example.com
  settings:
    K3S_DATA_ROOT: '$DataRoot'
"@
    function New-ComposeApp([string] $Directory) {
        $dir = (New-Item -ItemType Directory -Force (Join-Path $Work $Directory)).FullName
        Set-Content (Join-Path $dir 'compose.yml') "services:`n  web:`n    image: nginx:1.27`n    ports: ['80']`n"
    }
    foreach ($name in 'wordpress', 'nextcloud', 'grafana', 'solo', 'blog') { New-ComposeApp $name }

    # Three apps in one file: the cluster, then one document per app.
    $Config = Join-Path $Work 'kompoxops.yml'
    Set-Content $Config ($ClusterSection + @'

---
app:
  name: wordpress
  compose: wordpress/compose.yml
---
app:
  name: nextcloud
  compose: nextcloud/compose.yml
---
app:
  name: grafana
  compose: grafana/compose.yml
'@)
    $null = Import-KompoxConfig $Config | Initialize-KompoxCluster -Confirm:$false
}

AfterAll {
    if ($Server) { $Server.DisposeAsync().AsTask().GetAwaiter().GetResult() }
}

Describe 'A config of three apps on one cluster' {
    It 'imports as the service, provider and cluster, then each app' {
        $resources = Import-KompoxConfig $Config
        $resources.Kind | Should -Be @('Service', 'Provider', 'Cluster', 'App', 'App', 'App')
        $resources.Id[3..5] | Should -Be @('ops/k3s1/lab/wordpress', 'ops/k3s1/lab/nextcloud', 'ops/k3s1/lab/grafana')
    }

    It 'deploys every app of the file' {
        $deployed = New-KompoxApp -Path $Config -Confirm:$false -WarningAction SilentlyContinue
        $deployed.AppId | Should -Be @('ops/k3s1/lab/wordpress', 'ops/k3s1/lab/nextcloud', 'ops/k3s1/lab/grafana')
        $deployed.Ready | Should -Be @($true, $true, $true)
    }

    It 'lists them through Get-KompoxApp -Cluster, with their URLs, disks and config' {
        $listed = Get-KompoxApp -Cluster $Config
        $listed.AppId | Should -Be @('ops/k3s1/lab/grafana', 'ops/k3s1/lab/nextcloud', 'ops/k3s1/lab/wordpress')
        $listed.Ready | Should -Be @($true, $true, $true)
        $listed[0].Urls | Should -Contain 'https://grafana.lab.apps.example.com'
        $listed.CurrentDiskId | ForEach-Object { $_ | Should -Match '^(grafana|nextcloud|wordpress)-' }
        $listed.ConfigPath | Should -Be @($Config, $Config, $Config)
        $listed.App.FoundOnCluster | Should -Be @($false, $false, $false)
        # A Cluster object lists the same.
        (Import-KompoxConfig $Config | Where-Object Kind -eq Cluster | ForEach-Object { Get-KompoxApp -Cluster $_ }).AppId | Should -Be $listed.AppId
    }

    It 'removes, through the listed object, an app whose config was deleted, and lists it no more' {
        $solo = Join-Path $Work 'solo/kompoxops.yml'
        Set-Content $solo "version: 1`ncluster:`n  file: ../kompoxops.yml`napp:`n  name: solo`n  compose: compose.yml`n"
        $null = New-KompoxApp -Path $solo -Confirm:$false -WarningAction SilentlyContinue
        Remove-Item $solo

        $gone = Get-KompoxApp -Cluster $Config | Where-Object AppId -eq 'ops/k3s1/lab/solo'
        $gone.App.FoundOnCluster | Should -BeTrue
        $gone.ConfigPath | Should -Be $solo
        $gone | Remove-KompoxApp -Confirm:$false

        (Get-KompoxApp -Cluster $Config).AppId | Should -Not -Contain 'ops/k3s1/lab/solo'
        (Get-KompoxApp -Cluster $Config).AppId | Should -HaveCount 3
        $kept = Get-KompoxApp -Cluster $Config -IncludeRemoved | Where-Object AppId -eq 'ops/k3s1/lab/solo'
        $kept.Deployed | Should -BeFalse
        $kept.CurrentDiskId | Should -Be $gone.CurrentDiskId
    }

    It 'cannot deploy an app known only from the cluster' {
        $found = Get-KompoxApp -Cluster $Config -IncludeRemoved | Where-Object AppId -eq 'ops/k3s1/lab/solo'
        $found.App | New-KompoxApp -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AppConfigNotAtHand,*'
    }
}

Describe 'An app file that names the shared cluster file' {
    It 'is written by New-KompoxConfig -Cluster and reads back with that cluster' {
        $path = Join-Path $Work 'blog/kompoxops.yml'
        $file = New-KompoxConfig -Cluster $Config -Path $path -Name blog
        $file.FullName | Should -Be $path
        Get-Content $path -Raw | Should -Match '(?m)^  file: \.\./kompoxops\.yml$'
        $app = Import-KompoxConfig $path | Where-Object Kind -eq App
        $app.Id | Should -Be 'ops/k3s1/lab/blog'
        $app.Cluster.Provider.Service.ConfigPath | Should -Be $Config
    }

    It 'warns at deploy when the same file deployed an app under another name, naming that app and its disk' {
        $path = Join-Path $Work 'blog/kompoxops.yml'
        $first = New-KompoxApp -Path $path -Confirm:$false -WarningAction SilentlyContinue
        (Get-Content $path -Raw).Replace('name: blog', 'name: journal') | Set-Content $path

        # In a runspace of its own, where the "What if:" lines have no host to flood.
        $warnings = (Invoke-InRunspace -Script "New-KompoxApp -Path '$path' -WhatIf").Warnings
        $renamed = @($warnings | Where-Object { "$_" -match 'deployed app ops/k3s1/lab/blog before' })
        $renamed | Should -HaveCount 1
        "$($renamed[0])" | Should -Match ([regex]::Escape("disk $($first.CurrentDiskId)"))
    }

    It 'refuses two files that define the one cluster differently, naming both' {
        $other = Join-Path $Work 'other/kompoxops.yml'
        $null = New-Item -ItemType Directory -Force (Split-Path $other)
        Set-Content $other ($ClusterSection.Replace('domain: apps.example.com', 'domain: other.example.com'))
        $null = Import-KompoxConfig $Config, $other -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ClusterConflict,*'
        "$($err[0])" | Should -Match ([regex]::Escape("defined differently in $Config and $other (cluster.domain differ)"))
    }
}
