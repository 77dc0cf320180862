# Runs a script in a fresh runspace with the module imported. Host output (the "What if:" lines of
# -WhatIf) has no host to go to there, so it does not flood the test log; every stream is returned.
Set-StrictMode -Version Latest

function Invoke-InRunspace {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Script,
        [string] $Location = (Get-Location).ProviderPath
    )

    $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
    $iss.ImportPSModule($env:KOMPOX_TEST_MODULE)
    $ps = [powershell]::Create($iss)
    try {
        $null = $ps.AddCommand('Set-Location').AddParameter('LiteralPath', $Location).AddStatement()
        $null = $ps.AddScript($Script)
        $output = $ps.Invoke()
        [pscustomobject]@{
            Output   = @($output)
            Errors   = @($ps.Streams.Error)
            Warnings = @($ps.Streams.Warning)
            Verbose  = @($ps.Streams.Verbose)
            Progress = @($ps.Streams.Progress)
        }
    }
    finally { $ps.Dispose() }
}

Export-ModuleMember -Function Invoke-InRunspace
