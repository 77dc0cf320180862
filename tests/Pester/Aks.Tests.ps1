# The disk and snapshot cmdlets on aks through the module (issue 14 item 9): two Kubernetes API test servers (the source
# and destination clusters) and the fake Azure Resource Manager of Kompox.Testing (FakeArm), started in this process.
# The module reaches the fake only through the provider's settings, as a user reaches Azure China or an Azure Stack Hub:
# AZURE_RESOURCE_MANAGER_ENDPOINT, AZURE_CA (the fake's self-signed certificate) and AZURE_TOKEN_CREDENTIALS =
# ManagedIdentityCredential, which signs in at IDENTITY_ENDPOINT with IDENTITY_HEADER as in App Service and Azure
# Automation (learn.microsoft.com/azure/app-service/overview-managed-identity, "REST endpoint reference"). The fake
# answers writes as long-running operations ("Track asynchronous Azure operations", learn.microsoft.com/azure/
# azure-resource-manager/management/async-operations) and throttles when asked ("Understand how Azure Resource Manager
# throttles requests", .../request-limits-and-throttling): tests/Kompox.Testing/FakeArm/FakeArm.Operations.cs.
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestCluster.psm1') -Force
    $Source = Start-KompoxTestServer
    $Destination = Start-KompoxTestServer
    # The servers still to dispose: a test stops the destination to make it unreachable.
    $Running = [System.Collections.Generic.List[object]]@($Source, $Destination)
    $Arm = [Kompox.Testing.FakeArm.FakeArm]::new($null)
    $Subscription = '00000000-0000-0000-0000-000000000001'
    $null = $Arm.ResourceGroups.Add('rg-apps'), $Arm.ResourceGroups.Add('rg-aks')
    foreach ($name in 'src', 'dst') {
        # Each AKS cluster's identity is Contributor on the apps' group, as the AKS docs ask for static disks.
        $principal = [guid]::NewGuid().ToString()
        $pools = [System.Collections.Generic.List[System.Collections.Generic.IReadOnlyList[string]]]::new()
        $pools.Add([string[]]@())
        $Arm.Clusters.Add([Kompox.Testing.FakeArm.FakeManagedCluster]::new($Subscription, 'rg-aks', $name, 'japaneast', $principal, "MC_rg-aks_${name}_japaneast", $pools, $false, $null))
        $Arm.RoleAssignments.Add([Kompox.Testing.FakeArm.FakeRoleAssignment]::new("/subscriptions/$Subscription/resourceGroups/rg-apps", $principal, [Kompox.Testing.FakeArm.FakeArm]::ContributorRole))
    }

    $SavedIdentity = $env:IDENTITY_ENDPOINT, $env:IDENTITY_HEADER
    $env:IDENTITY_ENDPOINT = $Arm.ManagedIdentityEndpoint.ToString()
    $env:IDENTITY_HEADER = $Arm.IdentityHeader

    # The gitea example on aks: one config per cluster, the same provider and app.
    function New-AksConfig([string] $Cluster, [string] $Kubeconfig) {
        $dir = (New-Item -ItemType Directory -Force (Join-Path $TestDrive $Cluster)).FullName
        Copy-Item (Join-Path $PSScriptRoot '../../examples/gitea/compose.yml') $dir
        $ca = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Arm.CertificatePem))
        Set-Content (Join-Path $dir 'kompoxops.yml') @"
version: 1
service:
  name: ops
provider:
  name: aks1
  driver: aks
  settings:
    AZURE_SUBSCRIPTION_ID: $Subscription
    AZURE_LOCATION: japaneast
    AZURE_TOKEN_CREDENTIALS: ManagedIdentityCredential
    AZURE_RESOURCE_MANAGER_ENDPOINT: '$($Arm.Endpoint)'
    AZURE_CA: '$ca'
cluster:
  name: $Cluster
  auth:
    type: kubectl
    kubeconfig: '$Kubeconfig'
    context: kompox-test
  ingress:
    controller: traefik
    namespace: traefik
  domain: apps.example.com
  settings:
    AZURE_RESOURCE_GROUP_NAME: rg-aks
app:
  name: gitea
  compose: compose.yml
  resources:
    cpu: "1"
    memory: 2Gi
  settings:
    AZURE_RESOURCE_GROUP_NAME: rg-apps
    AZURE_DISK_SIZE: 1
    AZURE_DISK_TYPE: StandardSSD_LRS
    SNAPSHOT_INTERVAL: 1h
    SNAPSHOT_KEEP: 2
