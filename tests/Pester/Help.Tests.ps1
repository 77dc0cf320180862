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

    It 'runs example "<Title>" without error' -ForEach $Examples {
        $work = Join-Path $TestDrive ([guid]::NewGuid())
        $null = New-Item -ItemType Directory $work
        Copy-Item (Join-Path $Root 'examples') $work -Recurse
        Push-Location $work
        try {
            $ErrorActionPreference = 'Stop'
            $null = & ([scriptblock]::Create($Code)) *>&1
        }
        finally { Pop-Location }
    }
}

Describe 'Help pages' {
    It '<Name>.md documents an exported cmdlet' -ForEach $pageCases {
        Get-Command $Name -Module Kompox -ErrorAction SilentlyContinue | Should -Not -BeNullOrEmpty
    }

    It 'about_Kompox is available through Get-Help' {
        (Get-Help about_Kompox | Out-String) | Should -Match 'one app is one single-replica Pod'
    }

    It 'about_Kompox_DiskLayout is available through Get-Help' {
        (Get-Help about_Kompox_DiskLayout | Out-String) | Should -Match 'kompox.dev/disk-layout: "1"'
    }
}
