BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRunspace.psm1') -Force
    $Root = (Resolve-Path "$PSScriptRoot/../..").Path
    $Example = Join-Path $Root 'examples/gitea/kompoxops.yml'
    $Data = Join-Path $Root 'tests/data'
}

Describe 'Import-KompoxConfig' {
    It 'writes the Service, Provider, Cluster and App, linked to each other' {
        $objects = Import-KompoxConfig -Path $Example
        $objects.Kind | Should -Be @('Service', 'Provider', 'Cluster', 'App')
        $app = $objects[3]
        $app | Should -BeOfType 'Kompox.PowerShell.KompoxApp'
        $app.Id | Should -Be 'ops/k3s1/lab/gitea'
        $app.Cluster | Should -Be $objects[2]
        $app.Cluster.Provider.Service | Should -Be $objects[0]
    }

    It 'reads kompoxops.yml in the current location by default' {
        Push-Location (Split-Path $Example)
        try { (Import-KompoxConfig | Select-Object -Last 1).Name | Should -Be 'gitea' }
        finally { Pop-Location }
    }

    It 'takes files from Get-ChildItem on the pipeline' {
        $apps = Get-ChildItem (Split-Path $Example) -Filter kompoxops.yml | Import-KompoxConfig | Where-Object Kind -eq App
        $apps.Name | Should -Be 'gitea'
    }

    It 'expands wildcards in -Path, and reports a pattern that matches nothing as Get-Item does' {
        $apps = Import-KompoxConfig (Join-Path $Data 'apps/*/kompoxops.yml') -WarningAction SilentlyContinue | Where-Object Kind -eq App
        $apps.Count | Should -Be (Get-ChildItem (Join-Path $Data 'apps') -Directory).Count
        $pattern = Join-Path $TestDrive 'nothing-*.yml'
        $none = Import-KompoxConfig $pattern -ErrorVariable errs -ErrorAction SilentlyContinue
        $none | Should -BeNullOrEmpty
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'PathNotFound,Kompox.Cmdlets.ImportKompoxConfigCommand'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        { Import-KompoxConfig $pattern -ErrorAction Stop } | Should -Throw -ErrorId 'PathNotFound,Kompox.Cmdlets.ImportKompoxConfigCommand'
    }

    It 'keeps the good files of a Get-ChildItem pipeline and writes one error per bad one' {
        $tree = (New-Item -ItemType Directory (Join-Path $TestDrive 'tree')).FullName
        $null = Copy-KompoxExampleOnDataCluster -Destination (Join-Path $tree 'a-good')
        Copy-Item (Join-Path $Data 'bad-configs/app-name-invalid') (Join-Path $tree 'b-bad') -Recurse
        Copy-Item (Join-Path $Data 'apps/nginx-single') (Join-Path $tree 'c-good') -Recurse
        Copy-Item (Join-Path $Data 'bad-configs/sections-missing') (Join-Path $tree 'd-bad') -Recurse
        # Sorted: the file system lists directories in no particular order.
        $apps = Get-ChildItem $tree -Recurse -Filter kompoxops.yml | Sort-Object FullName | Import-KompoxConfig -ErrorVariable errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | Where-Object Kind -eq App
        $apps.Name | Should -Be @('gitea', 'www')
        $errs | Should -HaveCount 2
        $errs.TargetObject.File | Should -Not -BeNullOrEmpty
        $stopped = [System.Collections.Generic.List[object]]::new()
        $err = $null
        try { Get-ChildItem $tree -Recurse -Filter kompoxops.yml | Sort-Object FullName | Import-KompoxConfig -ErrorAction Stop -WarningAction SilentlyContinue | ForEach-Object { $stopped.Add($_) } } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'InvalidConfig,Kompox.Cmdlets.ImportKompoxConfigCommand'
        ($stopped | Where-Object Kind -eq App).Name | Should -Be 'gitea' -Because '-ErrorAction Stop stops at the first bad file'
    }

    It 'reads a path with wildcard characters literally with -LiteralPath and from Get-ChildItem' {
        $dir = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'app[1]')).FullName
        Copy-Item -LiteralPath $Example, (Join-Path (Split-Path $Example) 'compose.yml') -Destination $dir
        $file = Join-Path $dir 'kompoxops.yml'
        (Import-KompoxConfig -LiteralPath $file | Where-Object Kind -eq App).Name | Should -Be 'gitea'
        (Get-Item -LiteralPath $file | Import-KompoxConfig | Where-Object Kind -eq App).Name | Should -Be 'gitea'
        (Import-KompoxConfig -PSPath $file | Where-Object Kind -eq App).Name | Should -Be 'gitea'
    }

    It 'reads a kompoxops.yml written as UTF-16 <Name> with a byte order mark' -ForEach @(
        @{ Name = 'LE'; BigEndian = $false }
        @{ Name = 'BE'; BigEndian = $true }
    ) {
        $dir = (New-Item -ItemType Directory -Path (Join-Path $TestDrive "utf16-$Name")).FullName
        Copy-Item (Join-Path (Split-Path $Example) 'compose.yml') $dir
        # Windows PowerShell 5.1's `Out-File` and `>` write this; the comment has characters beyond ASCII.
        $text = "# Grüße, $([char]0x2713)`n" + ((Get-Content $Example -Raw) -replace 'name: gitea', 'name: gitea-utf16')
        [System.IO.File]::WriteAllText((Join-Path $dir 'kompoxops.yml'), $text, [System.Text.UnicodeEncoding]::new($BigEndian, $true))
        $bytes = [System.IO.File]::ReadAllBytes((Join-Path $dir 'kompoxops.yml'))
        $bytes[0..1] | Should -Be $(if ($BigEndian) { 0xFE, 0xFF } else { 0xFF, 0xFE })
        (Import-KompoxConfig (Join-Path $dir 'kompoxops.yml') | Where-Object Kind -eq App).Name | Should -Be 'gitea-utf16'
    }

    It 'still refuses binary and invalid UTF-8 without a byte order mark' {
        $binary = Join-Path $TestDrive 'binary.yml'
        [System.IO.File]::WriteAllBytes($binary, [byte[]](0x76, 0x00, 0x65, 0x00, 0x72, 0x00))
        { Import-KompoxConfig $binary -ErrorAction Stop } | Should -Throw -ErrorId 'FileNotText,Kompox.Cmdlets.ImportKompoxConfigCommand'
        $latin1 = Join-Path $TestDrive 'latin1.yml'
        [System.IO.File]::WriteAllBytes($latin1, [byte[]](0x6E, 0x61, 0x6D, 0x65, 0x3A, 0x20, 0xE9, 0x0A))
        { Import-KompoxConfig $latin1 -ErrorAction Stop } | Should -Throw -ErrorId 'FileNotText,Kompox.Cmdlets.ImportKompoxConfigCommand'
    }

    It 'shows the four resources as one table' {
        $text = Import-KompoxConfig $Example | Out-String -Width 200
        $text | Should -Match 'Kind\s+Id\s+Details'
        $text | Should -Match 'App\s+ops/k3s1/lab/gitea\s+cpu 1, memory 2Gi; hosts git.example.org'
    }

    It 'says with -Verbose which files it reads' {
        $verbose = Import-KompoxConfig $Example -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose -join "`n") | Should -Match ([regex]::Escape((Join-Path (Split-Path $Example) 'compose.yml')))
    }

    It 'reports settings the driver does not read as warnings' {
        $dir = Join-Path $TestDrive 'warn'
        $null = New-Item -ItemType Directory $dir
        Copy-Item (Join-Path (Split-Path $Example) '*') $dir
        (Get-Content "$dir/kompoxops.yml" -Raw) -replace 'K3S_DATA_ROOT:', 'K3S_DATA_DIR:' | Set-Content "$dir/kompoxops.yml"
        $null = Import-KompoxConfig "$dir/kompoxops.yml" -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings | Should -HaveCount 1
        "$($warnings[0])" | Should -Match "cluster\.settings\.K3S_DATA_DIR: driver 'k3s' does not read this setting"
    }
}

