# New-KompoxApp, Get-KompoxApp and Remove-KompoxApp through the module against the Kubernetes API test server of
# Kompox.Testing, started in this process, with the k3s disks under TestDrive.
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRunspace.psm1') -Force

    Import-Module (Join-Path $PSScriptRoot 'TestCluster.psm1') -Force
    $Server = Start-KompoxTestServer
    $ServerUrl = $Server.BaseUri.GetLeftPart([System.UriPartial]::Authority)
    $Dir = Join-Path $TestDrive 'gitea'
    $DataRoot = (New-Item -ItemType Directory (Join-Path $TestDrive 'data')).FullName
    $Kubeconfig = $Server.WriteKubeconfig((Join-Path $TestDrive 'admin.kubeconfig'))
    # No K3S_NODE_NAME: the disk goes on the cluster's only node.
    $Config = New-KompoxTestConfig -Directory $Dir -Kubeconfig $Kubeconfig -DataRoot $DataRoot
    # Deploy (and its -WhatIf plan) refuses an app with hosts on a cluster whose ingress is not installed.
    Import-KompoxConfig $Config | Initialize-KompoxCluster -Confirm:$false | Out-Null

    # Requests that change something, leaving out the app's lease (coordination.k8s.io), which every change renews.
    function Get-ChangingWrites { @($Server.Requests | Where-Object { $_.Changed -and $_.Path -notmatch '/leases' }) }
}

AfterAll {
    if ($Server) { $Server.DisposeAsync().AsTask().GetAwaiter().GetResult() }
}

