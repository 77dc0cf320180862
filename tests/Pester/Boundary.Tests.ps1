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
                $metadata.GetString($metadata.GetAssemblyReference($handle).Name)
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
        $references = @(Get-AssemblyReference $CmdletAssemblyPath)
        $references | Should -Contain 'Kompox.Engine'
        $references | Should -Contain 'System.Management.Automation'
        $others = $references | Where-Object { $_ -notin 'Kompox.Engine', 'System.Management.Automation', 'netstandard' -and $_ -notlike 'System.*' -and $_ -notlike 'Microsoft.Win32.*' }
        $others | Should -BeNullOrEmpty
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
