# Every exported cmdlet's help page must match the code (parameters, sets, pipeline input) and its examples must run.
BeforeDiscovery {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../../build/KompoxHelp.psm1') -Force
    $docs = Join-Path $PSScriptRoot '../../docs/en-US'
    $cmdletCases = foreach ($cmd in Get-Command -Module Kompox -CommandType Cmdlet) {
        $page = Join-Path $docs "$($cmd.Name).md"
        $examples = if (Test-Path $page) { @((Read-KompoxHelpPage $page).Examples) } else { @() }
        @{ Name = $cmd.Name; Page = $page; Examples = @($examples | ForEach-Object { @{ Title = $_.Title; Code = $_.Code } }) }
    }
    $pageCases = foreach ($page in Get-ChildItem $docs -Filter '*-Kompox*.md') { @{ Name = $page.BaseName } }
}

BeforeAll {
    Import-Module $env:KOMPOX_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../../build/KompoxHelp.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRunspace.psm1') -Force
    $Root = (Resolve-Path "$PSScriptRoot/../..").Path
}

Describe 'Help for <Name>' -ForEach $cmdletCases {
    BeforeAll {
        $cmd = Get-Command $Name
        $doc = Read-KompoxHelpPage $Page
        $codeParams = @($cmd.Parameters.Values | Where-Object Name -notin $CommonParameters)
    }

    It 'has a page with a synopsis, a description and at least one example' {
        $doc.Name | Should -Be $Name
        $doc.Synopsis | Should -Not -BeNullOrEmpty
        $doc.Description | Should -Not -BeNullOrEmpty
        $doc.Examples.Count | Should -BeGreaterThan 0
    }

    It 'documents exactly the parameters the cmdlet has' {
        ($doc.Parameters.Name | Sort-Object) | Should -Be ($codeParams.Name | Sort-Object)
    }

    It 'documents exactly the parameter sets the cmdlet has' {
        $sets = @($cmd.ParameterSets.Name)
        ($doc.Syntax.Keys | Sort-Object) | Should -Be ($sets | Sort-Object)
        foreach ($p in $doc.Parameters) {
            $inCode = @($codeParams | Where-Object Name -eq $p.Name | ForEach-Object { $_.ParameterSets.Keys })
            $expected = if ($inCode -contains '__AllParameterSets' -or $inCode.Count -eq $sets.Count) { @('(All)') } else { $inCode | Sort-Object }
            ($p.ParameterSets | Sort-Object) | Should -Be $expected -Because "-$($p.Name)'s parameter sets"
        }
    }

    It 'states each parameter''s type, whether it is required, its position and pipeline input as the code does' {
        foreach ($p in $doc.Parameters) {
            $meta = $cmd.Parameters[$p.Name]
            $set = @($meta.ParameterSets.Values)[0]
            $p.Type | Should -Be $meta.ParameterType.Name -Because "-$($p.Name)'s type"
            $p.Required | Should -Be $set.IsMandatory -Because "-$($p.Name) Required"
            $position = if ($set.Position -ge 0) { "$($set.Position)" } else { 'Named' }
            $p.Position | Should -Be $position -Because "-$($p.Name) Position"
            $pipeline = @(if ($set.ValueFromPipelineByPropertyName) { 'ByPropertyName' }; if ($set.ValueFromPipeline) { 'ByValue' })
            $expected = if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }
            $p.PipelineInput | Should -Be $expected -Because "-$($p.Name) pipeline input"
            $validateSet = $meta.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] }
            if ($validateSet) { $p.AcceptedValues | Should -Be $validateSet.ValidValues }
        }
    }

    It 'lists the output types the cmdlet declares' {
        ($doc.Outputs.Type | Sort-Object) | Should -Be ($cmd.OutputType.Name | Sort-Object)
    }

    It 'shows the page through Get-Help -Full' {
        $help = Get-Help $Name -Full
        $help.Synopsis | Should -Be $doc.Synopsis.Replace('`', '')
        @($help.Examples.Example).Count | Should -Be $doc.Examples.Count
        foreach ($p in $doc.Parameters) { ($help.Parameters.Parameter | Where-Object Name -eq $p.Name) | Should -Not -BeNullOrEmpty }
    }

    It 'runs example "<Title>" without error, touching only its own directory and the temporary one' -ForEach $Examples {
        $work = (New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))).FullName
        $temp = (New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))).FullName
        Copy-Item (Join-Path $Root 'examples') $work -Recurse
        $stamp = { Get-ChildItem $work -Recurse -File | ForEach-Object { "$($_.FullName) $($_.Length) $($_.LastWriteTimeUtc.Ticks)" } }
        $before = & $stamp
        # Examples write scratch files under [System.IO.Path]::GetTempPath(): point it into TestDrive.
        $saved = $env:TMPDIR, $env:TMP, $env:TEMP
        $env:TMPDIR = $env:TMP = $env:TEMP = $temp
        try { $r = Invoke-InRunspace -Location $work "`$ErrorActionPreference = 'Stop'`n$Code" }
        finally { $env:TMPDIR, $env:TMP, $env:TEMP = $saved }
        $r.Errors | Should -BeNullOrEmpty
        $after = & $stamp
        $changed = $before | Where-Object { $_ -notin $after }
        $changed | Should -BeNullOrEmpty -Because 'an example must not overwrite or remove the files where it runs'
    }
}

Describe 'Help pages' {
    It '<Name>.md documents an exported cmdlet' -ForEach $pageCases {
        Get-Command $Name -Module Kompox -ErrorAction SilentlyContinue | Should -Not -BeNullOrEmpty
    }

    It 'about_Kompox is available through Get-Help' {
        (Get-Help about_Kompox | Out-String) | Should -Match 'one app is one single-replica Pod'
    }

    It '<_> has its SHORT DESCRIPTION as synopsis' -ForEach 'about_Kompox', 'about_Kompox_DiskLayout' {
        $lines = Get-Content (Join-Path $PSScriptRoot "../../docs/en-US/$_.md")
        $short = $lines[[array]::IndexOf($lines, '# SHORT DESCRIPTION') + 1]
        $topic = Get-Help -Name 'about_Kompox*' -Category HelpFile | Where-Object Name -eq $_
        $topic.Synopsis | Should -Be $short
    }

    It 'advertises no online help, as there is none' {
        foreach ($cmd in Get-Command -Module Kompox -CommandType Cmdlet) {
            $cmd.HelpUri | Should -BeNullOrEmpty -Because "$($cmd.Name) has no online page"
            (Get-Content (Join-Path $PSScriptRoot "../../docs/en-US/$($cmd.Name).md")) -match '^online version:' | Should -BeNullOrEmpty
            { Get-Help $cmd.Name -Online -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidOperation,Microsoft.PowerShell.Commands.GetHelpCommand'
        }
        $maml = [xml](Get-Content (Join-Path (Split-Path $env:KOMPOX_TEST_MODULE) 'en-US/Kompox.Cmdlets.dll-Help.xml') -Raw)
        $uris = $maml.GetElementsByTagName('uri', 'http://schemas.microsoft.com/maml/2004/10') | Where-Object { $_.InnerText }
        $uris | Should -BeNullOrEmpty
    }

    It 'about_Kompox_DiskLayout is available through Get-Help' {
        (Get-Help about_Kompox_DiskLayout | Out-String) | Should -Match 'kompox.dev/disk-layout: "1"'
    }
}
