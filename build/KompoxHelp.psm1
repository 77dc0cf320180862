# Reads the platyPS-style markdown help pages (schema 2.0.0) in docs/en-US. Shared by the MAML generator
# (New-KompoxHelp.ps1) and the Pester tests that hold the pages and the cmdlets to each other.
Set-StrictMode -Version Latest

$CommonParameters = @(
    'Debug', 'ErrorAction', 'ErrorVariable', 'InformationAction', 'InformationVariable', 'OutBuffer',
    'OutVariable', 'PipelineVariable', 'ProgressAction', 'Verbose', 'WarningAction', 'WarningVariable'
)

function Split-Sections([string[]] $Lines, [string] $Prefix) {
    # Returns ordered name → lines for headings that start with exactly $Prefix ('## ' or '### '); code fences are skipped.
    $sections = [ordered]@{}
    $current = $null
    $inFence = $false
    foreach ($line in $Lines) {
        if ($line -match '^```') { $inFence = -not $inFence }
        if (-not $inFence -and $line.StartsWith($Prefix) -and -not $line.StartsWith("$Prefix#")) {
            $current = $line.Substring($Prefix.Length).Trim()
            $sections[$current] = [System.Collections.Generic.List[string]]::new()
            continue
        }
        if ($null -ne $current) { $sections[$current].Add($line) }
    }
    $sections
}

function Get-Paragraphs([string[]] $Lines) {
    # Markdown text as paragraphs (blank-line separated), with line breaks inside a paragraph folded.
    $paras = [System.Collections.Generic.List[string]]::new()
    $buffer = [System.Collections.Generic.List[string]]::new()
    foreach ($line in $Lines + '') {
        if ($line.Trim() -eq '') {
            if ($buffer.Count) { $paras.Add(($buffer -join ' ').Trim()); $buffer.Clear() }
        }
        else { $buffer.Add($line.Trim()) }
    }
    , $paras.ToArray()
}

function Get-Fences([string[]] $Lines) {
    # The code blocks in $Lines, each with its language and the text before/after.
    $blocks = [System.Collections.Generic.List[object]]::new()
    $inFence = $false; $lang = ''; $code = $null
    $outside = [System.Collections.Generic.List[string]]::new()
    foreach ($line in $Lines) {
        if ($line -match '^```(.*)$') {
            if ($inFence) { $blocks.Add([pscustomobject]@{ Language = $lang; Code = ($code -join "`n") }); $inFence = $false }
            else { $inFence = $true; $lang = $Matches[1].Trim(); $code = [System.Collections.Generic.List[string]]::new() }
            continue
        }
        if ($inFence) { $code.Add($line) } else { $outside.Add($line) }
    }
    [pscustomobject]@{ Blocks = $blocks.ToArray(); Text = $outside.ToArray() }
}

function Read-KompoxHelpPage {
    <# Parses one cmdlet help page into its parts. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Path)

    $lines = Get-Content -LiteralPath $Path
    if ($lines[0] -ne '---') { throw "${Path}: a help page starts with a '---' metadata block" }
    $end = [Array]::IndexOf($lines, '---', 1)
    $meta = @{}
    foreach ($line in $lines[1..($end - 1)]) { if ($line -match '^([^:]+):\s*(.*)$') { $meta[$Matches[1].Trim()] = $Matches[2].Trim() } }
    if ($meta['schema'] -ne '2.0.0') { throw "${Path}: expected 'schema: 2.0.0' in the metadata block" }
    $body = $lines[($end + 1)..($lines.Count - 1)]
    $title = ($body | Where-Object { $_ -match '^# ' } | Select-Object -First 1) -replace '^# ', ''
    $sections = Split-Sections $body '## '
    foreach ($required in 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS') {
        if (-not $sections.Contains($required)) { throw "${Path}: the '## $required' section is missing" }
    }

    $syntax = [ordered]@{}
    $sets = Split-Sections $sections['SYNTAX'] '### '
    if ($sets.Count -eq 0) { $syntax['__AllParameterSets'] = (Get-Fences $sections['SYNTAX']).Blocks[0].Code }
    foreach ($key in $sets.Keys) { $syntax[($key -replace '\s*\(Default\)$', '')] = (Get-Fences $sets[$key]).Blocks[0].Code }

    $examples = foreach ($entry in (Split-Sections $sections['EXAMPLES'] '### ').GetEnumerator()) {
        $fences = Get-Fences $entry.Value
        if (-not $fences.Blocks) { throw "${Path}: example '$($entry.Key)' has no code block" }
        [pscustomobject]@{ Title = $entry.Key; Code = $fences.Blocks[0].Code; Remarks = Get-Paragraphs $fences.Text }
    }

    $parameters = foreach ($entry in (Split-Sections $sections['PARAMETERS'] '### ').GetEnumerator()) {
        if ($entry.Key -eq 'CommonParameters') { continue }
        if ($entry.Key -notmatch '^-(\w+)$') { throw "${Path}: parameter heading '### $($entry.Key)' should be '### -Name'" }
        $name = $Matches[1]
        $fences = Get-Fences $entry.Value
        $fields = @{}
        foreach ($line in ($fences.Blocks | Where-Object Language -eq 'yaml' | Select-Object -First 1).Code -split "`n") {
            if ($line -match '^([^:]+):\s*(.*)$') { $fields[$Matches[1].Trim()] = $Matches[2].Trim() }
        }
        foreach ($field in 'Type', 'Parameter Sets', 'Required', 'Position', 'Accept pipeline input') {
            if (-not $fields.ContainsKey($field)) { throw "${Path}: parameter -$name has no '$field' in its yaml block" }
        }
        [pscustomobject]@{
            Name           = $name
            Description    = Get-Paragraphs $fences.Text
            Type           = $fields['Type']
            ParameterSets  = @($fields['Parameter Sets'] -split ',\s*')
            Aliases        = @($fields['Aliases'] -split ',\s*' | Where-Object { $_ })
            AcceptedValues = @($fields['Accepted values'] -split ',\s*' | Where-Object { $_ })
            Required       = $fields['Required'] -eq 'True'
            Position       = $fields['Position']
            DefaultValue   = $fields['Default value']
            PipelineInput  = $fields['Accept pipeline input']
            Globbing       = $fields['Accept wildcard characters'] -eq 'True'
        }
    }

    $typed = {
        param($lines)
        foreach ($entry in (Split-Sections $lines '### ').GetEnumerator()) {
            [pscustomobject]@{ Type = $entry.Key; Description = Get-Paragraphs $entry.Value }
        }
    }

    [pscustomobject]@{
        Name         = $title
        Path         = $Path
        Synopsis     = (Get-Paragraphs $sections['SYNOPSIS']) -join ' '
        Description  = Get-Paragraphs $sections['DESCRIPTION']
        Syntax       = $syntax
        Examples     = @($examples)
        Parameters   = @($parameters)
        Inputs       = @(& $typed $sections['INPUTS'])
        Outputs      = @(& $typed $sections['OUTPUTS'])
        Notes        = Get-Paragraphs $sections['NOTES']
        RelatedLinks = @($sections['RELATED LINKS'] | Where-Object { $_ -match '^\[([^\]]+)\]' } | ForEach-Object { $Matches[1] })
    }
}

Export-ModuleMember -Function Read-KompoxHelpPage -Variable CommonParameters
