# The snapshot policy through the module on k3s (issue 14): Invoke-KompoxSnapshotPolicy, Set-KompoxSnapshot -Pin and
# Restore-KompoxSnapshot -Switch, against the Kubernetes API test server with real files in the k3s data root.
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestCluster.psm1') -Force
    $Server = Start-KompoxTestServer
    $DataRoot = (New-Item -ItemType Directory (Join-Path $TestDrive 'data')).FullName
    $Kubeconfig = $Server.WriteKubeconfig((Join-Path $TestDrive 'admin.kubeconfig'))
    $Config = New-KompoxTestConfig -Directory (Join-Path $TestDrive 'policy') -Kubeconfig $Kubeconfig -DataRoot $DataRoot -AppName policy
    Import-KompoxConfig $Config | Initialize-KompoxCluster -Confirm:$false | Out-Null
    $Current = (Import-KompoxConfig $Config | New-KompoxApp -WarningAction SilentlyContinue).CurrentDiskId

    # The app's settings, written into its kompoxops.yml as a user would: app is the file's last section.
    $BaseText = (Get-Content $Config -Raw).TrimEnd()
    function Set-AppSettings([hashtable] $Settings) {
        $text = $BaseText
        if ($Settings.Count -gt 0) {
            $text += "`n  settings:`n" + (($Settings.GetEnumerator() | Sort-Object Key | ForEach-Object { "    $($_.Key): '$($_.Value)'" }) -join "`n")
        }
        Set-Content $Config ($text + "`n")
    }

    # How old a snapshot is, set by the test instead of sleeping until the clock has moved: the k3s driver records when
    # a snapshot was taken as the kompox-created-at tag of its tags file under the data root (whole seconds, UTC), and
    # the policy and the listing read it from there.
    function Set-SnapshotAge([string] $Id, [timespan] $Age) {
        $path = Join-Path $DataRoot "snapshots/$Id.json"
        $tags = [System.Text.Json.Nodes.JsonNode]::Parse((Get-Content $path -Raw))
        $tags['Tags']['kompox-created-at'] = [System.Text.Json.Nodes.JsonValue]::Create([DateTimeOffset]::UtcNow.Subtract($Age).UtcDateTime.ToString('yyyy-MM-ddTHH:mm:ssZ', [cultureinfo]::InvariantCulture))
        Set-Content $path $tags.ToJsonString()
    }
}

AfterAll {
    if ($Server) { $Server.DisposeAsync().AsTask().GetAwaiter().GetResult() }
}

