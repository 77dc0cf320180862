# The disk and snapshot cmdlets on k3s end to end (issue 14): through the module against the Kubernetes API test server
# of Kompox.Testing, with real files in the k3s data root under TestDrive. File content is compared by checksum; owners,
# modes and links are the k3s archive's own tests (item 7).
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRunspace.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestCluster.psm1') -Force
    $Server = Start-KompoxTestServer
    $DataRoot = (New-Item -ItemType Directory (Join-Path $TestDrive 'data')).FullName
    $Kubeconfig = $Server.WriteKubeconfig((Join-Path $TestDrive 'admin.kubeconfig'))
    $Config = New-KompoxTestConfig -Directory (Join-Path $TestDrive 'gitea') -Kubeconfig $Kubeconfig -DataRoot $DataRoot
    Import-KompoxConfig $Config | Initialize-KompoxCluster -Confirm:$false | Out-Null
    $Status = Import-KompoxConfig $Config | New-KompoxApp -WarningAction SilentlyContinue
    $Current = $Status.CurrentDiskId

    function Get-DiskDir([string] $Id) { Join-Path $DataRoot "disks/$Id" }

    # Each file of a directory as 'relative path = SHA-256', sorted: what two disks' contents are compared by.
    function Get-Content-Sums([string] $Dir) {
        Get-ChildItem -LiteralPath $Dir -Recurse -File | ForEach-Object {
            "$([System.IO.Path]::GetRelativePath($Dir, $_.FullName)) = $((Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash)"
        } | Sort-Object
    }

    function Write-Files([string] $Dir, [string] $Text) {
        New-Item -ItemType Directory -Force (Join-Path $Dir 'gitea/conf') | Out-Null
        Set-Content -LiteralPath (Join-Path $Dir 'gitea/conf/app.ini') -Value "RUN_MODE = prod`n$Text"
        [System.IO.File]::WriteAllBytes((Join-Path $Dir 'gitea/blob.bin'), [byte[]](1..255 + $Text.Length))
    }

    function Get-DiskIds { @(Get-ChildItem (Join-Path $DataRoot 'disks') -Directory | Where-Object Name -notlike '.*' | ForEach-Object Name) }
}

AfterAll {
    if ($Server) { $Server.DisposeAsync().AsTask().GetAwaiter().GetResult() }
}