"@
        Join-Path $dir 'kompoxops.yml'
    }

    # The source's kubeconfig is kept outside the server, which removes its own when it is disposed.
    $SourceKubeconfig = Join-Path $TestDrive 'src.kubeconfig'
    $null = $Source.WriteKubeconfig($SourceKubeconfig)
    $Config = New-AksConfig 'src' $SourceKubeconfig
    $DestinationConfig = New-AksConfig 'dst' ($Destination.WriteKubeconfig((Join-Path $TestDrive 'dst.kubeconfig')))
    Import-KompoxConfig $Config | Initialize-KompoxCluster -Confirm:$false | Out-Null
    Import-KompoxConfig $DestinationConfig | Initialize-KompoxCluster -Confirm:$false | Out-Null

    function Get-App { Import-KompoxConfig $Config | Where-Object Kind -eq App }
    function Get-Tags([string] $Id) { ($Arm.Disks + $Arm.Snapshots | Where-Object Id -eq $Id).Tags }
}

AfterAll {
    $env:IDENTITY_ENDPOINT, $env:IDENTITY_HEADER = $SavedIdentity
    if ($Arm) { $Arm.Dispose() }
    foreach ($server in @($Running | Where-Object { $_ })) { $server.DisposeAsync().AsTask().GetAwaiter().GetResult() }
}

