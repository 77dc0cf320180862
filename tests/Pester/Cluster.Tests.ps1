# Initialize-KompoxCluster and Get-KompoxCluster against the Kubernetes API test server of Kompox.Testing, started in this process.
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRunspace.psm1') -Force

    Import-Module (Join-Path $PSScriptRoot 'TestCluster.psm1') -Force
    $Server = Start-KompoxTestServer
    $ServerUrl = $Server.BaseUri.GetLeftPart([System.UriPartial]::Authority)
    $Dir = Join-Path $TestDrive 'gitea'
    $Kubeconfig = $Server.WriteKubeconfig((Join-Path $TestDrive 'admin.kubeconfig'))
    $Config = New-KompoxTestConfig -Directory $Dir -Kubeconfig $Kubeconfig -NodeName lab-node1
}

AfterAll {
    if ($Server) { $Server.DisposeAsync().AsTask().GetAwaiter().GetResult() }
}

Describe 'Initialize-KompoxCluster and Get-KompoxCluster' {
    It 'sends nothing with -WhatIf, and says what it would apply where' {
        $Server.ClearRequests()
        $r = Invoke-InRunspace "Import-KompoxConfig '$Config' | Initialize-KompoxCluster -WhatIf -Verbose"
        $r.Errors | Should -BeNullOrEmpty
        $r.Output | Should -BeNullOrEmpty
        $Server.Requests | Should -BeNullOrEmpty
        $Server.Peek('namespaces', $null, 'traefik') | Should -BeNullOrEmpty
    }

    It 'says with -WhatIf which objects it would apply to which cluster' {
        # "What if:" goes to the host only: a child process with a console host shows it.
        $Server.ClearRequests()
        $output = & dotnet pwsh -NoLogo -NoProfile -NonInteractive -Command "Import-Module '$env:KOMPOX_TEST_MODULE'; Import-KompoxConfig '$Config' | Initialize-KompoxCluster -WhatIf" 2>&1 | Out-String -Width 1000
        $LASTEXITCODE | Should -Be 0
        $text = $output -replace '\s+', ' '
        $text | Should -Match 'What if: Performing the operation "Install the ingress by server-side apply: Namespace traefik, .*Deployment traefik/traefik, Service traefik/traefik" on target "cluster ops/k3s1/lab \(kubectl context kompox-test from '
        $Server.Requests | Should -BeNullOrEmpty
    }

    It 'reports no ingress before it is installed' {
        $status = Get-KompoxCluster -Path $Config
        $status | Should -BeOfType 'Kompox.PowerShell.KompoxClusterStatus'
        $status.Cluster.Id | Should -Be 'ops/k3s1/lab'
        $status.Server | Should -Be $ServerUrl
        $status.IngressInstalled | Should -BeFalse
        $status.Address | Should -BeNullOrEmpty
    }

    It 'installs the ingress from the Cluster on the pipeline, showing progress and each request' {
        $Server.ClearRequests()
        $r = Invoke-InRunspace "Import-KompoxConfig '$Config' | Initialize-KompoxCluster -Verbose"
        $r.Errors | Should -BeNullOrEmpty
        $r.Output | Should -HaveCount 1
        $status = $r.Output[0]
        $status.IngressInstalled | Should -BeTrue
        $status.IngressReady | Should -BeTrue
        $status.Address | Should -Be $Server.LoadBalancerAddress
        ($r.Verbose -join "`n") | Should -Match 'Passing over App ops/k3s1/lab/gitea'
        ($r.Verbose -join "`n") | Should -Match 'PATCH /apis/apps/v1/namespaces/traefik/deployments/traefik\?fieldManager=kompox&force=true'
        ($r.Verbose -join "`n") | Should -Match 'GET /api/v1/namespaces\?labelSelector='
        ($r.Progress.StatusDescription -join "`n") | Should -Match 'applying Deployment traefik/traefik'
        $Server.Peek('deployments', 'traefik', 'traefik') | Should -Not -BeNullOrEmpty
    }

    It 'changes nothing when run again' {
        $Server.ClearRequests()
        Import-KompoxConfig $Config | Initialize-KompoxCluster -Confirm:$false | Out-Null
        $Server.CountChangingWrites() | Should -Be 0
        @($Server.Requests | Where-Object IsApply).Count | Should -BeGreaterThan 0
    }

    It 'shows the cluster, the ingress, its address, the apps and the server in a table' {
        # An app's namespace as deploying it leaves it.
        $namespace = @{
            apiVersion = 'v1'; kind = 'Namespace'
            metadata   = @{
                name        = 'k4x-gitea-abc123'
                labels      = @{ 'app.kubernetes.io/managed-by' = 'kompox' }
                annotations = @{ 'kompox.dev/app' = 'ops/k3s1/lab/gitea'; 'kompox.dev/disk-current-id' = 'gitea-1' }
            }
        } | ConvertTo-Json -Depth 5
        $null = Invoke-RestMethod -Method Post -Uri "$ServerUrl/api/v1/namespaces" -Headers @{ Authorization = "Bearer $($Server.AdminToken)" } -ContentType 'application/json' -Body $namespace -SkipCertificateCheck
        $status = Get-KompoxCluster -Path $Config
        $status.Apps.AppId | Should -Be 'ops/k3s1/lab/gitea'
        $status.Apps.DiskId | Should -Be 'gitea-1'
        $text = (Get-KompoxCluster -Path $Config | Out-String -Width 200) -replace ' +', ' '
        $text | Should -Match 'Cluster Ingress Address Apps Server'
        $text | Should -Match ([regex]::Escape("ops/k3s1/lab ready $($Server.LoadBalancerAddress) gitea $ServerUrl"))
    }

    It 'names the server when the credentials are refused' {
        $bad = $Server.WriteKubeconfig((Join-Path $TestDrive 'bad.kubeconfig'), 'not-a-token', $null)
        $badConfig = Join-Path $Dir 'bad.yml'
        (Get-Content $Config -Raw).Replace($Kubeconfig, $bad) | Set-Content $badConfig
        Get-KompoxCluster -Path $badConfig -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'KubernetesUnauthenticated,*'
        $err[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err[0].Exception.Message | Should -Match ([regex]::Escape("server $ServerUrl"))
    }

    It 'refuses a resource that is not a Cluster given by -Cluster' {
        $service = Import-KompoxConfig $Config | Select-Object -First 1
        Get-KompoxCluster -Cluster $service -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NotACluster,*'
    }
}

# k3s-io/k3s manifests/traefik.yaml: a default k3s install runs Traefik in kube-system (HelmChart traefik, Deployment,
# IngressClass traefik managed by Helm); the server seeds that, and serves helm.cattle.io/v1, as a k3s server does.
Describe 'Initialize-KompoxCluster on a k3s with its bundled Traefik' {
    BeforeAll {
        $K3s = Start-KompoxTestServer
        $K3s.SeedK3sBundledTraefik()
        $K3sConfig = New-KompoxTestConfig -Directory (Join-Path $TestDrive 'k3s') -Kubeconfig $K3s.WriteKubeconfig((Join-Path $TestDrive 'k3s.kubeconfig'))
    }

    AfterAll {
        if ($K3s) { $K3s.DisposeAsync().AsTask().GetAwaiter().GetResult() }
    }

    It 'refuses, naming what it found and --disable=traefik, and writes nothing' {
        $K3s.ClearRequests()
        Import-KompoxConfig $K3sConfig | Initialize-KompoxCluster -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'BundledIngressPresent,*'
        $err[0].Exception.Message | Should -Match 'HelmChart kube-system/traefik'
        $err[0].Exception.Message | Should -Match -- '--disable=traefik'
        $K3s.CountChangingWrites() | Should -Be 0
    }

    It 'shows it in Get-KompoxCluster, with a warning' {
        $status = Get-KompoxCluster -Path $K3sConfig -WarningVariable warned -WarningAction SilentlyContinue
        $status.BundledIngress | Should -Match '^Deployment kube-system/traefik, HelmChart kube-system/traefik, IngressClass traefik'
        "$warned" | Should -Match -- '--disable=traefik'
    }
}
