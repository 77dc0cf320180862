using Kompox.Operations;

namespace Kompox.Cmdlets;

/// <summary>An engine operation's progress shown by a cmdlet: steps as Write-Progress, requests and reads as Write-Verbose.</summary>
internal sealed class ReporterProgress(IKompoxReporter reporter) : IProgress<OperationProgress>
{
    public void Report(OperationProgress value)
    {
        if (value.Verbose is { } message)
        {
            reporter.Message(message);
        }
        else if (value.Percent >= 100)
        {
            reporter.Completed(value.Activity);
        }
        else
        {
            reporter.Progress(value.Activity, value.Status, value.Percent ?? -1);
        }
    }
}