Describe 'aks disks and snapshots through the module against the fake Resource Manager' {
    It 'New-KompoxApp -WhatIf makes no disk; New-KompoxApp makes the first one, a managed disk polled to completion' {
        Get-App | New-KompoxApp -WhatIf
        $Arm.Disks.Count | Should -Be 0

        $app = Get-App | New-KompoxApp -ErrorAction Stop

        $app.Ready | Should -BeTrue
        $Arm.Disks | Should -HaveCount 1
        $disk = $Arm.Disks[0]
        $app.CurrentDiskId | Should -Be $disk.Id
        $disk.Tags['kompox-app'] | Should -Be 'ops/aks1/src/gitea'
        # Signed in through the managed identity endpoint, then every write answered 202 and its status polled.
        $Arm.Requests.Path | Should -Contain '/msi/token'
        @($Arm.Requests | Where-Object Path -like '*/DiskOperations/*').Count | Should -BeGreaterThan 0
        $Source.PeekAll('persistentvolumes', [NullString]::Value)[0]['spec']['csi']['volumeHandle'].ToString() | Should -Be $disk.Id
    }

    It 'New-, Get-, Switch- and Remove-KompoxDisk, each -WhatIf first, with Resource Manager throttling writes' {
        # One write a second: the SDK waits each 429's Retry-After and sends the request again.
        $throttle = [Kompox.Testing.FakeArm.ArmThrottle]::new(1, 1)
        $throttle.Kinds = [System.Collections.Generic.HashSet[string]]@('writes')
        $Arm.Throttle = $throttle
        try {
            $first = (Get-App | Get-KompoxDisk -ErrorAction Stop).DiskId
            Get-App | New-KompoxDisk -WhatIf
            $Arm.Disks.Count | Should -Be 1

            $new = Get-App | New-KompoxDisk -ErrorAction Stop
            $listed = @(Get-App | Get-KompoxDisk)
            $listed.DiskId | Should -Be @($new.DiskId, $first)
            $listed.IsCurrent | Should -Be @($false, $true)

            Get-App | Switch-KompoxDisk -DiskId $new.DiskId -WhatIf
            (Get-App | Get-KompoxDisk | Where-Object IsCurrent).DiskId | Should -Be $first
            $switched = Get-App | Get-KompoxDisk | Select-Object -First 1 | Switch-KompoxDisk -Confirm:$false -ErrorAction Stop
            $switched.IsCurrent | Should -BeTrue
            (Get-Tags $new.DiskId)['kompox-disk-current'] | Should -Not -BeNullOrEmpty
            $Source.PeekAll('persistentvolumes', [NullString]::Value).Count | Should -Be 1

            Get-App | Remove-KompoxDisk -DiskId $new.DiskId -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue
            $refused[0].FullyQualifiedErrorId | Should -BeLike 'DiskIsCurrent*'
            Get-App | Remove-KompoxDisk -DiskId $first -WhatIf
            $Arm.Disks.Count | Should -Be 2
            Get-App | Remove-KompoxDisk -DiskId $first -Confirm:$false -ErrorAction Stop
            @($Arm.Disks.Id) | Should -Be @($new.DiskId)
            $Arm.ThrottledRequests | Should -BeGreaterThan 0
        }
        finally { $Arm.Throttle = $null }
    }

    It 'Import-KompoxDisk adopts a managed disk by -ResourceId, keeping its tags, and imports a fixed VHD, each -WhatIf first' {
        # A disk made outside Kompox, as az disk create makes it: a PUT to Resource Manager (Disks - Create Or Update).
        $size = 20MB
        $outsideId = "/subscriptions/$Subscription/resourceGroups/rg-apps/providers/Microsoft.Compute/disks/legacy-data"
        $body = @{ location = 'japaneast'; sku = @{ name = 'StandardSSD_LRS' }; tags = @{ 'cost-center' = '42' }; properties = @{ creationData = @{ createOption = 'Empty' }; diskSizeGB = 1 } } | ConvertTo-Json -Depth 5
        $null = Invoke-RestMethod -Method Put -Uri "$($Arm.Endpoint.ToString().TrimEnd('/'))$outsideId`?api-version=2023-04-02" -Body $body -ContentType 'application/json' -Headers @{ Authorization = "Bearer $($Arm.Token)" } -SkipCertificateCheck
        $outside = [pscustomobject]@{ Id = $outsideId }

        Get-App | Import-KompoxDisk -ResourceId $outside.Id -WhatIf
        (Get-Tags $outside.Id).ContainsKey('kompox-app') | Should -BeFalse
        $adopted = Get-App | Import-KompoxDisk -ResourceId $outside.Id -Confirm:$false -ErrorAction Stop
        $adopted.DiskId | Should -Be $outside.Id
        (Get-Tags $outside.Id)['kompox-app'] | Should -Be 'ops/aks1/src/gitea'
        (Get-Tags $outside.Id)['cost-center'] | Should -Be '42'

        $vhd = Join-Path $TestDrive 'data.vhd'
        $bytes = [byte[]]::new($size + 512)
        $written = [byte[]]::new(8192)
        [Random]::new(7).NextBytes($written)
        [Array]::Copy($written, 0, $bytes, 4096, 8192)
        [Kompox.Testing.FakeArm.SparseBlob]::VhdFooter($size).CopyTo($bytes, $size)
        [IO.File]::WriteAllBytes($vhd, $bytes)
        $before = $Arm.Disks.Count
        Get-App | Import-KompoxDisk -InFile $vhd -WhatIf
        $Arm.Disks.Count | Should -Be $before
        $imported = Get-App | Import-KompoxDisk -InFile $vhd -Confirm:$false -ErrorAction Stop
        $made = $Arm.Disks | Where-Object Id -eq $imported.DiskId
        $made.SizeBytes | Should -Be $size
        [Convert]::ToBase64String($made.Content.Read(4096, 8192)) | Should -Be ([Convert]::ToBase64String($written))
        @(Get-App | Get-KompoxDisk).DiskId | Should -Contain $adopted.DiskId
    }

    It 'New-, Get-, Set -Pin, Restore -Switch and Remove-KompoxSnapshot, each -WhatIf first' {
        $current = (Get-App | Get-KompoxDisk | Where-Object IsCurrent).DiskId
        Get-App | New-KompoxSnapshot -WhatIf
        $Arm.Snapshots.Count | Should -Be 0

        $snapshot = Get-App | New-KompoxSnapshot -WarningAction SilentlyContinue -ErrorAction Stop
        $snapshot.SourceDiskId | Should -Be $current
        (Get-App | Get-KompoxSnapshot).Id | Should -Be @($snapshot.Id)

        $snapshot | Set-KompoxSnapshot -Pin -WhatIf
        (Get-Tags $snapshot.Id).Keys | Should -Not -Contain 'kompox-pinned'
        ($snapshot | Set-KompoxSnapshot -Pin -ErrorAction Stop).Pinned | Should -BeTrue
        (Get-App | Get-KompoxSnapshot).Pinned | Should -BeTrue

        $disks = $Arm.Disks.Count
        Get-App | Get-KompoxSnapshot | Restore-KompoxSnapshot -Switch -WhatIf
        $Arm.Disks.Count | Should -Be $disks
        $restored = Get-App | Get-KompoxSnapshot | Select-Object -First 1 | Restore-KompoxSnapshot -Switch -Confirm:$false -ErrorAction Stop
        $restored.IsCurrent | Should -BeTrue
        ($Arm.Disks | Where-Object Id -eq $restored.DiskId).SourceResourceId | Should -Be $snapshot.Id
        (Get-App | Get-KompoxDisk | Where-Object IsCurrent).DiskId | Should -Be $restored.DiskId

        $snapshot | Remove-KompoxSnapshot -WhatIf
        $Arm.Snapshots.Count | Should -Be 1
        $snapshot | Remove-KompoxSnapshot -Confirm:$false -ErrorAction Stop
        $Arm.Snapshots.Count | Should -Be 0
    }

    It 'Invoke-KompoxSnapshotPolicy takes a snapshot when one is due and not again within the interval; -WhatIf takes none' {
        Get-App | Invoke-KompoxSnapshotPolicy -WhatIf | Out-Null
        $Arm.Snapshots.Count | Should -Be 0

        $first = Get-App | Invoke-KompoxSnapshotPolicy -WarningAction SilentlyContinue -ErrorAction Stop
        $first.Outcome | Should -Be 'Taken'
        $again = Get-App | Invoke-KompoxSnapshotPolicy -WarningAction SilentlyContinue -ErrorAction Stop
        $again.Outcome | Should -Be 'NotDue'
        @($Arm.Snapshots.Id) | Should -Be @($first.Taken.Id)
    }

    It 'Move-KompoxApp -WhatIf moves nothing; a move interrupted by Azure completes when run again' {
        $current = (Get-App | Get-KompoxDisk | Where-Object IsCurrent).DiskId
        Get-App | Move-KompoxApp -DestinationPath $DestinationConfig -WhatIf
        (Get-Tags $current)['kompox-app'] | Should -Be 'ops/aks1/src/gitea'

        # Azure accepts the second re-tagging and then fails it (a Failed long-running operation, which the SDK does not
        # retry): some disks and snapshots are the destination's, the rest still the source's.
        $Arm.FailNthOperation('PATCH', 2, [Kompox.Testing.FakeArm.ArmError]::new('InternalOperationError', 'injected'))
        try {
            Get-App | Move-KompoxApp -DestinationPath $DestinationConfig -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue | Out-Null
        }
        finally { $Arm.FailOperation = $null }
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'AzureOperationFailed*'
        @($Arm.Disks + $Arm.Snapshots | Where-Object { $_.Tags['kompox-app'] -eq 'ops/aks1/dst/gitea' }).Count | Should -BeGreaterThan 0

        $moved = Get-App | Move-KompoxApp -DestinationPath $DestinationConfig -Confirm:$false -ErrorAction Stop
        $moved.Ready | Should -BeTrue
        $moved.CurrentDiskId | Should -Be $current
        ($Arm.Disks + $Arm.Snapshots | ForEach-Object { $_.Tags['kompox-app'] } | Sort-Object -Unique) | Should -Be 'ops/aks1/dst/gitea'
        $Source.PeekAll('persistentvolumes', [NullString]::Value).Count | Should -Be 0
        $Destination.PeekAll('persistentvolumes', [NullString]::Value)[0]['spec']['csi']['volumeHandle'].ToString() | Should -Be $current
    }

    It 'Move-KompoxApp brings the app back with the cluster it leaves unreachable' {
        $current = (Import-KompoxConfig $DestinationConfig | Where-Object Kind -eq App | Get-KompoxDisk | Where-Object IsCurrent).DiskId
        $Destination.DisposeAsync().AsTask().GetAwaiter().GetResult()
        $null = $Running.Remove($Destination)

        $back = Import-KompoxConfig $DestinationConfig | Where-Object Kind -eq App | Move-KompoxApp -DestinationPath $Config -Confirm:$false -WarningVariable warned -WarningAction SilentlyContinue -ErrorAction Stop

        $back.Ready | Should -BeTrue
        $back.CurrentDiskId | Should -Be $current
        ($warned -join "`n") | Should -Match 'does not answer'
        ($Arm.Disks + $Arm.Snapshots | ForEach-Object { $_.Tags['kompox-app'] } | Sort-Object -Unique) | Should -Be 'ops/aks1/src/gitea'
    }
}

