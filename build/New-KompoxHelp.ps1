<#
.SYNOPSIS
    Generates the module's MAML help (Kompox.Cmdlets.dll-Help.xml) and about topics from docs/en-US.
.DESCRIPTION
    Descriptions, examples, inputs and outputs come from the markdown pages; parameter sets, types,
    positions and pipeline behaviour come from the cmdlets themselves, so help can never describe a
    syntax the code does not have. A cmdlet without a page, or a page parameter the cmdlet lacks (or the
    other way round), stops the build.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $DocsPath,
    [Parameter(Mandatory)] [string] $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot 'KompoxHelp.psm1') -Force
$module = Import-Module $ModulePath -PassThru -Force

$maml = 'http://schemas.microsoft.com/maml/2004/10'
$command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'

$null = New-Item -ItemType Directory -Force $OutputPath
$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
$file = Join-Path $OutputPath 'Kompox.Cmdlets.dll-Help.xml'
$w = [System.Xml.XmlWriter]::Create($file, $settings)

function Write-Paras([string[]] $Paragraphs) {
    $w.WriteStartElement('maml', 'description', $maml)
    foreach ($p in $Paragraphs) { $w.WriteElementString('maml', 'para', $maml, ($p -replace '`', '')) }
    $w.WriteEndElement()
}

function Write-Parameter($Meta, $SetMeta, $Doc, [string] $Position) {
    $pipeline = @(
        if ($SetMeta.ValueFromPipelineByPropertyName) { 'ByPropertyName' }
        if ($SetMeta.ValueFromPipeline) { 'ByValue' }
    )
    $w.WriteStartElement('command', 'parameter', $command)
    $w.WriteAttributeString('required', "$($SetMeta.IsMandatory)".ToLowerInvariant())
    $w.WriteAttributeString('variableLength', 'true')
    $w.WriteAttributeString('globbing', "$($Doc.Globbing)".ToLowerInvariant())
    $w.WriteAttributeString('pipelineInput', $(if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }))
    $w.WriteAttributeString('position', $Position)
    $w.WriteAttributeString('aliases', $(if ($Meta.Aliases.Count) { $Meta.Aliases -join ', ' } else { 'none' }))
    $w.WriteElementString('maml', 'name', $maml, $Meta.Name)
    Write-Paras $Doc.Description
    if ($Doc.AcceptedValues) {
        $w.WriteStartElement('command', 'parameterValueGroup', $command)
        foreach ($v in $Doc.AcceptedValues) {
            $w.WriteStartElement('command', 'parameterValue', $command)
            $w.WriteAttributeString('required', 'false'); $w.WriteAttributeString('variableLength', 'false')
            $w.WriteString($v)
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }
    $typeName = $Meta.ParameterType.Name
    if ($Meta.ParameterType -ne [switch]) {
        $w.WriteStartElement('command', 'parameterValue', $command)
        $w.WriteAttributeString('required', 'true'); $w.WriteAttributeString('variableLength', 'false')
        $w.WriteString($typeName)
        $w.WriteEndElement()
    }
    $w.WriteStartElement('dev', 'type', $dev)
    $w.WriteElementString('maml', 'name', $maml, $typeName)
    $w.WriteEndElement()
    $w.WriteElementString('dev', 'defaultValue', $dev, $Doc.DefaultValue)
    $w.WriteEndElement()
}