Describe 'Disks and snapshots on k3s' {
    It 'snapshots the current disk, and restores it to a new disk with the files as they were, leaving the current disk as it is' {
        Write-Files (Get-DiskDir $Current) 'original'
        $original = Get-Content-Sums (Get-DiskDir $Current)

        $snapshot = Import-KompoxConfig $Config | New-KompoxSnapshot -WarningVariable warned -WarningAction SilentlyContinue
        Write-Files (Get-DiskDir $Current) 'changed since'
        $changed = Get-Content-Sums (Get-DiskDir $Current)
        $restored = Import-KompoxConfig $Config | Get-KompoxApp | Get-KompoxSnapshot | Select-Object -First 1 | Restore-KompoxSnapshot

        $snapshot | Should -BeOfType 'Kompox.PowerShell.KompoxSnapshot'
        $snapshot.SourceDiskId | Should -Be $Current
        ($warned -join "`n") | Should -Match 'may not be consistent'
        $restored | Should -BeOfType 'Kompox.PowerShell.KompoxDisk'
        $restored.DiskId | Should -Not -Be $Current
        $restored.IsCurrent | Should -BeFalse
        Get-Content-Sums (Get-DiskDir $restored.DiskId) | Should -Be $original
        Get-Content-Sums (Get-DiskDir $Current) | Should -Be $changed
        $original | Should -Not -Be $changed
    }

    It 'stops the app for a consistent snapshot with -StopApp and has it Ready again, without the warning' {
        $snapshot = Import-KompoxConfig $Config | New-KompoxSnapshot -StopApp -WarningVariable warned
        $snapshot.SourceDiskId | Should -Be $Current
        $warned | Should -BeNullOrEmpty
        (Import-KompoxConfig $Config | Get-KompoxApp).Ready | Should -BeTrue
    }

    It 'completes -SnapshotId with the snapshots of the app the command line names, newest first' {
        $ids = @((Import-KompoxConfig $Config | Get-KompoxSnapshot).SnapshotId)
        $line = "Restore-KompoxSnapshot -LiteralPath '$Config' -SnapshotId "
        $completed = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completed | Should -Be $ids
        $ids.Count | Should -BeGreaterThan 1
    }

    It 'exports a disk and imports the file as a new disk with the same files' {
        $file = Join-Path $TestDrive 'current.tar.gz'
        $written = Import-KompoxConfig $Config | Export-KompoxDisk -OutFile $file
        $imported = Import-KompoxConfig $Config | Import-KompoxDisk -InFile $file

        $written.FullName | Should -Be $file
        $imported.DiskId | Should -Not -BeIn @($Current)
        Get-Content-Sums (Get-DiskDir $imported.DiskId) | Should -Be (Get-Content-Sums (Get-DiskDir $Current))
        @(Get-ChildItem $TestDrive -Filter '*.partial' -Force) | Should -BeNullOrEmpty
    }

    It 'warns of a name that is not UTF-8, which an export leaves out, and exports the rest' {
        $dir = Get-DiskDir $Current
        # Linux takes any bytes but '/' and NUL in a name; .NET cannot make one, python can.
        python3 -c "import os, sys; os.makedirs(os.path.join(os.fsencode(sys.argv[1]), b'latin1-\xe9t\xe9'))" $dir
        try {
            $file = Join-Path $TestDrive 'latin1.tar.gz'
            $written = Import-KompoxConfig $Config | Export-KompoxDisk -OutFile $file -WarningVariable warned -WarningAction SilentlyContinue
            $imported = Import-KompoxConfig $Config | Import-KompoxDisk -InFile $file

            $written.FullName | Should -Be $file
            ($warned -join "`n") | Should -Match "latin1-\uFFFDt\uFFFD has a name that is not UTF-8"
            Get-Content-Sums (Get-DiskDir $imported.DiskId) | Should -Be (Get-Content-Sums $dir)
            $imported | Remove-KompoxDisk -Confirm:$false
        }
        finally {
            python3 -c "import os, sys; os.rmdir(os.path.join(os.fsencode(sys.argv[1]), b'latin1-\xe9t\xe9'))" $dir
        }
    }

    It 'refuses to overwrite an export file without -Force and replaces it with -Force' {
        $file = Join-Path $TestDrive 'exists.tar.gz'
        Set-Content $file 'keep'
        Import-KompoxConfig $Config | Export-KompoxDisk -OutFile $file -ErrorVariable refused -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'OutputFileExists*'
        Get-Content $file | Should -Be 'keep'
        Import-KompoxConfig $Config | Export-KompoxDisk -OutFile $file -Force | Should -Not -BeNullOrEmpty
        (Get-Item $file).Length | Should -BeGreaterThan 4
    }

    It 'refuses to remove the current disk and removes another' {
        $spare = Import-KompoxConfig $Config | New-KompoxDisk
        Import-KompoxConfig $Config | Remove-KompoxDisk -DiskId $Current -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue
        $spare | Remove-KompoxDisk -Confirm:$false

        $refused[0].FullyQualifiedErrorId | Should -BeLike 'DiskIsCurrent*'
        Test-Path (Get-DiskDir $Current) | Should -BeTrue
        Test-Path (Get-DiskDir $spare.DiskId) | Should -BeFalse
    }

    It 'refuses a hostile archive and leaves no disk behind' {
        $evil = Join-Path $TestDrive 'evil.tar.gz'
        $stream = [System.IO.File]::Create($evil)
        $gzip = [System.IO.Compression.GZipStream]::new($stream, [System.IO.Compression.CompressionMode]::Compress)
        $tar = [System.Formats.Tar.TarWriter]::new($gzip)
        $entry = [System.Formats.Tar.PaxTarEntry]::new([System.Formats.Tar.TarEntryType]::RegularFile, '../escaped.txt')
        $entry.DataStream = [System.IO.MemoryStream]::new([byte[]](65, 66))
        $tar.WriteEntry($entry)
        $tar.Dispose(); $gzip.Dispose(); $stream.Dispose()
        $before = Get-DiskIds

        Import-KompoxConfig $Config | Import-KompoxDisk -InFile $evil -ErrorVariable refused -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

        $refused[0].FullyQualifiedErrorId | Should -BeLike 'InvalidArchive*'
        Get-DiskIds | Should -Be $before
        Test-Path (Join-Path $DataRoot 'disks/escaped.txt') | Should -BeFalse
        @(Get-ChildItem (Join-Path $DataRoot 'disks') -Force | Where-Object Name -like '.*') | Should -BeNullOrEmpty
    }

    It 'exports a snapshot, removes it, and the removal asks for confirmation' {
        $snapshot = Import-KompoxConfig $Config | Get-KompoxSnapshot | Select-Object -First 1
        $file = Join-Path $TestDrive 'snapshot.tar.gz'
        $snapshot | Export-KompoxSnapshot -OutFile $file | Should -Not -BeNullOrEmpty
        (Get-Command Remove-KompoxSnapshot).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact | Should -Be 'High'

        $snapshot | Remove-KompoxSnapshot -Confirm:$false

        (Import-KompoxConfig $Config | Get-KompoxSnapshot).SnapshotId | Should -Not -Contain $snapshot.SnapshotId
        Test-Path $file | Should -BeTrue
    }

    It 'reports the copies in bytes with Write-Progress and says with -Verbose what is written where' {
        $file = Join-Path $TestDrive 'progress.tar.gz'
        # Large enough that the copy passes whole percents before it ends (the last one closes the progress bar).
        $bytes = [byte[]]::new(8MB); [System.Random]::new(7).NextBytes($bytes)
        [System.IO.File]::WriteAllBytes((Join-Path (Get-DiskDir $Current) 'big.bin'), $bytes)
        $r = Invoke-InRunspace "Import-KompoxConfig '$Config' | Export-KompoxDisk -OutFile '$file' -Verbose"
        $r.Errors | Should -BeNullOrEmpty
        ($r.Progress.StatusDescription -join "`n") | Should -Match 'writing the archive: \d+ bytes'
        ($r.Verbose -join "`n") | Should -Match ([regex]::Escape("to $file"))
    }
}
