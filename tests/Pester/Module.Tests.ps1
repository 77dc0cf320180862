BeforeAll {
    $ModulePath = $env:KOMPOX_TEST_MODULE
    Import-Module $ModulePath -Force
    $Module = Get-Module Kompox
    $Cmdlets = @(Get-Command -Module Kompox -CommandType Cmdlet)
}

Describe 'The module' {
    It 'imports without any warning or error' {
        $output = & dotnet pwsh -NoLogo -NoProfile -NonInteractive -Command "Import-Module '$ModulePath' *>&1 | ForEach-Object { `"[`$(`$_.GetType().Name)] `$_`" }"
        $LASTEXITCODE | Should -Be 0
        $output | Should -BeNullOrEmpty
    }

    It 'exports exactly the cmdlets its manifest lists' {
        $manifest = Import-PowerShellDataFile $ModulePath
        ($Cmdlets.Name | Sort-Object) | Should -Be ($manifest.CmdletsToExport | Sort-Object)
    }

    It 'keeps its engine and dependencies out of the default load context' {
        $engine = [System.AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Kompox.Engine' }
        $engine | Should -HaveCount 1
        [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($engine).Name | Should -Be 'Kompox'
    }
}

Describe 'build.ps1 -Task Install' {
    It 'installs the module into the user''s module path, where Import-Module finds it by name' {
        # A child pwsh with a home of its own: the real user's module path is never touched.
        $home_ = (New-Item -ItemType Directory (Join-Path $TestDrive 'home')).FullName
        $userModules = Join-Path $home_ 'Documents/PowerShell/Modules'
        $script = Join-Path $PSScriptRoot '../../build/Install-KompoxModule.ps1'
        $version = (Import-PowerShellDataFile $ModulePath).ModuleVersion
        $saved = @{ HOME = $env:HOME; USERPROFILE = $env:USERPROFILE; XDG_DATA_HOME = $env:XDG_DATA_HOME; PSModulePath = $env:PSModulePath; NUGET_PACKAGES = $env:NUGET_PACKAGES; DOTNET_CLI_HOME = $env:DOTNET_CLI_HOME }
        try {
            # dotnet finds the pwsh tool in the NuGet cache under the real home; only PowerShell gets the temporary one.
            $env:NUGET_PACKAGES = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
            $env:DOTNET_CLI_HOME = if ($env:DOTNET_CLI_HOME) { $env:DOTNET_CLI_HOME } else { $HOME }
            $env:HOME = $env:USERPROFILE = $home_
            $env:XDG_DATA_HOME = Join-Path $home_ '.local/share'
            $env:PSModulePath = $userModules
            $install = & dotnet pwsh -NoLogo -NoProfile -NonInteractive -File $script -ModulePath (Split-Path $ModulePath) 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($install -join "`n")
            $check = & dotnet pwsh -NoLogo -NoProfile -NonInteractive -Command "Import-Module Kompox -ErrorAction Stop; (Get-Module Kompox).ModuleBase; (Get-Help Test-KompoxApp).Synopsis" 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($check -join "`n")
        }
        finally { foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) } }
        $check[0] | Should -BeLike "$home_*"
        $check[0] | Should -Match "[\\/]Kompox[\\/]$([regex]::Escape($version))$"
        $check[1] | Should -Match 'converts to a valid Kubernetes app'
        Join-Path $check[0] 'en-US/Kompox.Cmdlets.dll-Help.xml' | Should -Exist
    }
}

Describe 'Cmdlet conventions' {
    BeforeDiscovery {
        Import-Module $env:KOMPOX_TEST_MODULE -Force
        $cmdletCases = @(Get-Command -Module Kompox -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
    }

    Context '<Name>' -ForEach $cmdletCases {
        BeforeAll { $cmd = Get-Command $Name }

        It 'uses an approved verb' {
            (Get-Verb).Verb | Should -Contain $cmd.Verb
        }

        It 'has the Kompox noun prefix' {
            $cmd.Noun | Should -BeLike 'Kompox*'
        }

        It 'declares [OutputType] with types a script can name' {
            $cmd.OutputType | Should -Not -BeNullOrEmpty
            foreach ($type in $cmd.OutputType) {
                $type.Type | Should -Not -BeNullOrEmpty -Because "[$($type.Name)] must resolve in the session (output types live in the default load context)"
            }
        }

        It 'supports -WhatIf and -Confirm when it changes anything' {
            # Reading (Get, Test, Import of a config, ConvertTo without a file) changes nothing; writing an -OutFile does.
            $readOnly = @('Get', 'Test', 'Find', 'Measure', 'Resolve', 'Show', 'Format', 'Compare', 'Wait', 'Watch')
            # Start-KompoxPortForward only listens on this machine: it changes nothing on the cluster or on disk.
            $readOnlyCmdlets = @('Import-KompoxConfig', 'Start-KompoxPortForward')
            if (($cmd.Verb -in $readOnly -or $cmd.Name -in $readOnlyCmdlets) -and -not $cmd.Parameters.ContainsKey('OutFile')) {
                $cmd.Parameters.Keys | Should -Not -Contain 'WhatIf' -Because 'a read-only cmdlet should not pretend to change something'
            }
            else {
                $cmd.Parameters.Keys | Should -Contain 'WhatIf'
                $cmd.Parameters.Keys | Should -Contain 'Confirm'
            }
        }

        It 'asks for confirmation by default when it deletes' {
            if ($cmd.Verb -in 'Remove', 'Clear') {
                $attr = $cmd.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $true)[0]
                $attr.ConfirmImpact | Should -Be ([System.Management.Automation.ConfirmImpact]::High)
            }
        }
    }
}
