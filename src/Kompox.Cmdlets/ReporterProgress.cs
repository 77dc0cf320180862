namespace Kompox.Cmdlets;

/// <summary>An engine operation's progress shown by a cmdlet: steps as Write-Progress, details as Write-Verbose, warnings as Write-Warning.</summary>
internal sealed class ReporterProgress(IKompoxReporter reporter) : IProgress<OperationProgress>
{
    public void Report(OperationProgress value)
    {
        switch (value.Kind)
        {
            case ProgressKind.Detail:
                reporter.Message(value.Status);
                break;
            case ProgressKind.Warning:
                reporter.Warning(value.Warning?.ToString() ?? value.Status);
                break;
            case ProgressKind.Step when value.Percent >= 100:
                reporter.Completed(value.Activity);
                break;
            default:
                reporter.Progress(value.Activity, value.Status, value.Percent ?? -1);
                break;
        }
    }
}
