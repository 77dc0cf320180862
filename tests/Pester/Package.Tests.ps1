# The zip is what Azure Automation imports: a top-level Kompox folder holding the manifest.
BeforeAll {
    $Zip = $env:KOMPOX_TEST_PACKAGE
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $archive = [System.IO.Compression.ZipFile]::OpenRead($Zip)
    try { $Entries = @($archive.Entries.FullName -replace '\\', '/') } finally { $archive.Dispose() }
}

Describe 'Kompox.zip' {
    It 'has <_>' -ForEach @(
        'Kompox/Kompox.psd1'
        'Kompox/Kompox.Cmdlets.dll'
        'Kompox/Kompox.Format.ps1xml'
        'Kompox/Dependencies/Kompox.Engine.dll'
        'Kompox/Dependencies/YamlDotNet.dll'
        'Kompox/Dependencies/KubernetesClient.dll'
        'Kompox/en-US/Kompox.Cmdlets.dll-Help.xml'
        'Kompox/en-US/about_Kompox.help.txt'
        'Kompox/en-US/about_Kompox_DiskLayout.help.txt'
    ) {
        $Entries | Should -Contain $_
    }

    It 'keeps every file inside the Kompox folder, and no assembly but the cmdlets at its top' {
        $Entries | Where-Object { $_ -notlike 'Kompox/*' } | Should -BeNullOrEmpty
        $Entries | Where-Object { $_ -match '^Kompox/[^/]+\.dll$' } | Should -Be 'Kompox/Kompox.Cmdlets.dll'
    }

    It 'imports and works once extracted' {
        $dir = Join-Path $TestDrive 'modules'
        Expand-Archive $Zip $dir
        $example = (Resolve-Path "$PSScriptRoot/../../examples/gitea/kompoxops.yml").Path
        $output = & dotnet pwsh -NoLogo -NoProfile -NonInteractive -Command "`$env:PSModulePath = '$dir'; Import-Module Kompox -ErrorAction Stop; (Test-KompoxApp '$example' -WarningAction SilentlyContinue).IsValid; (Get-Help Test-KompoxApp).Synopsis" 2>&1
        $LASTEXITCODE | Should -Be 0
        $output[0] | Should -Be 'True'
        $output[1] | Should -Match 'converts to a valid Kubernetes app'
    }
}