Describe 'Invoke-KompoxSnapshotPolicy' {
    It 'skips an app without a policy and says so' {
        $result = Import-KompoxConfig $Config | Invoke-KompoxSnapshotPolicy

        $result | Should -BeOfType 'Kompox.PowerShell.KompoxSnapshotPolicyResult'
        $result.Outcome | Should -Be 'Skipped'
        $result.Message | Should -Match 'no snapshot policy'
        @(Import-KompoxConfig $Config | Get-KompoxSnapshot) | Should -HaveCount 0
    }

    It 'takes a snapshot when due, not again before the interval, and prunes what no rule keeps but the pinned one' {
        Set-AppSettings @{ SNAPSHOT_INTERVAL = '1h'; SNAPSHOT_KEEP = '1' }

        $first = Import-KompoxConfig $Config | Invoke-KompoxSnapshotPolicy -WarningAction SilentlyContinue
        $first.Outcome | Should -Be 'Taken'
        $first.Taken.SourceDiskId | Should -Be $Current
        $pinned = $first.Taken | Set-KompoxSnapshot -Pin
        $pinned.Pinned | Should -BeTrue

        $later = Import-KompoxConfig $Config | New-KompoxSnapshot -WarningAction SilentlyContinue
        # Taken two hours and one hour ago, so that the next one is the newest whatever second they all fall in.
        Set-SnapshotAge $first.Taken.Id ([timespan]::FromHours(2))
        Set-SnapshotAge $later.Id ([timespan]::FromHours(1))
        $newest = Import-KompoxConfig $Config | New-KompoxSnapshot -WarningAction SilentlyContinue

        $second = Import-KompoxConfig $Config | Invoke-KompoxSnapshotPolicy
        $second.Outcome | Should -Be 'NotDue'
        $second.Taken | Should -BeNullOrEmpty
        @($second.Pruned.Id) | Should -Be @($later.Id)
        ($second.Kept | Where-Object Id -eq $newest.Id).Reasons | Should -Contain 'newest'
        ($second.Kept | Where-Object Id -eq $pinned.Id).Reasons | Should -Contain 'pinned'
        $left = Import-KompoxConfig $Config | Get-KompoxSnapshot
        @($left.Id) | Should -Be @($newest.Id, $pinned.Id)
        ($left | Where-Object Pinned).Id | Should -Be $pinned.Id
    }

    It 'reports a failed run as a non-terminating error naming the app, and prunes nothing after it' {
        Set-AppSettings @{ SNAPSHOT_INTERVAL = '1h'; SNAPSHOT_KEEP = '1' }
        $before = @((Import-KompoxConfig $Config | Get-KompoxSnapshot).Id)
        # Due: the newest snapshot is older than the interval.
        foreach ($id in $before) { Set-SnapshotAge $id ([timespan]::FromHours(3)) }
        # The current disk's directory gone: the snapshot fails with DiskNotFound while the listing still works.
        Rename-Item (Join-Path $DataRoot "disks/$Current") "$Current.away"
        try {
            $result = Import-KompoxConfig $Config | Invoke-KompoxSnapshotPolicy -ErrorVariable failed -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        }
        finally {
            Rename-Item (Join-Path $DataRoot "disks/$Current.away") $Current
        }

        $result.Outcome | Should -Be 'Failed'
        $result.Failed | Should -BeTrue
        $failed | Should -HaveCount 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'SnapshotPolicyFailed,DiskNotFound*'
        $failed[0].Exception.Message | Should -BeLike '*policy*snapshot policy failed*'
        # The same snapshots (in any order: their ages were set alike, so newest-first ties).
        @((Import-KompoxConfig $Config | Get-KompoxSnapshot).Id | Sort-Object) | Should -Be @($before | Sort-Object)
    }

    It 'refuses a wrong policy setting when the config is read, naming the setting' {
        Set-AppSettings @{ SNAPSHOT_KEEP = 'all' }
        Import-KompoxConfig $Config -ErrorVariable refused -ErrorAction SilentlyContinue | Out-Null
        ($refused | Out-String) | Should -Match 'app\.settings\.SNAPSHOT_KEEP'
        ($refused | Out-String) | Should -Match "'all' is not a whole number above zero"
        Set-AppSettings @{}
    }
}

Describe 'Restore-KompoxSnapshot -Switch, then Remove-KompoxApp' {
    It 'restores the newest snapshot to a new disk and switches the app to it in one go' {
        Set-Content (Join-Path $DataRoot "disks/$Current/marker.txt") 'at the snapshot'
        Import-KompoxConfig $Config | New-KompoxSnapshot -WarningAction SilentlyContinue | Out-Null
        Set-Content (Join-Path $DataRoot "disks/$Current/marker.txt") 'changed since'

        $disk = Import-KompoxConfig $Config | Get-KompoxApp | Get-KompoxSnapshot | Select-Object -First 1 | Restore-KompoxSnapshot -Switch -Confirm:$false

        $disk | Should -BeOfType 'Kompox.PowerShell.KompoxDisk'
        $disk.IsCurrent | Should -BeTrue
        $disk.DiskId | Should -Not -Be $Current
        Get-Content (Join-Path $DataRoot "disks/$($disk.DiskId)/marker.txt") | Should -Be 'at the snapshot'
        $status = Import-KompoxConfig $Config | Get-KompoxApp
        $status.CurrentDiskId | Should -Be $disk.DiskId
        $status.Ready | Should -BeTrue
        (Import-KompoxConfig $Config | Get-KompoxDisk | Where-Object IsCurrent).DiskId | Should -Be $disk.DiskId
    }

    # In the same Describe: TestDrive drops what a Describe block made in it when the block ends.
    It 'and Remove-KompoxApp keeps every disk and snapshot, and the next New-KompoxApp comes back on the current disk' {
        $disks = @(Import-KompoxConfig $Config | Get-KompoxDisk)
        $snapshots = @(Import-KompoxConfig $Config | Get-KompoxSnapshot)
        $current = ($disks | Where-Object IsCurrent).DiskId
        $disks.Count | Should -BeGreaterThan 1
        $snapshots.Count | Should -BeGreaterThan 0

        Import-KompoxConfig $Config | Remove-KompoxApp -Confirm:$false | Out-Null

        @((Import-KompoxConfig $Config | Get-KompoxDisk).DiskId) | Should -Be @($disks.DiskId)
        @((Import-KompoxConfig $Config | Get-KompoxSnapshot).Id) | Should -Be @($snapshots.Id)
        (Import-KompoxConfig $Config | New-KompoxApp -WarningAction SilentlyContinue).CurrentDiskId | Should -Be $current
    }
}
