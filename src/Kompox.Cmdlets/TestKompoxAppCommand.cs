using System.Management.Automation;
using Kompox.Operations;
using Kompox.PowerShell;

namespace Kompox.Cmdlets;

[Cmdlet(VerbsDiagnostic.Test, "KompoxApp", DefaultParameterSetName = PathSet)]
[OutputType(typeof(KompoxAppValidation), typeof(bool))]
public sealed class TestKompoxAppCommand : KompoxConversionCmdlet
{
    private int tested;
    private bool allValid = true;

    /// <summary>Write one Boolean instead of the results: true when every app is valid.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        await foreach (var (app, result) in ValidatedApps(cancellationToken))
        {

            tested++;
            allValid &= result.IsValid;
            if (Quiet)
            {
                WriteVerbose($"{app.Id}: {(result.IsValid ? "valid" : $"{result.Errors.Count} error(s), the first: {result.Errors[0]}")}");
                continue;
            }

            WriteAppWarnings(app, result.Warnings);
            WriteObject(new KompoxAppValidation(result, app));
        }
    }

    protected override Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        if (Quiet)
        {
            if (tested == 0)
            {
                WriteVerbose("No app was tested: -Quiet is false");
            }

            WriteObject(allValid && tested > 0);
        }

        return Task.CompletedTask;
    }

    /// <summary>With -Quiet an input that cannot be read makes the answer false, and is told with -Verbose only, as Test-Path does.</summary>
    protected override void InputFailed(ErrorRecord error)
    {
        if (!Quiet)
        {
            base.InputFailed(error);
            return;
        }

        allValid = false;
        WriteVerbose($"Not valid: {error.Exception.Message}");
    }
}
