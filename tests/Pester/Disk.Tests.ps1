# Get-KompoxDisk and Switch-KompoxDisk through the module against the Kubernetes API test server of Kompox.Testing,
# started in this process, with the k3s disks under TestDrive. The server keeps a bound claim's spec immutable
# (kube-apiserver ValidatePersistentVolumeClaimUpdate), so a switch works only on the disk's own claim.
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestCluster.psm1') -Force
    $Server = Start-KompoxTestServer
    $Dir = Join-Path $TestDrive 'gitea'
    $DataRoot = (New-Item -ItemType Directory (Join-Path $TestDrive 'data')).FullName
    $Kubeconfig = $Server.WriteKubeconfig((Join-Path $TestDrive 'admin.kubeconfig'))
    $Config = New-KompoxTestConfig -Directory $Dir -Kubeconfig $Kubeconfig -DataRoot $DataRoot
    Import-KompoxConfig $Config | Initialize-KompoxCluster -Confirm:$false | Out-Null
}

AfterAll {
    if ($Server) { $Server.DisposeAsync().AsTask().GetAwaiter().GetResult() }
}

Describe 'Get-KompoxDisk and Switch-KompoxDisk' {
    It 'lists the first disk as current, switches to an older one from the pipeline, and New-KompoxApp redeploys on it' {
        $app = Import-KompoxConfig $Config | Where-Object Kind -eq App
        # A disk made before the first deploy: older than the one the deploy makes, so it lists last.
        $older = New-Item -ItemType Directory (Join-Path $DataRoot 'disks/gitea-20240101000000-aaaaaa')
        Set-Content (Join-Path $DataRoot 'disks/gitea-20240101000000-aaaaaa.json') ('{"Tags":{"kompox-app":"' + $app.Id + '","kompox-created-at":"2024-01-01T00:00:00Z"},"SizeBytes":1073741824}')
        $first = $app | New-KompoxApp -ErrorAction Stop

        $disks = @($app | Get-KompoxDisk -ErrorAction Stop)
        $disks.DiskId | Should -Be @($first.CurrentDiskId, $older.Name)
        $disks.IsCurrent | Should -Be @($true, $false)

        $switched = $app | Get-KompoxDisk | Select-Object -Last 1 | Switch-KompoxDisk -Confirm:$false -ErrorAction Stop
        $switched.DiskId | Should -Be $older.Name
        $switched.IsCurrent | Should -BeTrue
        ($app | Get-KompoxDisk | Where-Object IsCurrent).DiskId | Should -Be $older.Name

        $again = $app | New-KompoxApp -ErrorAction Stop
        $again.CurrentDiskId | Should -Be $older.Name
        $again.Ready | Should -BeTrue
        Test-Path (Join-Path $DataRoot "disks/$($first.CurrentDiskId)") | Should -BeTrue
    }

    It 'refuses a disk that is not the app''s with DiskNotFound and -WhatIf changes nothing' {
        $app = Import-KompoxConfig $Config | Where-Object Kind -eq App
        $app | Switch-KompoxDisk -DiskId 'other-20240101000000-bbbbbb' -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'DiskNotFound*'
        $before = ($app | Get-KompoxDisk | Where-Object IsCurrent).DiskId
        $app | Get-KompoxDisk | Where-Object { -not $_.IsCurrent } | Switch-KompoxDisk -WhatIf
        ($app | Get-KompoxDisk | Where-Object IsCurrent).DiskId | Should -Be $before
    }
}