Describe 'Import-KompoxConfig with a broken file' {
    BeforeDiscovery {
        $cases = foreach ($dir in Get-ChildItem (Join-Path $PSScriptRoot '../data/bad-configs') -Directory) {
            $expect = @(Get-Content (Join-Path $dir.FullName 'expect.txt') | Where-Object { $_ })
            @{ Name = $dir.Name; Dir = $dir.FullName; ErrorId = $expect[0]; Fragments = @($expect | Select-Object -Skip 1) }
        }
    }

    It '<Name> fails with <ErrorId> and a located message' -ForEach $cases {
        Push-Location $Dir
        try {
            $err = $null
            try { Import-KompoxConfig -WarningAction SilentlyContinue -ErrorAction Stop | Out-Null } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty -Because 'a broken config must not load'
            $err.FullyQualifiedErrorId | Should -Be "$ErrorId,Kompox.Cmdlets.ImportKompoxConfigCommand"
            foreach ($fragment in $Fragments) { $err.Exception.Message | Should -BeLike "*$([WildcardPattern]::Escape($fragment))*" }
        }
        finally { Pop-Location }
    }

    It 'carries every problem as a diagnostic in the ErrorRecord' {
        $err = $null
        try { Import-KompoxConfig (Join-Path $PSScriptRoot '../data/bad-configs/sections-missing/kompoxops.yml') -ErrorAction Stop } catch { $err = $_ }
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        # A file with no app defines a cluster only (one cluster, many apps): the app is not required.
        $err.TargetObject | Should -HaveCount 2
        $err.TargetObject.Key | Should -Be @('provider', 'cluster')
        $err.TargetObject[0] | Should -BeOfType 'Kompox.PowerShell.KompoxDiagnostic'
    }

    It 'refuses a 50 MB file quickly with FileTooLarge' {
        $big = Join-Path $TestDrive 'big.yml'
        $stream = [System.IO.File]::Create($big); $stream.SetLength(50MB); $stream.Dispose()
        { Import-KompoxConfig $big -ErrorAction Stop } | Should -Throw -ErrorId 'FileTooLarge,Kompox.Cmdlets.ImportKompoxConfigCommand'
    }

    It 'says a missing file is not found' {
        $err = $null
        try { Import-KompoxConfig (Join-Path $TestDrive 'nope.yml') -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'FileNotFound,Kompox.Cmdlets.ImportKompoxConfigCommand'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}

Describe 'New-KompoxConfig' {
    BeforeEach {
        $dir = Join-Path $TestDrive ([guid]::NewGuid())
        $null = New-Item -ItemType Directory $dir
        Set-Content (Join-Path $dir 'compose.yml') "services:`n  web:`n    image: nginx:1.27`n"
    }

    It 'writes a <_> template that Import-KompoxConfig accepts' -ForEach 'aks', 'k3s' {
        $file = New-KompoxConfig -Path (Join-Path $dir 'kompoxops.yml') -Driver $_
        $file | Should -BeOfType 'System.IO.FileInfo'
        (Get-Content $file.FullName -Raw) | Should -Match "driver: $_"
        $app = Import-KompoxConfig $file.FullName -WarningAction Stop | Where-Object Kind -eq App
        $app.Cluster.Provider.Driver | Should -Be $_
    }

    It 'writes kompoxops.yml in the current location by default' {
        Push-Location $dir
        try { (New-KompoxConfig -Driver k3s).Name | Should -Be 'kompoxops.yml' }
        finally { Pop-Location }
    }

    It 'refuses to overwrite without -Force and keeps the file' {
        $path = Join-Path $dir 'kompoxops.yml'
        Set-Content $path 'mine'
        $err = $null
        try { New-KompoxConfig -Path $path -Driver aks } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'ConfigFileExists,Kompox.Cmdlets.NewKompoxConfigCommand'
        $err.CategoryInfo.Category | Should -Be 'ResourceExists'
        Get-Content $path | Should -Be 'mine'
        New-KompoxConfig -Path $path -Driver aks -Force | Out-Null
        Get-Content $path -Raw | Should -Match 'driver: aks'
    }

    It 'writes nothing with -WhatIf' {
        $path = Join-Path $dir 'kompoxops.yml'
        $r = Invoke-InRunspace "New-KompoxConfig -Path '$path' -Driver k3s -WhatIf"
        $r.Output | Should -BeNullOrEmpty
        $r.Errors | Should -BeNullOrEmpty
        $path | Should -Not -Exist
    }

    It 'takes the driver in any case' {
        $file = New-KompoxConfig -Path (Join-Path $dir 'kompoxops.yml') -Driver AKS
        (Get-Content $file.FullName -Raw) | Should -Match '(?m)^  driver: aks$'
    }

    It 'fills in -Name, -ComposePath and -Domain' {
        Set-Content (Join-Path $dir 'app.yaml') "services:`n  web:`n    image: nginx:1.27`n"
        $file = New-KompoxConfig -Path (Join-Path $dir 'kompoxops.yml') -Driver k3s -Name shop -ComposePath app.yaml -Domain apps.example.org
        $app = Import-KompoxConfig $file.FullName -WarningAction Stop | Where-Object Kind -eq App
        $app.Name | Should -Be 'shop'
        $app.ComposePath | Should -Be (Join-Path $dir 'app.yaml')
        $app.Cluster.Domain | Should -Be 'apps.example.org'
    }

    It 'refuses a -Name that is no app name before writing anything' {
        $path = Join-Path $dir 'kompoxops.yml'
        { New-KompoxConfig -Path $path -Driver k3s -Name 'My_App' } | Should -Throw -ErrorId 'InvalidAppName,Kompox.Cmdlets.NewKompoxConfigCommand'
        { New-KompoxConfig -Path $path -Driver k3s -ComposePath '../compose.yml' } | Should -Throw -ErrorId 'InvalidComposePath,Kompox.Cmdlets.NewKompoxConfigCommand'
        $path | Should -Not -Exist
    }

    It 'finds the compose file as Docker Compose does: <Expected> among <Present>' -ForEach @(
        @{ Present = @('docker-compose.yml', 'compose.yaml', 'compose.yml'); Expected = 'compose.yaml' }
        @{ Present = @('docker-compose.yml', 'compose.yml'); Expected = 'compose.yml' }
        @{ Present = @('docker-compose.yml', 'docker-compose.yaml'); Expected = 'docker-compose.yaml' }
        @{ Present = @('docker-compose.yml'); Expected = 'docker-compose.yml' }
    ) {
        $project = (New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))).FullName
        foreach ($name in $Present) { Set-Content (Join-Path $project $name) "services:`n  web:`n    image: nginx:1.27`n" }
        $file = New-KompoxConfig -Path (Join-Path $project 'kompoxops.yml') -Driver k3s -WarningVariable warnings
        $warnings | Should -BeNullOrEmpty
        (Get-Content $file.FullName -Raw) | Should -Match "(?m)^  compose: $([regex]::Escape($Expected))$"
        (Import-KompoxConfig $file.FullName | Where-Object Kind -eq App).ComposePath | Should -Be (Join-Path $project $Expected)
    }

    It 'warns when the directory holds no compose file' {
        $project = (New-Item -ItemType Directory (Join-Path $TestDrive 'empty-project')).FullName
        $null = New-KompoxConfig -Path (Join-Path $project 'kompoxops.yml') -Driver aks -WarningVariable warnings -WarningAction SilentlyContinue
        ($warnings -join "`n") | Should -Match 'No compose file in .*compose\.yaml, compose\.yml, docker-compose\.yaml, docker-compose\.yml'
    }

    It 'writes a k3s config that converts offline, with K3S_NODE_NAME set' {
        Set-Content (Join-Path $dir 'compose.yml') "services:`n  web:`n    image: nginx:1.27`n    ports: ['80']`n"
        $file = New-KompoxConfig -Path (Join-Path $dir 'kompoxops.yml') -Driver k3s
        (Get-Content $file.FullName -Raw) | Should -Match '(?m)^    K3S_NODE_NAME: \S+'
        (Get-Content $file.FullName -Raw) | Should -Match 'kubectl get nodes'
        $yaml = ConvertTo-KompoxManifest $file.FullName -DiskId disk-1 -ErrorAction Stop
        $yaml | Should -Match '(?m)^kind: PersistentVolume$'
    }

    It 'names the path whose directory is missing' {
        $path = Join-Path $dir 'no/such/kompoxops.yml'
        $err = $null
        try { New-KompoxConfig -Path $path -Driver k3s } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'DirectoryNotFound,Kompox.Cmdlets.NewKompoxConfigCommand'
        $err.Exception.Message | Should -BeLike "*$path*"
    }

    It 'rejects an unknown driver at binding time, naming the drivers it has' {
        $err = $null
        try { New-KompoxConfig -Path (Join-Path $dir 'k.yml') -Driver gke } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'ParameterArgumentValidationError,Kompox.Cmdlets.NewKompoxConfigCommand'
        $err.Exception.Message | Should -Match "'gke' is not a driver of this version; use one of: aks, k3s"
    }

    It 'completes -Driver with the drivers the engine has' {
        $line = 'New-KompoxConfig -Driver '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('aks', 'k3s')
    }
}
