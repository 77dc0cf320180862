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

# Waits until the work under test has brought a condition about, and fails with what it waited for rather than hanging:
# a bound on the wait, not a measure of the machine (callers pick a limit far above what the step takes).
function Wait-Until {
    param(
        [Parameter(Mandatory)] [scriptblock] $Condition,
        [Parameter(Mandatory)] [string] $Because,
        [int] $TimeoutSeconds = 60
    )

    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -ge $deadline) { throw "Waited $TimeoutSeconds s in vain for $Because" }
        Start-Sleep -Milliseconds 20
    }
}

# Stops a running pipeline as Ctrl+C does. That a stop is prompt is shown by the pipeline ending Stopped while its work
# could not have ended by itself (each caller says why), not by timing it; the timeout only keeps a stop that is
# ignored from hanging the run.
function Stop-Pipeline {
    param(
        [Parameter(Mandatory)] [powershell] $PowerShell,
        [int] $TimeoutSeconds = 30
    )

    $stopping = $PowerShell.BeginStop($null, $null)
    if (-not $stopping.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($TimeoutSeconds))) {
        throw "Stop() did not return within $TimeoutSeconds s: the pipeline ignores Ctrl+C"
    }
    $PowerShell.EndStop($stopping)
}

Export-ModuleMember -Function Invoke-InRunspace, Wait-Until, Stop-Pipeline
