BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    $Root = (Resolve-Path "$PSScriptRoot/../..").Path
    $Example = Join-Path $Root 'examples/gitea/kompoxops.yml'
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
            try { Import-KompoxConfig -WarningAction SilentlyContinue | Out-Null } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty -Because 'a broken config must not load'
            $err.FullyQualifiedErrorId | Should -Be "$ErrorId,Kompox.Cmdlets.ImportKompoxConfigCommand"
            foreach ($fragment in $Fragments) { $err.Exception.Message | Should -BeLike "*$([WildcardPattern]::Escape($fragment))*" }
        }
        finally { Pop-Location }
    }

    It 'carries every problem as a diagnostic in the ErrorRecord' {
        $err = $null
        try { Import-KompoxConfig (Join-Path $PSScriptRoot '../data/bad-configs/sections-missing/kompoxops.yml') } catch { $err = $_ }
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.TargetObject | Should -HaveCount 3
        $err.TargetObject.Key | Should -Be @('provider', 'cluster', 'app')
        $err.TargetObject[0] | Should -BeOfType 'Kompox.PowerShell.KompoxDiagnostic'
    }

    It 'refuses a 50 MB file quickly with FileTooLarge' {
        $big = Join-Path $TestDrive 'big.yml'
        $stream = [System.IO.File]::Create($big); $stream.SetLength(50MB); $stream.Dispose()
        { Import-KompoxConfig $big } | Should -Throw -ErrorId 'FileTooLarge,Kompox.Cmdlets.ImportKompoxConfigCommand'
    }

    It 'says a missing file is not found' {
        $err = $null
        try { Import-KompoxConfig (Join-Path $TestDrive 'nope.yml') } catch { $err = $_ }
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
        New-KompoxConfig -Path $path -Driver k3s -WhatIf | Should -BeNullOrEmpty
        $path | Should -Not -Exist
    }

    It 'names the path whose directory is missing' {
        $path = Join-Path $dir 'no/such/kompoxops.yml'
        $err = $null
        try { New-KompoxConfig -Path $path -Driver k3s } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'DirectoryNotFound,Kompox.Cmdlets.NewKompoxConfigCommand'
        $err.Exception.Message | Should -BeLike "*$path*"
    }

    It 'rejects an unknown driver at binding time' {
        { New-KompoxConfig -Path (Join-Path $dir 'k.yml') -Driver gke } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Kompox.Cmdlets.NewKompoxConfigCommand'
    }
}
