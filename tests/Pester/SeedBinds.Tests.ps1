# Bound directories arrive on the disk (issue 14 item 8), through New-KompoxApp on k3s against the Kubernetes API test
# server of Kompox.Testing, with real files in the k3s data root under TestDrive. Docker shows the project's files at a
# relative bind (compose-spec 05-services.md, volumes); the first deploy of a disk copies them there, and
# New-KompoxApp -SeedBinds copies what the disk lacks later, never over a file the app wrote.
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRunspace.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestCluster.psm1') -Force
    $Server = Start-KompoxTestServer
    $DataRoot = (New-Item -ItemType Directory (Join-Path $TestDrive 'data')).FullName
    $Kubeconfig = $Server.WriteKubeconfig((Join-Path $TestDrive 'admin.kubeconfig'))
    $Project = Join-Path $TestDrive 'site'
    $Config = New-KompoxTestConfig -Directory $Project -Kubeconfig $Kubeconfig -DataRoot $DataRoot -AppName site
    Set-Content (Join-Path $Project 'compose.yml') "services:`n  web:`n    image: nginx:1.27`n    ports: [`"80:80`"]`n    volumes: [`"./html:/usr/share/nginx/html`"]`n"

    # The project's html directory: content, modes (an executable, a private file, a private directory) and links,
    # relative and absolute, which the container must see as links.
    $Html = (New-Item -ItemType Directory (Join-Path $Project 'html')).FullName
    Set-Content (Join-Path $Html 'index.html') '<h1>hello</h1>'
    New-Item -ItemType Directory (Join-Path $Html 'cgi') | Out-Null
    Set-Content (Join-Path $Html 'cgi/run.sh') "#!/bin/sh`necho hi"
    Set-Content (Join-Path $Html 'private.txt') 'secret'
    [System.IO.File]::SetUnixFileMode((Join-Path $Html 'cgi/run.sh'), [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute, GroupRead, GroupExecute, OtherRead, OtherExecute')
    [System.IO.File]::SetUnixFileMode((Join-Path $Html 'private.txt'), [System.IO.UnixFileMode]'UserRead, UserWrite')
    [System.IO.File]::SetUnixFileMode((Join-Path $Html 'cgi'), [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
    New-Item -ItemType SymbolicLink -Path (Join-Path $Html 'latest.html') -Target 'index.html' | Out-Null
    New-Item -ItemType SymbolicLink -Path (Join-Path $Html 'passwd') -Target '/etc/passwd' | Out-Null

    Import-KompoxConfig $Config | Initialize-KompoxCluster -Confirm:$false | Out-Null
    $Status = Import-KompoxConfig $Config | New-KompoxApp -WarningVariable DeployWarnings -WarningAction SilentlyContinue
    $Bind = Join-Path $DataRoot "disks/$($Status.CurrentDiskId)/binds/html"

    # Each entry of a tree as 'path type mode link-target sha256', sorted: what Docker would show is what the disk holds.
    function Get-Tree([string] $Dir) {
        Get-ChildItem -LiteralPath $Dir -Recurse -Force | ForEach-Object {
            $hash = if (-not $_.LinkTarget -and -not $_.PSIsContainer) { (Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash }
            "$([System.IO.Path]::GetRelativePath($Dir, $_.FullName)) $($_.UnixMode) $($_.LinkTarget) $hash"
        } | Sort-Object
    }
}

AfterAll {
    if ($Server) { $Server.DisposeAsync().AsTask().GetAwaiter().GetResult() }
}

Describe 'Bound directories on a k3s disk' {
    It 'copies the bound directory onto the new disk on the first deploy, with its content, modes and links' {
        $Status.Ready | Should -BeTrue
        Get-Tree $Bind | Should -Be (Get-Tree $Html)
        (Get-Item (Join-Path $Bind 'cgi/run.sh')).UnixMode | Should -Be '-rwxr-xr-x'
        (Get-Item (Join-Path $Bind 'private.txt')).UnixMode | Should -Be '-rw-------'
        (Get-Item (Join-Path $Bind 'cgi')).UnixMode | Should -Be 'drwx------'
        (Get-Item (Join-Path $Bind 'latest.html')).LinkTarget | Should -Be 'index.html'
        (Get-Item (Join-Path $Bind 'passwd')).LinkTarget | Should -Be '/etc/passwd'
        ($DeployWarnings -join "`n") | Should -Match "'./html' holds local files: .*copied there on the disk's first deploy"
    }

    It 'says with -WhatIf what -SeedBinds would copy and keep, and writes nothing' {
        Set-Content (Join-Path $Bind 'index.html') 'changed by the app'
        Set-Content (Join-Path $Html 'new.html') 'new in the project'
        # "What if:" goes to the host only: a child process with a console host shows it.
        $output = & dotnet pwsh -NoLogo -NoProfile -NonInteractive -Command "Import-Module '$env:KOMPOX_TEST_MODULE'; New-KompoxApp -LiteralPath '$Config' -SeedBinds -WhatIf" 2>&1 | Out-String -Width 1000

        $output | Should -Match 'What if: Copy the bound directories onto disk '
        # Every file of the first copy is on the disk by now, so each is kept; a directory the disk has (cgi) is merged.
        $output | Should -Match '\./html -> binds/html: 1 entries, 19 bytes; 5 kept as the disk has them'
        $output | Should -Match 'copy new\.html'
        $output | Should -Match 'keep index\.html'
        $output | Should -Match 'keep cgi/run\.sh'
        Test-Path (Join-Path $Bind 'new.html') | Should -BeFalse
    }

    It 'copies with -SeedBinds what the disk lacks, keeps the file the app changed, and reports the bytes with Write-Progress' {
        # Large enough that the copy passes whole percents before it ends (the last one closes the progress bar).
        $bytes = [byte[]]::new(8MB); [System.Random]::new(7).NextBytes($bytes)
        [System.IO.File]::WriteAllBytes((Join-Path $Html 'big.bin'), $bytes)
        $r = Invoke-InRunspace "New-KompoxApp -LiteralPath '$Config' -SeedBinds -Confirm:`$false"

        $r.Errors | Should -BeNullOrEmpty
        Get-Content (Join-Path $Bind 'index.html') | Should -Be 'changed by the app'
        Get-Content (Join-Path $Bind 'new.html') | Should -Be 'new in the project'
        $r.Output | Should -HaveCount 1
        $seed = $r.Output[0]
        $seed | Should -BeOfType 'Kompox.PowerShell.KompoxBindSeed'
        $seed.DiskId | Should -Be $Status.CurrentDiskId
        $seed.Copied | Should -Be @('big.bin', 'new.html')
        (Get-FileHash (Join-Path $Bind 'big.bin')).Hash | Should -Be (Get-FileHash (Join-Path $Html 'big.bin')).Hash
        $seed.Skipped | Should -Be @('cgi/run.sh', 'index.html', 'latest.html', 'passwd', 'private.txt')
        ($r.Progress.StatusDescription -join "`n") | Should -Match '(?m)^copying \./html to binds/html: \d+ bytes$'
    }

    It 'copies nothing again on a later deploy' {
        Remove-Item (Join-Path $Bind 'new.html'), (Join-Path $Html 'big.bin')
        Import-KompoxConfig $Config | New-KompoxApp -WarningAction SilentlyContinue | Out-Null
        Test-Path (Join-Path $Bind 'new.html') | Should -BeFalse
    }
}
