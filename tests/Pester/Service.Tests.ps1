# The Kompox service from PowerShell (issue 15): Start-KompoxService runs the real service program (the module's
# service/Kompox.Service.dll) as its own process on a store in TestDrive; the administrator registers the Kubernetes API
# test server as a k3s cluster (its kubeconfig's content); a user then creates, deploys, snapshots, restores, exports
# and destroys an app through the cmdlets in client mode, and the service's errors come back with the engine's ids.
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestCluster.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRunspace.psm1') -Force
    $Root = (Resolve-Path "$PSScriptRoot/../..").Path
    $PSDefaultParameterValues['*-Kompox*:WarningAction'] = 'SilentlyContinue'

    $Kube = Start-KompoxTestServer
    $Kubeconfig = $Kube.WriteKubeconfig((Join-Path $TestDrive 'admin.kubeconfig'))
    $DataRoot = (New-Item -ItemType Directory (Join-Path $TestDrive 'disks')).FullName
    $Store = Join-Path $TestDrive 'store'
    # A bound on a loaded machine, not a measure of it: the service is ready in a few seconds.
    $Service = Start-KompoxService -DataPath $Store -Timeout 180 -Confirm:$false
    $Compose = Get-Content (Join-Path $Root 'examples/gitea/compose.yml') -Raw
}

AfterAll {
    Disconnect-KompoxService -Confirm:$false
    # Stopped by the last test when it ran; this is for a run that ended before.
    if ($Service -and (Get-Process -Id $Service.ProcessId -ErrorAction SilentlyContinue)) { $Service | Stop-KompoxService -Confirm:$false }
    if ($Kube) { $Kube.DisposeAsync().AsTask().GetAwaiter().GetResult() | Out-Null }
}

Describe 'Start-KompoxService' {
    It 'starts the service as its own process, ready, with the administrator''s token of the new store' {
        $Service.ProcessId | Should -Not -Be $PID
        (Get-Process -Id $Service.ProcessId).ProcessName | Should -BeLike 'dotnet*'
        Invoke-RestMethod ([uri]::new($Service.Uri, 'readyz')) | Should -Be 'ready'
        $Service.OpenApiUri.AbsolutePath | Should -Be '/openapi/v1.json'
        $Service.Token | Should -Match '^kpx_[A-Za-z0-9_-]{43}$'
        # The token went through the environment, never the command line other users can read.
        if ($IsLinux) { (Get-Content "/proc/$($Service.ProcessId)/cmdline" -Raw) | Should -Not -Match 'kpx_' }
    }

    It 'says what ended a service that could not start, with its last lines' {
        # A store whose key file is a directory cannot be opened: the service ends, and the error shows why.
        $broken = New-Item -ItemType Directory (Join-Path $TestDrive 'broken/kompox.key') -Force
        $err = { Start-KompoxService -DataPath (Split-Path $broken) -Timeout 180 -Confirm:$false } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ServiceStartFailed,*'
        $err.Exception.Message | Should -Match 'exit code'
    }
}

# 127.0.0.2 is this machine on Linux (the whole 127.0.0.0/8 is loopback there), an address the service does not listen
# on unless told: it tells "listens where it was told" from "listens on 127.0.0.1" without a second network interface.
Describe 'Start-KompoxService -ListenAddress' -Skip:(-not $IsLinux) {
    BeforeAll {
        function Test-Ready([uri] $Uri) {
            try { (Invoke-WebRequest ([uri]::new($Uri, 'readyz')) -TimeoutSec 60).Content -eq 'ready' } catch { $false }
        }
    }

    It 'listens on 127.0.0.1 only by default' {
        Test-Ready "http://127.0.0.2:$($Service.Uri.Port)/" | Should -BeFalse
    }

    It 'listens on every address with 0.0.0.0, and warns that plain HTTP then needs TLS in front' {
        $lan = Start-KompoxService -ListenAddress 0.0.0.0 -DataPath (Join-Path $TestDrive 'lan') -Timeout 180 -Confirm:$false -WarningVariable warned
        try {
            $lan.Uri.Host | Should -Be '127.0.0.1'
            Test-Ready $lan.Uri | Should -BeTrue
            Test-Ready "http://127.0.0.2:$($lan.Uri.Port)/" | Should -BeTrue
            "$warned" | Should -Match '0\.0\.0\.0.*plain HTTP.*TLS'
        }
        finally { $lan | Stop-KompoxService -Confirm:$false }
    }

    It 'listens on the address given only, without a warning for a loopback one' {
        $one = Start-KompoxService -ListenAddress 127.0.0.2 -DataPath (Join-Path $TestDrive 'one') -Timeout 180 -Confirm:$false -WarningVariable warned
        try {
            $one.Uri.Host | Should -Be '127.0.0.2'
            Test-Ready $one.Uri | Should -BeTrue
            Test-Ready "http://127.0.0.1:$($one.Uri.Port)/" | Should -BeFalse
            $warned | Should -BeNullOrEmpty
        }
        finally { $one | Stop-KompoxService -Confirm:$false }
    }
}

