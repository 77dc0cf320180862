# Another YamlDotNet in the same session must break neither it nor Kompox, whichever loads first.
BeforeAll {
    $ModulePath = $env:KOMPOX_TEST_MODULE
    $Root = (Resolve-Path "$PSScriptRoot/../..").Path
    $OldYaml = Join-Path $Root '.tools/packages/yamldotnet/13.7.1/lib/netstandard2.0/YamlDotNet.dll'
    $Example = Join-Path $Root 'examples/gitea/kompoxops.yml'

    function Invoke-Child([string] $Script) {
        $output = & dotnet pwsh -NoLogo -NoProfile -NonInteractive -Command $Script 2>&1
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | Out-String) }
    }

    $UseOldYaml = @"
`$d = (New-Object YamlDotNet.Serialization.DeserializerBuilder).Build().Deserialize([System.IO.StringReader]::new('answer: 42'))
if (`$d['answer'] -ne '42') { throw 'old YamlDotNet misread its input' }
"old yaml ok `$([YamlDotNet.Serialization.Deserializer].Assembly.GetName().Version)"
"@
    $UseKompox = @"
`$app = Import-KompoxConfig '$Example' | Where-Object Kind -eq App
"kompox ok `$(`$app.Id)"
"@
}

Describe 'Dependency isolation' {
    It 'has the older YamlDotNet to test with' {
        $OldYaml | Should -Exist
    }

    It 'works when another YamlDotNet was loaded first' {
        $r = Invoke-Child "`$ErrorActionPreference = 'Stop'; Add-Type -Path '$OldYaml'; Import-Module '$ModulePath'; $UseKompox; $UseOldYaml"
        $r.Output | Should -Match 'kompox ok ops/k3s1/lab/gitea'
        $r.Output | Should -Match 'old yaml ok 13\.'
        $r.ExitCode | Should -Be 0
    }

    It 'works when another YamlDotNet is loaded after it' {
        $r = Invoke-Child "`$ErrorActionPreference = 'Stop'; Import-Module '$ModulePath'; $UseKompox; Add-Type -Path '$OldYaml'; $UseOldYaml; $UseKompox"
        $r.Output | Should -Match 'old yaml ok 13\.'
        ([regex]::Matches($r.Output, 'kompox ok ops/k3s1/lab/gitea')).Count | Should -Be 2
        $r.ExitCode | Should -Be 0
    }
}