# Bound directories on an aks disk (issue 14 item 8): the first deploy and New-KompoxApp -SeedBinds copy them through a
# seed Pod that mounts the disk's claim. What runs in its container runs on this machine (ExecPrograms.OnThisMachine:
# dash, GNU tar and coreutils as in the default seed image debian:12), with the Pod's mount path /disk standing for a
# directory under TestDrive (tests/Kompox.Testing/README.md, "Seeding on aks").
Describe 'New-KompoxApp -SeedBinds on aks' {
    BeforeAll {
        $site = (New-Item -ItemType Directory -Force (Join-Path $TestDrive 'site')).FullName
        $html = (New-Item -ItemType Directory (Join-Path $site 'html')).FullName
        Set-Content (Join-Path $html 'index.html') '<h1>hello</h1>'
        Set-Content (Join-Path $site 'compose.yml') "services:`n  web:`n    image: nginx:1.27`n    ports: [`"8080:80`"]`n    volumes: [`"./html:/usr/share/nginx/html`"]`n"
        $yaml = Get-Content -Raw $Config
        $SiteConfig = Join-Path $site 'kompoxops.yml'
        Set-Content $SiteConfig ($yaml.Substring(0, $yaml.IndexOf('app:')) + "app:`n  name: site`n  compose: compose.yml`n  resources:`n    cpu: `"1`"`n    memory: 1Gi`n  settings:`n    AZURE_RESOURCE_GROUP_NAME: rg-apps`n    AZURE_DISK_SIZE: 1`n")
        $SiteHtml = $html
        $DiskDir = (New-Item -ItemType Directory (Join-Path $TestDrive 'site-disk')).FullName
        $Namespace = ((ConvertTo-KompoxManifest -LiteralPath $SiteConfig -WarningAction SilentlyContinue) -join "`n" | Select-String 'namespace: (k4x-site-\S+)').Matches[0].Groups[1].Value
        $mounts = [System.Collections.Generic.Dictionary[string, string]]::new()
        $mounts['/disk'] = $DiskDir
        $Source.InstallProgram($Namespace, 'seed', 'sh', [Kompox.Testing.KubeApi.ExecPrograms]::OnThisMachine($mounts, $null))
        function Get-Site { Import-KompoxConfig $SiteConfig | Where-Object Kind -eq App }
        # The comma keeps the JsonObject whole: PowerShell would enumerate its properties down the pipeline.
        function Get-Deployment { , @($Source.PeekAll('deployments', $Namespace))[0] }
    }

    It 'the first deploy copies the bound directory onto the new managed disk and tags it seeded' {
        $status = Get-Site | New-KompoxApp -ErrorAction Stop -WarningAction SilentlyContinue

        $status.Ready | Should -BeTrue
        Get-Content -Raw (Join-Path $DiskDir 'binds/html/index.html') | Should -Be "<h1>hello</h1>`n"
        (Get-Tags $status.CurrentDiskId).ContainsKey('kompox-seeded') | Should -BeTrue
        Test-Path (Join-Path $DiskDir '.kompox-seed') | Should -BeFalse
    }

    It '-WhatIf lists what would be copied, says the app would be stopped, and runs no Pod' {
        Set-Content (Join-Path $DiskDir 'binds/html/index.html') 'changed by the app'
        Set-Content (Join-Path $SiteHtml 'new.html') 'new in the project'
        $Source.ClearRequests()

        $output = & dotnet pwsh -NoLogo -NoProfile -NonInteractive -Command "Import-Module '$env:KOMPOX_TEST_MODULE'; New-KompoxApp -LiteralPath '$SiteConfig' -SeedBinds -WhatIf" 2>&1 | Out-String -Width 1000

        $output | Should -Match 'What if: .*Copy the bound directories onto disk '
        $output | Should -Match 'the app is stopped for the copy \(Deployment \S+ scaled to 0\)'
        $output | Should -Match 'copy new\.html'
        @($Source.Requests | Where-Object { $_.Method -in 'POST', 'PATCH' }).Count | Should -Be 0
        Get-Content -Raw (Join-Path $DiskDir 'binds/html/index.html') | Should -Be "changed by the app`n"
        Test-Path (Join-Path $DiskDir 'binds/html/new.html') | Should -BeFalse
    }

    It 'copies what the disk lacks with the app stopped, keeps the file the app changed, and starts the app again' {
        $Source.ClearRequests()

        $seeded = Get-Site | New-KompoxApp -SeedBinds -Confirm:$false -ErrorAction Stop

        $seeded.Source | Should -Be './html'
        $seeded.Copied | Should -Be @('new.html')
        $seeded.Skipped | Should -Be @('index.html')
        Get-Content -Raw (Join-Path $DiskDir 'binds/html/new.html') | Should -Be "new in the project`n"
        Get-Content -Raw (Join-Path $DiskDir 'binds/html/index.html') | Should -Be "changed by the app`n"
        # Scaled to 0 and back by the seed's field manager; the app runs again, and the seed Pod is gone.
        @($Source.Requests | Where-Object { $_.Method -eq 'PATCH' -and $_.Path -like '*/deployments/*' -and $_.Query -like '*fieldManager=kompox-seed*' }).Count | Should -Be 2
        $deployment = Get-Deployment
        [int]$deployment['spec']['replicas'].ToString() | Should -Be 1
        $pods = @($Source.PeekAll('pods', $Namespace))
        $pods | Should -HaveCount 1
        $pods[0]['metadata']['name'].ToString() | Should -Not -Be 'site-seed'
        (Get-KompoxApp -LiteralPath $SiteConfig).Ready | Should -BeTrue
    }
}