# Entra ID access tokens through the module, against the model of the Microsoft identity platform
# (tests/Kompox.Testing/Entra/EntraIdIssuer.cs, from learn.microsoft.com's "Microsoft identity platform access tokens" and
# "OpenID Connect on the Microsoft identity platform"). The service process trusts the model's self-signed certificate as
# its only CA through SSL_CERT_FILE, which .NET reads on Linux (OpenSSL), as a machine trusts login.microsoftonline.com's.
Describe 'Connect-KompoxService with an Entra ID access token' -Skip:(-not $IsLinux) {
    BeforeAll {
        $Issuer = [Kompox.Testing.Entra.EntraIdIssuer]::new($null)
        $ca = Join-Path $TestDrive 'entra-ca.pem'
        Set-Content $ca $Issuer.CertificatePem
        $ClientId = [guid]::NewGuid().ToString()
        $Oid = [guid]::NewGuid().ToString()
        $saved = @{}
        $settings = @{ Kompox__Entra__Authority = $Issuer.Authority($null); Kompox__Entra__Audience = $ClientId; SSL_CERT_FILE = $ca }
        foreach ($name in $settings.Keys) { $saved[$name] = [Environment]::GetEnvironmentVariable($name); [Environment]::SetEnvironmentVariable($name, $settings[$name]) }
        try { $EntraService = Start-KompoxService -DataPath (Join-Path $TestDrive 'entra') -Timeout 180 -Confirm:$false }
        finally { foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) } }
        Connect-KompoxService -Uri $EntraService.Uri -Token $EntraService.Token -Confirm:$false | Out-Null
        New-KompoxUser -Name carol -EntraObjectId $Oid -Confirm:$false | Out-Null
        Disconnect-KompoxService -Confirm:$false
    }

    AfterAll {
        Disconnect-KompoxService -Confirm:$false
        if ($EntraService) { $EntraService | Stop-KompoxService -Confirm:$false }
        if ($Issuer) { $Issuer.Dispose() }
    }

    It 'acts as the user whose object id the token carries' {
        Connect-KompoxService -Uri $EntraService.Uri -Token $Issuer.Issue($Oid, $ClientId, $null) -Confirm:$false | Out-Null
        Get-KompoxApp | Should -BeNullOrEmpty
        # carol is a user: the administrator's cmdlets are refused with the service's id, as for her kpx_ token.
        Get-KompoxUser -ErrorVariable denied -ErrorAction SilentlyContinue
        $denied[0].FullyQualifiedErrorId | Should -BeLike 'Forbidden,*'
    }

    It 'refuses a token of another tenant, and one of an object id no user has, with the service''s id' {
        { Connect-KompoxService -Uri $EntraService.Uri -Token $Issuer.Issue($Oid, $ClientId, [guid]::NewGuid().ToString()) -Confirm:$false } | Should -Throw -ErrorId 'Unauthenticated,*'
        { Connect-KompoxService -Uri $EntraService.Uri -Token $Issuer.Issue([guid]::NewGuid().ToString(), $ClientId, $null) -Confirm:$false } | Should -Throw -ErrorId 'Unauthenticated,*'
    }
}

