# The cmdlet assembly lives in the default load context and the engine with its packages in a private one. Only
# types both sides share (base library, PowerShell) may cross: a reference to a package, or an output property of an
# engine or package type, would be resolved in the wrong context and break beside another module's version of it.
BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    $Root = (Resolve-Path "$PSScriptRoot/../..").Path
    $CmdletAssemblyPath = Join-Path (Split-Path $env:KOMPOX_TEST_MODULE) 'Kompox.Cmdlets.dll'
    $CmdletAssembly = [Kompox.PowerShell.KompoxApp].Assembly

    function Get-AssemblyReference([string] $Path) {
        $stream = [System.IO.File]::OpenRead($Path)
        try {
            $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
            $metadata = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
            foreach ($handle in $metadata.AssemblyReferences) {
                $reference = $metadata.GetAssemblyReference($handle)
                [pscustomobject]@{ Name = $metadata.GetString($reference.Name); Version = $reference.Version }
            }
        }
        finally { $stream.Dispose() }
    }

    # Base library assemblies are the same in every load context; everything else is Kompox's own or a package.
    function Test-SharedAssembly([System.Reflection.Assembly] $Assembly) {
        $name = $Assembly.GetName().Name
        $Assembly -eq $CmdletAssembly -or $name -eq 'netstandard' -or $name -eq 'System' -or $name -like 'System.*'
    }

    # The type with its generic arguments and array elements, which a table or a script meets as well.
    function Get-TypePart([type] $Type) {
        $Type
        if ($Type.HasElementType) { Get-TypePart $Type.GetElementType() }
        foreach ($argument in $Type.GenericTypeArguments) { Get-TypePart $argument }
    }

    $Bad = @{
        Config  = Join-Path $Root 'tests/data/bad-configs/memory-in-millibytes/kompoxops.yml'
        Compose = Join-Path $Root 'tests/data/bad-compose/privileged-among-many/kompoxops.yml'
    }
}

Describe 'The cmdlet assembly' {
    It 'references only the engine, PowerShell and the base library' {
        $references = @(Get-AssemblyReference $CmdletAssemblyPath).Name
        $references | Should -Contain 'Kompox.Engine'
        $references | Should -Contain 'System.Management.Automation'
        $others = $references | Where-Object { $_ -notin 'Kompox.Engine', 'System.Management.Automation', 'netstandard' -and $_ -notlike 'System.*' -and $_ -notlike 'Microsoft.Win32.*' }
        $others | Should -BeNullOrEmpty
    }

    It 'needs no base library newer than .NET 8 has, since PowerShell 7.4 loads it in its own context' {
        # The project compiles against System.Text.Json 10 only to unify with the engine's reference; a use of it here
        # would bind this assembly to 10.0.0.0, which PowerShell 7.4's default context cannot load.
        $newer = Get-AssemblyReference $CmdletAssemblyPath | Where-Object { $_.Name -like 'System.*' -and $_.Version -ge [version]'9.0' }
        $newer | ForEach-Object { "$($_.Name) $($_.Version)" } | Should -BeNullOrEmpty
    }

    It 'shows no engine or package type in a public property of an output type' {
        $outputTypes = @($CmdletAssembly.GetExportedTypes() | Where-Object Namespace -eq 'Kompox.PowerShell')
        $outputTypes.Name | Should -Contain 'KompoxCluster'
        $outputTypes.Name | Should -Contain 'KompoxManifestObject'
        $leaks = foreach ($type in $outputTypes) {
            foreach ($property in $type.GetProperties()) {
                foreach ($part in Get-TypePart $property.PropertyType) {
                    if (-not (Test-SharedAssembly $part.Assembly)) { "$($type.Name).$($property.Name): $part from $($part.Assembly.GetName().Name)" }
                }
            }
        }
        $leaks | Should -BeNullOrEmpty
    }

    It 'shows a cluster''s auth and ingress as text in a list' {
        $cluster = Import-KompoxConfig (Join-Path $Root 'examples/gitea/kompoxops.yml') | Where-Object Kind -eq Cluster
        $cluster.Ingress.Namespace | Should -Be 'traefik'
        $text = $cluster | Format-List Auth, Ingress | Out-String
        $text | Should -Match 'Ingress : traefik in namespace traefik'
        $text | Should -Match 'Auth\s+: kubectl context'
    }
}

Describe 'Catching a Kompox error by its id' {
    It 'starts the FullyQualifiedErrorId of a terminating error with the engine''s id, as about_Kompox shows' {
        $caught = $null
        try { Import-KompoxConfig $Bad.Config }
        catch { if ($_.FullyQualifiedErrorId -like 'InvalidConfig,*') { $caught = $_ } else { throw } }
        $caught.TargetObject.Key | Should -Be @('app.resources.cpu', 'app.resources.memory')
    }

    It 'stops on an app that does not convert with -ErrorAction Stop, and collects it with -ErrorVariable otherwise' {
        $caught = $null
        try { ConvertTo-KompoxManifest -Path $Bad.Compose -ErrorAction Stop }
        catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'InvalidCompose,*'

        $null = ConvertTo-KompoxManifest -Path $Bad.Compose -ErrorAction SilentlyContinue -ErrorVariable problems
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'InvalidCompose,*'
    }
}