Describe 'New-KompoxApp, Get-KompoxApp and Remove-KompoxApp' {
    It 'sends no write with -WhatIf' {
        $Server.ClearRequests()
        $r = Invoke-InRunspace "Import-KompoxConfig '$Config' | New-KompoxApp -WhatIf"
        $r.Errors | Should -BeNullOrEmpty
        $r.Output | Should -BeNullOrEmpty
        @($Server.Requests | Where-Object Method -ne 'GET') | Should -BeNullOrEmpty
        Get-ChildItem $DataRoot -Recurse | Should -BeNullOrEmpty
    }

    It 'says with -WhatIf what it would apply and that it would create the first disk' {
        $output = & dotnet pwsh -NoLogo -NoProfile -NonInteractive -Command "Import-Module '$env:KOMPOX_TEST_MODULE'; Import-KompoxConfig '$Config' | New-KompoxApp -WhatIf" 2>&1 | Out-String -Width 1000
        $LASTEXITCODE | Should -Be 0
        $text = $output -replace '\s+', ' '
        $output | Should -Match 'What if: Deploy app ops/k3s1/lab/gitea on cluster ops/k3s1/lab \(.*\):'
        $output | Should -Match '(?m)^\s+create the first disk, its PersistentVolume and its PersistentVolumeClaim$'
        $output | Should -Match '(?m)^\s+create Namespace k4x-gitea-\w+$'
        $output | Should -Match '(?m)^\s+create Deployment k4x-gitea-\w+/gitea$'
    }

    It 'reports an app not deployed yet' {
        $status = Import-KompoxConfig $Config | Get-KompoxApp
        $status | Should -BeOfType 'Kompox.PowerShell.KompoxAppStatus'
        $status.Deployed | Should -BeFalse
        $status.CurrentDiskId | Should -BeNullOrEmpty
    }

    It 'deploys from the pipeline after the cluster ingress, showing progress and each request' {
        Import-KompoxConfig $Config | Initialize-KompoxCluster -Confirm:$false | Out-Null
        $r = Invoke-InRunspace "Import-KompoxConfig '$Config' | New-KompoxApp -Verbose"
        $r.Errors | Should -BeNullOrEmpty
        $r.Output | Should -HaveCount 1
        $status = $r.Output[0]
        $status.Deployed | Should -BeTrue
        $status.Ready | Should -BeTrue
        $status.Urls | Should -Contain 'https://git.example.org'
        $status.CurrentDiskId | Should -Not -BeNullOrEmpty
        Test-Path (Join-Path $DataRoot "disks/$($status.CurrentDiskId)") | Should -BeTrue
        ($r.Verbose -join "`n") | Should -Match 'PATCH /apis/apps/v1/namespaces/k4x-gitea-\w+/deployments/gitea\?fieldManager=kompox&force=true'
        ($r.Progress.StatusDescription -join "`n") | Should -Match 'applying Deployment k4x-gitea-\w+/gitea'
        $script:DiskId = $status.CurrentDiskId
    }

    It 'changes nothing when deployed again' {
        $Server.ClearRequests()
        Import-KompoxConfig $Config | New-KompoxApp | Out-Null
        Get-ChangingWrites | Should -BeNullOrEmpty
        @($Server.Requests | Where-Object IsApply).Count | Should -BeGreaterThan 0
    }

    It 'says with -WhatIf on a redeploy, per object, what the server says the apply would change' {
        $Server.ClearRequests()
        # What if: lines go to the host, which a child process has.
        $whatIf = & dotnet pwsh -NoLogo -NoProfile -NonInteractive -Command "Import-Module '$env:KOMPOX_TEST_MODULE'; Import-KompoxConfig '$Config' | New-KompoxApp -WhatIf -WarningAction SilentlyContinue" 2>&1 | Out-String -Width 1000
        $LASTEXITCODE | Should -Be 0
        $whatIf | Should -Match '(?m)^\s+unchanged Namespace k4x-gitea-\w+$'
        $whatIf | Should -Match '(?m)^\s+unchanged Deployment k4x-gitea-\w+/gitea$'
        $whatIf | Should -Not -Match 'create the first disk'
        $whatIf | Should -Not -Match '(?m)^\s+(create|prune) '
        Get-ChangingWrites | Should -BeNullOrEmpty
        @($Server.Requests | Where-Object { $_.Method -ne 'GET' -and $_.Query -notmatch 'dryRun=All' }) | Should -BeNullOrEmpty -Because 'only dry runs are sent'
    }

    It 'shows the app in a table' {
        $text = (Get-KompoxApp -Path $Config | Out-String -Width 300) -replace ' +', ' '
        $text | Should -Match 'App Ready Pod Urls'
        $text | Should -Match 'ops/k3s1/lab/gitea ready gitea-\S+ https://git.example.org\s+https://gitea.lab.apps.example.com'
    }

    It 'removes the app, keeping the namespace and the disk' {
        $Server.ClearRequests()
        $removed = Remove-KompoxApp -Path $Config -Confirm:$false -PassThru
        $removed.WasDeployed | Should -BeTrue
        $deletes = @($Server.Requests | Where-Object Method -eq 'DELETE')
        $deletes.Count | Should -Be $removed.Deleted.Count
        $removed.Deleted | Should -Contain ($removed.Deleted | Where-Object { $_ -like 'Deployment *' })
        $status = Get-KompoxApp -Path $Config
        $status.Deployed | Should -BeFalse
        $status.CurrentDiskId | Should -Be $script:DiskId
        Test-Path (Join-Path $DataRoot "disks/$script:DiskId") | Should -BeTrue
    }

    It 'comes back on the same disk' {
        $status = Import-KompoxConfig $Config | New-KompoxApp
        $status.Ready | Should -BeTrue
        $status.CurrentDiskId | Should -Be $script:DiskId
        @(Get-ChildItem (Join-Path $DataRoot 'disks') -Directory) | Should -HaveCount 1
    }

    It 'reports a failed rollout as an ErrorRecord with its id, quoting the log' {
        $Server.FailNextRollout([Kompox.Testing.KubeApi.RolloutFailure]::CrashLoopBackOff(2, [string[]]@('starting gitea', 'panic: cannot read app.ini'), 3, 'server'))
        $changed = Join-Path $Dir 'changed.yml'
        (Get-Content $Config -Raw).Replace('memory: 2Gi', 'memory: 3Gi') | Set-Content $changed
        # The Pod crash-loops from its start and never gets ready: -Timeout only ends the wait sooner than the minute
        # a crash loop is given, so its length does not matter.
        New-KompoxApp -Path $changed -Timeout 3 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'RolloutFailed,Kompox.Cmdlets.NewKompoxAppCommand'
        $err[0].Exception.Message | Should -Match 'CrashLoopBackOff'
        $err[0].Exception.Message | Should -Match 'panic: cannot read app.ini'
        $err[0].Exception.Message | Should -Match 'ARE applied'
    }

    It 'stops at once on Ctrl+C while waiting for the rollout, and lets go of the app' {
        $Server.FailNextRollout([Kompox.Testing.KubeApi.RolloutFailure]::NeverReady('server'))
        $waiting = Join-Path $Dir 'waiting.yml'
        (Get-Content $Config -Raw).Replace('memory: 2Gi', 'memory: 2560Mi') | Set-Content $waiting
        $Server.ClearRequests()
        $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
        $iss.ImportPSModule($env:KOMPOX_TEST_MODULE)
        $ps = [powershell]::Create($iss)
        try {
            $null = $ps.AddCommand('New-KompoxApp').AddParameter('Path', $waiting).AddParameter('Timeout', 300).AddParameter('Confirm', $false).AddParameter('WarningAction', 'SilentlyContinue')
            $handle = $ps.BeginInvoke()
            # Listing the ReplicaSets is the rollout wait's first step.
            $Server.WhenRequestedAsync('list', '/replicasets$', [Threading.CancellationToken]::None).Wait([TimeSpan]::FromSeconds(60)) | Should -BeTrue -Because 'the deploy waits for the rollout'
            $ps.InvocationStateInfo.State | Should -Be 'Running' -Because 'it waits for a Pod that never gets ready'

            # The rollout would end by itself only after -Timeout 300, ten times the bound of the stop.
            Stop-Pipeline $ps
            $handle.IsCompleted | Should -BeTrue
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $ps.Streams.Error | Should -BeNullOrEmpty
        }
        finally { $ps.Dispose() }

        $namespace = (Get-KompoxApp -Path $Config).Namespace
        $Server.Peek('leases', $namespace, 'kompox-app-lock')['spec']['holderIdentity'] | Should -BeNullOrEmpty -Because 'the stopped deploy released the app'
        (New-KompoxApp -Path $Config -Confirm:$false -WarningAction SilentlyContinue).Ready | Should -BeTrue
    }

    It 'names the server when the credentials are refused' {
        $bad = $Server.WriteKubeconfig((Join-Path $TestDrive 'bad.kubeconfig'), 'not-a-token', $null)
        $badConfig = Join-Path $Dir 'bad.yml'
        (Get-Content $Config -Raw).Replace($Kubeconfig, $bad) | Set-Content $badConfig
        New-KompoxApp -Path $badConfig -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'KubernetesUnauthenticated,*'
        $err[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err[0].Exception.Message | Should -Match ([regex]::Escape("server $ServerUrl"))
    }

    It 'offers no -DiskId on the cmdlets that work on the current disk, and -Profile only where compose is read' {
        foreach ($name in 'New-KompoxApp', 'Get-KompoxApp', 'Remove-KompoxApp', 'Get-KompoxAppLog', 'Get-KompoxAppCredential') {
            (Get-Command $name).Parameters.Keys | Should -Not -Contain 'DiskId' -Because "$name uses the app's current disk"
        }
        foreach ($name in 'Get-KompoxApp', 'Remove-KompoxApp', 'Get-KompoxAppLog', 'Get-KompoxAppCredential') {
            (Get-Command $name).Parameters.Keys | Should -Not -Contain 'Profile' -Because "$name reads no compose file"
        }
        (Get-Command New-KompoxApp).Parameters.Keys | Should -Contain 'Profile'
    }
}