Describe 'The administrator''s cmdlets' {
    BeforeAll {
        $Service | Connect-KompoxService -Confirm:$false
    }

    It 'registers the simulator as a cluster, its kubeconfig''s content stored and never shown' {
        $provider = New-KompoxProvider -Name sim -Driver k3s -Confirm:$false
        $provider.Driver | Should -Be 'k3s'
        $cluster = New-KompoxCluster -Name lab -Provider sim -Domain example.org -KubeconfigPath $Kubeconfig -Context kompox-test -Settings @{ K3S_DATA_ROOT = $DataRoot } -Confirm:$false
        $cluster.Auth.Type | Should -Be 'kubeconfig'
        $cluster.Auth.Context | Should -Be 'kompox-test'
        $cluster.Auth.Kubeconfig | Should -BeNullOrEmpty
        ($cluster | ConvertTo-Json -Depth 5) | Should -Not -Match 'certificate-authority-data|client-key-data'
        (Get-KompoxProvider).Name | Should -Contain 'sim'
    }

    It 'installs the cluster''s ingress through the service' {
        $status = Initialize-KompoxCluster -Name lab -Confirm:$false
        $status.IngressInstalled | Should -BeTrue
        $status.Cluster.Name | Should -Be 'lab'
        (Get-KompoxCluster -Name lab).IngressInstalled | Should -BeTrue
    }

    It 'makes users whose token is shown once' {
        $alice = New-KompoxUser -Name alice -Confirm:$false
        $alice.Token | Should -Match '^kpx_'
        $alice.Role | Should -Be 'user'
        (Get-KompoxUser -Name alice).Token | Should -BeNullOrEmpty
        $script:AliceToken = $alice.Token
        $script:BobToken = (New-KompoxUser -Name bob -Confirm:$false).Token
    }

    It 'keeps a user out of the administrator''s routes with the service''s id' {
        Connect-KompoxService -Uri $Service.Uri -Token $BobToken -Confirm:$false
        Get-KompoxProvider -ErrorVariable denied -ErrorAction SilentlyContinue
        $denied[0].FullyQualifiedErrorId | Should -BeLike 'Forbidden,*'
        $denied[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
    }

    It 'refuses a wrong token when connecting' {
        { Connect-KompoxService -Uri $Service.Uri -Token 'kpx_not-a-token' -Confirm:$false } | Should -Throw -ErrorId 'Unauthenticated,*'
    }
}

Describe 'Client mode: an app''s life through the cmdlets' {
    BeforeAll {
        Connect-KompoxService -Uri $Service.Uri -Token $AliceToken -Confirm:$false
    }

    It 'registers the app for the user and deploys it on the simulator' {
        $status = New-KompoxApp -Name gitea -Cluster lab -Compose $Compose -Confirm:$false
        $status | Should -BeOfType Kompox.PowerShell.KompoxAppStatus
        $status.Deployed | Should -BeTrue
        $status.Ready | Should -BeTrue
        $status.CurrentDiskId | Should -Match '^gitea-'
        $status.App.Name | Should -Be 'gitea'
        $status.App.Owner | Should -Be 'alice'
        $status.App.ServiceUri | Should -Be $Service.Uri
        $script:FirstDisk = $status.CurrentDiskId
    }

    It 'lists the user''s apps, and only theirs' {
        (Get-KompoxApp).App.Name | Should -Be @('gitea')
        Connect-KompoxService -Uri $Service.Uri -Token $BobToken -Confirm:$false
        try {
            Get-KompoxApp | Should -BeNullOrEmpty
            # Another user's app is not found, as an app that does not exist.
            Get-KompoxApp -Name gitea -ErrorVariable missing -ErrorAction SilentlyContinue
            $missing[0].FullyQualifiedErrorId | Should -BeLike 'AppNotFound,*'
            $missing[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }
        finally { Connect-KompoxService -Uri $Service.Uri -Token $AliceToken -Confirm:$false }
    }

    It 'shows the service''s operation as Write-Progress' {
        $r = Invoke-InRunspace "Connect-KompoxService -Uri '$($Service.Uri)' -Token '$AliceToken' -Confirm:`$false | Out-Null; New-KompoxApp -Name gitea -Confirm:`$false -WarningAction SilentlyContinue"
        $r.Errors | Should -BeNullOrEmpty
        $r.Output[0].Ready | Should -BeTrue
        $r.Progress.Activity | Should -Contain 'Deploying app gitea'
        # Besides the request sent and the end, what the service said its operation was doing.
        @($r.Progress | Where-Object { $_.Activity -eq 'Deploying app gitea' -and $_.StatusDescription -notmatch '^(POST |done$)' }) | Should -Not -BeNullOrEmpty
    }

    It 'snapshots the current disk, restores it to a new disk and switches to it' {
        $app = (Get-KompoxApp -Name gitea).App
        $snapshot = $app | New-KompoxSnapshot -Confirm:$false
        $snapshot | Should -BeOfType Kompox.PowerShell.KompoxSnapshot
        $snapshot.SourceDiskId | Should -Be $FirstDisk
        ($app | Get-KompoxSnapshot).Id | Should -Contain $snapshot.Id

        $restored = $snapshot | Restore-KompoxSnapshot -Confirm:$false
        $restored | Should -BeOfType Kompox.PowerShell.KompoxDisk
        $restored.IsCurrent | Should -BeFalse
        ($app | Get-KompoxDisk).Id | Should -Contain $restored.Id

        $switched = $snapshot | Restore-KompoxSnapshot -Switch -Confirm:$false
        (Get-KompoxApp -Name gitea).CurrentDiskId | Should -Be $switched.Id
        $script:Snapshot = $snapshot
    }

    It 'exports a snapshot and the current disk, streamed to files that appear whole' {
        $app = (Get-KompoxApp -Name gitea).App
        $file = $Snapshot | Export-KompoxSnapshot -OutFile (Join-Path $TestDrive 'gitea-snapshot.tar.gz') -Confirm:$false
        $file.Length | Should -BeGreaterThan 0
        $magic = [System.IO.File]::ReadAllBytes($file.FullName)[0..1]
        $magic | Should -Be @(0x1f, 0x8b)   # gzip
        $disk = $app | Export-KompoxDisk -OutFile (Join-Path $TestDrive 'gitea-disk.tar.gz') -Confirm:$false
        $disk.Length | Should -BeGreaterThan 0
        Get-ChildItem $TestDrive -Filter '*.partial' -Force | Should -BeNullOrEmpty
    }

    It 'imports an exported disk as a new disk of the app, uploaded' {
        $app = (Get-KompoxApp -Name gitea).App
        $imported = $app | Import-KompoxDisk -InFile (Join-Path $TestDrive 'gitea-disk.tar.gz') -Confirm:$false
        $imported.IsCurrent | Should -BeFalse
        ($app | Get-KompoxDisk).Id | Should -Contain $imported.Id
    }

    It 'gives the engine''s errors with their ids: the current disk, an unknown snapshot, a hostile compose' {
        $app = (Get-KompoxApp -Name gitea).App
        $current = $app | Get-KompoxDisk | Where-Object IsCurrent
        $current | Remove-KompoxDisk -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'DiskIsCurrent,*'
        $refused[0].CategoryInfo.Category | Should -Be 'ResourceBusy'

        $app | Restore-KompoxSnapshot -SnapshotId 'gitea-20000101000000-nosuch' -Confirm:$false -ErrorVariable unknown -ErrorAction SilentlyContinue
        $unknown[0].FullyQualifiedErrorId | Should -BeLike 'SnapshotNotFound,*'

        New-KompoxApp -Name hostile -Cluster lab -Compose "services:`n  web:`n    image: nginx`n    privileged: true`n" -Confirm:$false -ErrorVariable invalid -ErrorAction SilentlyContinue
        $invalid[0].FullyQualifiedErrorId | Should -BeLike 'InvalidCompose,*'
        Get-KompoxApp -Name hostile -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'gives a credential for the app''s namespace and runs its snapshot policy through the service' {
        $app = (Get-KompoxApp -Name gitea).App
        $credential = $app | Get-KompoxAppCredential -Duration '00:20:00'
        $credential.Namespace | Should -Match '^k4x-gitea-'
        $credential.Kubeconfig | Should -Match ([regex]::Escape($credential.Namespace))
        # Before the first run the service has recorded none (GET snapshot-policy/last-run answers 204).
        $policy = $app | Get-KompoxSnapshotPolicy
        $policy | Should -BeOfType Kompox.PowerShell.KompoxSnapshotPolicy
        $policy.AppId | Should -Be $app.Id
        $policy.Settings.Count | Should -Be 0
        $policy.LastRun | Should -BeNullOrEmpty
        $policy.LastRunTime | Should -BeNullOrEmpty

        # The app has no SNAPSHOT_* setting: the run is skipped, as locally.
        $run = $app | Invoke-KompoxSnapshotPolicy -Confirm:$false
        $run | Should -BeOfType Kompox.PowerShell.KompoxSnapshotPolicyResult
        $run.Outcome | Should -Be 'Skipped'

        # -Settings goes over the registration's settings: a policy set is applied by the service, one removed ($null) is gone.
        New-KompoxApp -Name gitea -Compose $Compose -Settings @{ SNAPSHOT_KEEP = 5 } -Confirm:$false -WarningAction SilentlyContinue | Out-Null
        $before = [DateTimeOffset]::UtcNow
        ($app | Invoke-KompoxSnapshotPolicy -Confirm:$false).Outcome | Should -Be 'NotDue'

        # What the service recorded of that run is what a user reads back: the service's settings and its last outcome.
        $policy = Get-KompoxApp -Name gitea | Get-KompoxSnapshotPolicy
        $policy.Settings['SNAPSHOT_KEEP'] | Should -Be '5'
        $policy.LastRun | Should -BeOfType Kompox.PowerShell.KompoxSnapshotPolicyResult
        $policy.LastRun.Outcome | Should -Be 'NotDue'
        $policy.LastRun.AppId | Should -Be $app.Id
        $policy.LastRun.Kept.Count | Should -Be (@($app | Get-KompoxSnapshot).Count)
        $policy.LastRunTime | Should -BeGreaterOrEqual $before
        ($policy | Format-Table | Out-String -Width 120) | Should -Match 'SNAPSHOT_KEEP=5\s+\S.*NotDue'

        # An app from kompoxops.yml has no recorded run: its settings only.
        $local = Get-KompoxSnapshotPolicy -Path (Join-Path $Root 'examples/gitea/kompoxops.yml')
        $local.LastRun | Should -BeNullOrEmpty
        $local.AppId | Should -Not -Be $app.Id

        New-KompoxApp -Name gitea -Compose $Compose -Settings @{ SNAPSHOT_KEEP = $null } -Confirm:$false -WarningAction SilentlyContinue | Out-Null
        ($app | Invoke-KompoxSnapshotPolicy -Confirm:$false).Outcome | Should -Be 'Skipped'
    }

    It 'refuses, while connected, to act on no app rather than on ./kompoxops.yml' {
        Push-Location (Join-Path $Root 'examples/gitea')
        try {
            Get-KompoxDisk -ErrorVariable required -ErrorAction SilentlyContinue
            $required[0].FullyQualifiedErrorId | Should -BeLike 'AppRequired,*'
        }
        finally { Pop-Location }
    }

    It 'destroys the app, keeping its disks, and then removes its registration' {
        $app = (Get-KompoxApp -Name gitea).App
        $disks = @($app | Get-KompoxDisk).Id
        $removal = $app | Remove-KompoxApp -Confirm:$false -PassThru
        $removal.WasDeployed | Should -BeTrue
        (Get-KompoxApp -Name gitea).Deployed | Should -BeFalse
        @($app | Get-KompoxDisk).Id | Should -Be $disks

        $app | Remove-KompoxApp -Unregister -Confirm:$false
        Get-KompoxApp -Name gitea -ErrorVariable gone -ErrorAction SilentlyContinue
        $gone[0].FullyQualifiedErrorId | Should -BeLike 'AppNotFound,*'
    }

    It 'removes the administrator''s registrations: a user, then the cluster, then its provider, each refused while in use' {
        Connect-KompoxService -Uri $Service.Uri -Token $Service.Token -Confirm:$false | Out-Null
        Remove-KompoxProvider -Name sim -Confirm:$false -ErrorVariable inUse -ErrorAction SilentlyContinue
        $inUse[0].FullyQualifiedErrorId | Should -BeLike 'ResourceInUse,*'

        Remove-KompoxUser -Name bob -WhatIf
        (Get-KompoxUser -Name bob).Name | Should -Be 'bob'
        (Remove-KompoxUser -Name bob -PassThru -Confirm:$false).Name | Should -Be 'bob'
        Get-KompoxUser -Name bob -ErrorVariable noUser -ErrorAction SilentlyContinue
        $noUser[0].FullyQualifiedErrorId | Should -BeLike 'UserNotFound,*'
        { Connect-KompoxService -Uri $Service.Uri -Token $BobToken -Confirm:$false } | Should -Throw -ErrorId 'Unauthenticated,*'

        (Remove-KompoxCluster -Name lab -PassThru -Confirm:$false).Name | Should -Be 'lab'
        (Remove-KompoxProvider -Name sim -PassThru -Confirm:$false).Name | Should -Be 'sim'
        @(Get-KompoxProvider) | Should -HaveCount 0
    }
}

Describe 'Stop-KompoxService' {
    It 'stops the service gracefully, and a restart on the same store keeps its administrator' {
        $stopped = $Service | Stop-KompoxService -PassThru -Confirm:$false
        $stopped.Graceful | Should -BeTrue
        Get-Process -Id $Service.ProcessId -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

        $again = Start-KompoxService -DataPath $Store -Timeout 180 -Confirm:$false
        try {
            $again.Token | Should -BeNullOrEmpty
            (Connect-KompoxService -Uri $again.Uri -Token $Service.Token -Confirm:$false).Name | Should -Not -BeNullOrEmpty
            (Get-KompoxUser).Name | Should -Contain 'alice'
        }
        finally { $again | Stop-KompoxService -Confirm:$false }
    }

    It 'leaves alone a process that is not a Kompox service' {
        Stop-KompoxService -ProcessId $PID -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'ServiceProcessNotFound,*'
    }
}
