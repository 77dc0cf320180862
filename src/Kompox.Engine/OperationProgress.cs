namespace Kompox;

/// <summary>What a report from a running operation is: a step of it, a detail for whoever asked for them, or a warning.</summary>
public enum ProgressKind
{
    /// <summary>The step the operation is at, with <see cref="OperationProgress.Percent"/> when known; 100 ends the activity.</summary>
    Step,

    /// <summary>What is read or sent where, e.g. "GET /api/v1/namespaces/k4x-web-abc123".</summary>
    Detail,

    /// <summary>Something the user should know that does not stop the operation; <see cref="OperationProgress.Warning"/> has it.</summary>
    Warning,
}

/// <summary>
/// One report from a running operation. A cmdlet maps steps to Write-Progress, details to Write-Verbose and warnings to
/// Write-Warning; the REST service records them with the operation.
/// </summary>
/// <param name="Activity">What the operation does as a whole, e.g. "Exporting disk web-20250811123456-x1y2z3".</param>
/// <param name="Status">The step it is at, e.g. "writing the archive"; for a detail or a warning, its text.</param>
/// <param name="Percent">0 to 100 when the amount of work is known; null otherwise.</param>
public sealed record OperationProgress(string Activity, string Status, int? Percent = null)
{
    public ProgressKind Kind { get; init; } = ProgressKind.Step;

    /// <summary>The warning of a <see cref="ProgressKind.Warning"/> report.</summary>
    public Diagnostic? Warning { get; init; }

    public static OperationProgress Detail(string activity, string message) => new(activity, message) { Kind = ProgressKind.Detail };

    public static OperationProgress Warn(string activity, Diagnostic warning) => new(activity, warning.ToString()) { Kind = ProgressKind.Warning, Warning = warning };
}

/// <summary>The progress sink of operations that were given none.</summary>
internal sealed class NoProgress : IProgress<OperationProgress>
{
    public static readonly NoProgress Instance = new();

    public void Report(OperationProgress value)
    {
    }
}

/// <summary>
/// A progress sink whose failures are dropped: reports are advisory, and come from timers and request handlers after the
/// caller's step may have ended (a cmdlet stopped by Ctrl+C refuses to write). A report that cannot be taken must never
/// fail the request or the release of a lock that sent it, nor keep the loss of a lock from being signalled.
/// </summary>
internal sealed class TolerantProgress : IProgress<OperationProgress>
{
    private readonly IProgress<OperationProgress> inner;

    public TolerantProgress(IProgress<OperationProgress> inner)
    {
        this.inner = inner;
    }

    public void Report(OperationProgress value)
    {
        try
        {
            inner.Report(value);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The report is lost; the operation's state is not.
        }
    }
}