# Dependencies/ holds IL for every platform, and beside it a folder of ReadyToRun images per platform and .NET version
# the build precompiles for (linux-x64.net10). The load context takes an assembly from its platform's folder when
# the folder has it, and the IL otherwise.
Describe 'Picking ReadyToRun images' {
    BeforeAll {
        $os = if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' }
        $arch = [System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture.ToString().ToLowerInvariant()
        $Folder = "$os-$arch.net$([Environment]::Version.Major)"
        $ModuleDir = Split-Path $env:KOMPOX_TEST_MODULE
        $Example = Join-Path $Root 'examples/gitea/kompoxops.yml'

        # Where a new pwsh, importing the module from $Dir, loads each of the engine's assemblies from.
        function Get-LoadedFrom([string] $Dir) {
            $script = "Import-Module '$Dir/Kompox.psd1'; `$null = Test-KompoxApp '$Example' -WarningAction Ignore; " +
                "[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -in 'Kompox.Engine', 'YamlDotNet', 'KubernetesClient' } | ForEach-Object { `$_.GetName().Name + '=' + [IO.Path]::GetRelativePath('$Dir', `$_.Location) }"
            $lines = & dotnet pwsh -NoLogo -NoProfile -NonInteractive -Command $script
            $LASTEXITCODE | Should -Be 0
            $map = @{}
            foreach ($line in $lines) { $name, $path = $line -split '=', 2; $map[$name] = $path -replace '\\', '/' }
            $map
        }

        function Copy-Module {
            $dir = Join-Path $TestDrive ([guid]::NewGuid())
            Copy-Item $ModuleDir $dir -Recurse
            $dir
        }
    }

    It 'loads the images of its own platform when the module has them, and IL otherwise' {
        $expected = if (Test-Path (Join-Path $ModuleDir "Dependencies/$Folder")) { "Dependencies/$Folder" } else { 'Dependencies' }
        $loaded = Get-LoadedFrom $ModuleDir
        foreach ($name in 'Kompox.Engine', 'YamlDotNet', 'KubernetesClient') {
            $loaded[$name] | Should -Be "$expected/$name.dll"
        }
    }

    It 'falls back to IL for an assembly its folder lacks, and for every assembly without the folder' {
        $partial = Copy-Module
        New-Item -ItemType Directory -Force (Join-Path $partial "Dependencies/$Folder") | Out-Null
        Copy-Item (Join-Path $partial 'Dependencies/YamlDotNet.dll') (Join-Path $partial "Dependencies/$Folder")
        Remove-Item (Join-Path $partial "Dependencies/$Folder/Kompox.Engine.dll") -ErrorAction Ignore
        $loaded = Get-LoadedFrom $partial
        $loaded['Kompox.Engine'] | Should -Be 'Dependencies/Kompox.Engine.dll'
        $loaded['YamlDotNet'] | Should -Be "Dependencies/$Folder/YamlDotNet.dll"

        $none = Copy-Module
        Get-ChildItem (Join-Path $none 'Dependencies') -Directory | Remove-Item -Recurse -Force
        $loaded = Get-LoadedFrom $none
        $loaded.Values | Sort-Object | Should -Be @('Dependencies/Kompox.Engine.dll', 'Dependencies/KubernetesClient.dll', 'Dependencies/YamlDotNet.dll')
    }

    It 'ignores the folders of other platforms' {
        $other = Copy-Module
        $foreign = Join-Path $other 'Dependencies/win-arm64.net6'
        New-Item -ItemType Directory $foreign | Out-Null
        Copy-Item (Join-Path $other 'Dependencies/*.dll') $foreign
        Get-ChildItem (Join-Path $other 'Dependencies') -Directory | Where-Object Name -ne 'win-arm64.net6' | Remove-Item -Recurse -Force
        (Get-LoadedFrom $other).Values | Should -Not -Match 'win-arm64'
    }
}

# Packages such as Azure.Core ship copies of framework assemblies for older runtimes. Where the running framework has
# the version a dependency asks for, its own (precompiled, shared) copy is used, and the package copy only otherwise.
Describe 'Framework assemblies in Dependencies' {
    It 'uses the framework''s System.Text.Json when it is as new as the package copy, and the copy only when it is not' {
        $ModuleDir = Split-Path $env:KOMPOX_TEST_MODULE
        $copy = Join-Path $ModuleDir 'Dependencies/System.Text.Json.dll'
        $copy | Should -Exist
        $framework = Join-Path ([System.Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()) 'System.Text.Json.dll'
        $frameworkIsNewEnough = [System.Reflection.AssemblyName]::GetAssemblyName($framework).Version -ge [System.Reflection.AssemblyName]::GetAssemblyName($copy).Version
        $example = Join-Path $PSScriptRoot '../../examples/gitea/kompoxops.yml'
        $script = "Import-Module '$env:KOMPOX_TEST_MODULE'; `$null = Test-KompoxApp '$example' -WarningAction Ignore; " +
            "[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'System.Text.Json' } | ForEach-Object { [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name }"
        $contexts = @(& dotnet pwsh -NoLogo -NoProfile -NonInteractive -Command $script)
        $LASTEXITCODE | Should -Be 0
        if ($frameworkIsNewEnough) { $contexts | Should -Be @('Default') } else { $contexts | Should -Contain 'Kompox' }
    }
}