$w.WriteStartDocument()
$w.WriteStartElement('helpItems', 'http://msh')
$w.WriteAttributeString('schema', 'maml')
$cmdlets = Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name
foreach ($cmd in $cmdlets) {
    $pagePath = Join-Path $DocsPath "$($cmd.Name).md"
    if (-not (Test-Path $pagePath)) { throw "$($cmd.Name) has no help page; write $pagePath" }
    $page = Read-KompoxHelpPage $pagePath
    $codeParams = @($cmd.Parameters.Values | Where-Object Name -notin $CommonParameters)
    $missing = @($codeParams.Name | Where-Object { $_ -notin $page.Parameters.Name })
    $extra = @($page.Parameters.Name | Where-Object { $_ -notin $codeParams.Name })
    if ($missing -or $extra) { throw "${pagePath}: parameters out of step with $($cmd.Name): missing $($missing -join ', '); not in code $($extra -join ', ')" }
    $docOf = @{}; foreach ($p in $page.Parameters) { $docOf[$p.Name] = $p }

    $w.WriteStartElement('command', 'command', $command)
    $w.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $w.WriteAttributeString('xmlns', 'dev', $null, $dev)
    $w.WriteStartElement('command', 'details', $command)
    $w.WriteElementString('command', 'name', $command, $cmd.Name)
    $w.WriteElementString('command', 'verb', $command, $cmd.Verb)
    $w.WriteElementString('command', 'noun', $command, $cmd.Noun)
    Write-Paras @($page.Synopsis)
    $w.WriteEndElement()
    Write-Paras $page.Description

    $w.WriteStartElement('command', 'syntax', $command)
    foreach ($set in $cmd.ParameterSets) {
        $w.WriteStartElement('command', 'syntaxItem', $command)
        $w.WriteElementString('maml', 'name', $maml, $cmd.Name)
        foreach ($p in $set.Parameters | Where-Object Name -notin $CommonParameters) {
            $pos = if ($p.Position -ge 0) { "$($p.Position)" } else { 'named' }
            Write-Parameter $cmd.Parameters[$p.Name] $p $docOf[$p.Name] $pos
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'parameters', $command)
    foreach ($p in $codeParams | Sort-Object Name) {
        $setMeta = $p.ParameterSets.Values | Select-Object -First 1
        $pos = if ($setMeta.Position -ge 0) { "$($setMeta.Position)" } else { 'named' }
        Write-Parameter $p $setMeta $docOf[$p.Name] $pos
    }
    $w.WriteEndElement()

    foreach ($kind in @(@('inputTypes', 'inputType', $page.Inputs), @('returnValues', 'returnValue', $page.Outputs))) {
        $w.WriteStartElement('command', $kind[0], $command)
        foreach ($t in $kind[2]) {
            $w.WriteStartElement('command', $kind[1], $command)
            $w.WriteStartElement('dev', 'type', $dev)
            $w.WriteElementString('maml', 'name', $maml, $t.Type)
            $w.WriteEndElement()
            Write-Paras $t.Description
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }

    $w.WriteStartElement('maml', 'alertSet', $maml)
    $w.WriteStartElement('maml', 'alert', $maml)
    foreach ($p in $page.Notes) { $w.WriteElementString('maml', 'para', $maml, ($p -replace '`', '')) }
    $w.WriteEndElement()
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'examples', $command)
    foreach ($ex in $page.Examples) {
        $w.WriteStartElement('command', 'example', $command)
        $w.WriteElementString('maml', 'title', $maml, "-------------------------- $($ex.Title) --------------------------")
        $w.WriteElementString('dev', 'code', $dev, $ex.Code)
        $w.WriteStartElement('dev', 'remarks', $dev)
        foreach ($p in $ex.Remarks) { $w.WriteElementString('maml', 'para', $maml, ($p -replace '`', '')) }
        $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'relatedLinks', $command)
    foreach ($link in $page.RelatedLinks) {
        $w.WriteStartElement('maml', 'navigationLink', $maml)
        $w.WriteElementString('maml', 'linkText', $maml, $link)
        $w.WriteElementString('maml', 'uri', $maml, '')
        $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteEndElement()
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Close()
Write-Host "Wrote $file ($($cmdlets.Count) cmdlets)"

# About topics: the markdown's headings become the plain-text layout Get-Help shows.
foreach ($about in Get-ChildItem $DocsPath -Filter 'about_*.md') {
    $text = foreach ($line in Get-Content $about.FullName) {
        if ($line -match '^# (SHORT DESCRIPTION|LONG DESCRIPTION|EXAMPLES|SEE ALSO|KEYWORDS)$') { ''; $Matches[1] }
        elseif ($line -match '^## (about_\w+)$') { 'TOPIC'; "    $($Matches[1])" }
        elseif ($line -match '^## (.+)$') { ''; "  $($Matches[1].ToUpperInvariant())" }
        elseif ($line -match '^# ') { }
        elseif ($line -eq '') { '' }
        else { "    $line" }
    }
    # One blank line between blocks: Get-Help takes the 5th line as the topic's synopsis (TOPIC, name, blank, SHORT DESCRIPTION, text).
    $blank = $true
    $text = @(foreach ($line in $text) { if ($line -ne '' -or -not $blank) { $line }; $blank = $line -eq '' })
    $short = ($text[4] ?? '').Trim()
    if ($text[0] -ne 'TOPIC' -or $text[3] -ne 'SHORT DESCRIPTION' -or -not $short) { throw "$($about.FullName): start with '## about_Name' and '# SHORT DESCRIPTION' followed by one line of text" }
    $target = Join-Path $OutputPath ($about.BaseName + '.help.txt')
    Set-Content -LiteralPath $target -Value $text -Encoding utf8NoBOM
    Write-Host "Wrote $target"
}
